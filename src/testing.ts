/**
 * Determinism for tests, benchmarks and demos, this project's and a client's own: a clock that
 * moves only when told (drive an `AggregationEngine` through slots in milliseconds of real time)
 * and a small seeded random generator (replay the same workload every run).
 */
import type { Clock } from './session/types.js'

interface Timer {
  readonly at: number
  readonly fn: () => void
  readonly seq: number
}

/** A `Clock` whose time moves only in `advance` and `runUntil`; timers fire in time order. */
export class ManualClock implements Clock {
  #now: number
  #seq = 0
  readonly #timers = new Map<number, Timer>()

  constructor(start = 1_700_000_000_000) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn, seq: id })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number)
  }

  /** Timers set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.size
  }

  /** Move time forward by `ms`, firing due timers in order and letting promise chains run after each. */
  advance(ms: number): Promise<void> {
    return this.runUntil(this.#now + ms)
  }

  /** Move time forward to `target` (never back), as `advance` does. */
  async runUntil(target: number): Promise<void> {
    await settlePromises()
    for (;;) {
      const next = this.#due(target)
      if (next === undefined) break
      this.#timers.delete(next[0])
      this.#now = Math.max(this.#now, next[1].at)
      next[1].fn()
      await settlePromises()
    }
    this.#now = Math.max(this.#now, target)
    await settlePromises()
  }

  #due(target: number): [number, Timer] | undefined {
    let next: [number, Timer] | undefined
    for (const entry of this.#timers) {
      if (entry[1].at > target) continue
      if (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].seq < next[1].seq)) next = entry
    }
    return next
  }
}

/**
 * Let every pending promise chain run: a few turns of the event loop, enough for chains that wait
 * on nothing but a manual clock.
 */
export async function settlePromises(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** mulberry32: a small seeded generator of floats in [0, 1); the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}
