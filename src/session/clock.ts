/** Default clock: wall time and global timers, unref'd so a pending deadline never keeps Node alive. */
import type { Clock } from './types.js'

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    // Read the global at call time so fake timers installed later still apply.
    const handle = globalThis.setTimeout(fn, Math.max(0, ms))
    ;(handle as { unref?: () => void }).unref?.()
    return handle
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>)
  },
}

/** A one-shot timer on `clock`; `cancel()` is idempotent. */
export function timer(clock: Clock, ms: number, fn: () => void): { cancel(): void } {
  let handle: unknown = clock.setTimeout(() => {
    handle = undefined
    fn()
  }, ms)
  return {
    cancel() {
      if (handle !== undefined) clock.clearTimeout(handle)
      handle = undefined
    },
  }
}

export const noopLogger = { debug() {}, warn() {} }
