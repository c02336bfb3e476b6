/**
 * Default clock: wall time and global timers, unref'd so a pending deadline never keeps Node
 * alive, unless the timer starts work the caller waits for (`keepAlive`).
 */
import type { Clock } from './types.js'

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms, keepAlive) {
    // Read the global at call time so fake timers installed later still apply.
    const handle = globalThis.setTimeout(fn, Math.max(0, ms))
    if (!keepAlive) (handle as { unref?: () => void }).unref?.()
    return handle
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>)
  },
}

/** The longest wait a Node timer holds: a longer one fires at once, with a process warning. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * A one-shot timer on `clock`; `cancel()` is idempotent. A wait past MAX_TIMER_MS is taken in
 * steps. `keepAlive`: the process waits for it (it starts work someone awaits).
 */
export function timer(clock: Clock, ms: number, fn: () => void, keepAlive = false): { cancel(): void } {
  let handle: unknown
  const arm = (left: number) => {
    handle = clock.setTimeout(
      () => {
        if (left > MAX_TIMER_MS) return arm(left - MAX_TIMER_MS)
        handle = undefined
        fn()
      },
      Math.min(left, MAX_TIMER_MS),
      keepAlive,
    )
  }
  arm(ms)
  return {
    cancel() {
      if (handle !== undefined) clock.clearTimeout(handle)
      handle = undefined
    },
  }
}

/** `work`, or 'timeout' if `ms` pass on `clock` first; the timer is cancelled either way. */
export async function within<T>(clock: Clock, ms: number, work: Promise<T>): Promise<T | 'timeout'> {
  let t: { cancel(): void } | undefined
  const timeout = new Promise<'timeout'>((resolve) => (t = timer(clock, ms, () => resolve('timeout'))))
  try {
    return await Promise.race([work, timeout])
  } finally {
    t?.cancel()
  }
}
