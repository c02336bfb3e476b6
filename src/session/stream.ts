/**
 * Append-only log with any number of async-iterator readers. Each reader replays from the start,
 * so a consumer that attaches late misses nothing; all readers finish when the log ends.
 */
export class ReplayLog<T> {
  readonly #items: T[] = []
  #ended = false
  readonly #wakers = new Set<() => void>()

  get ended(): boolean {
    return this.#ended
  }

  /** Items pushed so far. */
  get length(): number {
    return this.#items.length
  }

  push(item: T): void {
    if (this.#ended) return
    this.#items.push(item)
    this.#wake()
  }

  end(): void {
    if (this.#ended) return
    this.#ended = true
    this.#wake()
  }

  reader(): AsyncIterableIterator<T> {
    let cursor = 0
    let stopped = false
    const next = async (): Promise<IteratorResult<T, undefined>> => {
      for (;;) {
        if (stopped) return { done: true, value: undefined }
        if (cursor < this.#items.length) return { done: false, value: this.#items[cursor++]! }
        if (this.#ended) return { done: true, value: undefined }
        await new Promise<void>((resolve) => {
          const wake = () => {
            this.#wakers.delete(wake)
            resolve()
          }
          this.#wakers.add(wake)
        })
      }
    }
    const it: AsyncIterableIterator<T> = {
      next,
      async return() {
        stopped = true
        return { done: true, value: undefined }
      },
      [Symbol.asyncIterator]() {
        return it
      },
    }
    return it
  }

  #wake(): void {
    for (const wake of [...this.#wakers]) wake()
  }
}

/** A tiny typed listener set; a throwing listener is reported, never breaks the emitter. */
export class Listeners<Events extends Record<string, unknown>> {
  readonly #sets = new Map<keyof Events, Set<(value: never) => void>>()
  readonly #onError: (event: keyof Events, err: unknown) => void

  constructor(onError: (event: keyof Events, err: unknown) => void) {
    this.#onError = onError
  }

  on<E extends keyof Events>(event: E, fn: (value: Events[E]) => void): () => void {
    let set = this.#sets.get(event)
    if (set === undefined) {
      set = new Set()
      this.#sets.set(event, set)
    }
    set.add(fn as (value: never) => void)
    return () => void set.delete(fn as (value: never) => void)
  }

  emit<E extends keyof Events>(event: E, value: Events[E]): void {
    const set = this.#sets.get(event)
    if (set === undefined) return
    for (const fn of [...set]) {
      try {
        ;(fn as (value: Events[E]) => void)(value)
      } catch (err) {
        this.#onError(event, err)
      }
    }
  }

  clear(): void {
    this.#sets.clear()
  }
}
