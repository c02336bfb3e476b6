/**
 * The proving lane: at most `limit` proofs in native code at once (default 1). Waiting happens
 * here, in JS, so a queued proof holds no libuv thread; a slot frees when the native work
 * settles, not when an aborted caller stops waiting, so abandoned proofs are never stacked.
 */
import { abortedError } from './errors.js'

interface Waiter {
  start: () => void
  reject: (e: unknown) => void
  signal?: AbortSignal
  onAbort?: () => void
}

export class Lane {
  private running = 0
  private readonly queue: Waiter[] = []
  private readonly idleWaiters: (() => void)[] = []

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('the lane limit must be a positive integer')
  }

  get busy(): number {
    return this.running
  }

  get queued(): number {
    return this.queue.length
  }

  /**
   * Wait for a slot, then call `start`, which returns the caller's result and the promise of
   * the native work behind it. Aborting while queued rejects at once and never starts.
   */
  run<T>(signal: AbortSignal | undefined, start: () => { result: Promise<T>; work: Promise<unknown> }): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortedError(signal.reason))
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        signal,
        reject,
        start: () => {
          if (waiter.onAbort) signal?.removeEventListener('abort', waiter.onAbort)
          let started: { result: Promise<T>; work: Promise<unknown> }
          try {
            started = start()
          } catch (e) {
            reject(e)
            return
          }
          const { result, work } = started
          this.running++
          void work.finally(() => {
            this.running--
            this.next()
          })
          result.then(resolve, reject)
        },
      }
      if (this.running < this.limit) {
        waiter.start()
        return
      }
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter)
          if (i >= 0) this.queue.splice(i, 1)
          reject(abortedError(signal.reason))
        }
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      }
      this.queue.push(waiter)
    })
  }

  /** Resolves when no native work is running (abandoned work included). */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Reject every queued caller with `error`; running work goes on. */
  rejectQueued(error: Error): void {
    for (const waiter of this.queue.splice(0)) {
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort)
      waiter.reject(error)
    }
  }

  private next(): void {
    if (this.running === 0) for (const resolve of this.idleWaiters.splice(0)) resolve()
    while (this.running < this.limit && this.queue.length > 0) this.queue.shift()!.start()
  }
}
