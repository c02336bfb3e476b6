/** One status value the engine updates and any number of subscribers watch (no polling). */
import { abortedError, closedError } from '../errors.js'
import type { Logger } from './types.js'

export type EngineStatus =
  | { readonly state: 'idle' }
  | {
      readonly state: 'busy'
      readonly sessionId: number
      /** Groups of the running session not finished yet, the proving ones included. */
      readonly groupsRemaining: number
      /** When the earliest group still proving started (clock ms). */
      readonly currentGroupStartedAt?: number
    }
  | { readonly state: 'closed' }

export interface WaitForOptions {
  signal?: AbortSignal
}

interface Waiter {
  predicate: (s: EngineStatus) => boolean
  resolve: (s: EngineStatus) => void
  reject: (e: unknown) => void
}

export class StatusWatch {
  #value: EngineStatus = Object.freeze({ state: 'idle' })
  readonly #listeners = new Set<(s: EngineStatus) => void>()
  readonly #waiters = new Set<Waiter>()
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  get value(): EngineStatus {
    return this.#value
  }

  set(next: EngineStatus): void {
    if (this.#value.state === 'closed' || sameStatus(this.#value, next)) return
    this.#value = Object.freeze({ ...next })
    const value = this.#value
    for (const fn of [...this.#listeners]) {
      try {
        fn(value)
      } catch (err) {
        this.#logger.warn('status listener threw', { err })
      }
    }
    for (const w of [...this.#waiters]) {
      let hit: boolean
      try {
        hit = w.predicate(value)
      } catch (err) {
        w.reject(err)
        continue
      }
      if (hit) w.resolve(value)
      else if (value.state === 'closed') w.reject(closedError('the engine closed before the awaited status'))
    }
  }

  subscribe(fn: (s: EngineStatus) => void): () => void {
    this.#listeners.add(fn)
    return () => void this.#listeners.delete(fn)
  }

  /** Resolves with the first status (the current one included) that satisfies `predicate`. */
  waitFor(predicate: (s: EngineStatus) => boolean, options: WaitForOptions = {}): Promise<EngineStatus> {
    const { signal } = options
    if (signal?.aborted) return Promise.reject(abortedError(signal.reason))
    if (predicate(this.#value)) return Promise.resolve(this.#value)
    if (this.#value.state === 'closed') return Promise.reject(closedError('the engine is closed'))
    return new Promise((resolve, reject) => {
      const onAbort = () => waiter.reject(abortedError(signal?.reason))
      const done = () => {
        this.#waiters.delete(waiter)
        signal?.removeEventListener('abort', onAbort)
      }
      const waiter: Waiter = {
        predicate,
        resolve: (s) => {
          done()
          resolve(s)
        },
        reject: (e) => {
          done()
          reject(e)
        },
      }
      this.#waiters.add(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}

function sameStatus(a: EngineStatus, b: EngineStatus): boolean {
  if (a.state !== b.state) return false
  if (a.state !== 'busy' || b.state !== 'busy') return true
  return a.sessionId === b.sessionId && a.groupsRemaining === b.groupsRemaining && a.currentGroupStartedAt === b.currentGroupStartedAt
}
