/**
 * What a session shows its caller, shared by snapshot and open sessions: the replayable result
 * stream, the listeners, and `done`, which settles once with the summary.
 */
import type { GroupOutcome, GroupResult, SessionEvents, SessionSummary } from './outcomes.js'
import { Listeners, ReplayLog } from './stream.js'
import type { Logger } from './types.js'

export class SessionOutput {
  readonly done: Promise<SessionSummary>
  readonly #log = new ReplayLog<GroupResult>()
  readonly #events: Listeners<SessionEvents>
  #resolveDone!: (s: SessionSummary) => void
  #summary: SessionSummary | undefined

  constructor(sessionId: number, logger: Logger) {
    this.done = new Promise((resolve) => (this.#resolveDone = resolve))
    this.#events = new Listeners((event, err) => logger.warn('session listener threw', { sessionId, event: String(event), err }))
  }

  /** Results so far: the next result's `seq`. */
  get count(): number {
    return this.#log.length
  }

  reader(): AsyncIterableIterator<GroupResult> {
    return this.#log.reader()
  }

  on<E extends keyof SessionEvents>(event: E, fn: (value: SessionEvents[E]) => void): () => void {
    // Late subscribers to 'done' still hear about it, so nobody waits forever.
    if (event === 'done' && this.#summary !== undefined) {
      const summary = this.#summary
      queueMicrotask(() => (fn as (s: SessionSummary) => void)(summary))
      return () => {}
    }
    return this.#events.on(event, fn)
  }

  result(result: GroupResult): void {
    this.#log.push(result)
    this.#events.emit('result', result)
  }

  outcome(outcome: GroupOutcome): void {
    this.#events.emit('outcome', outcome)
  }

  /** End the stream, tell 'done' listeners, settle `done`. */
  settle(summary: SessionSummary): void {
    this.#summary = summary
    this.#log.end()
    this.#events.emit('done', summary)
    this.#events.clear()
    this.#resolveDone(summary)
  }
}
