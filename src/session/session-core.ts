/**
 * What snapshot sessions (session.ts) and open sessions (open-session.ts) share: identity, the
 * output their caller reads, the lifecycle the engine drives, the caller's signal, how a proof
 * that is no longer wanted is let go, and how a session settles. The subclasses plan and prove.
 */
import { abortedError, closedError } from '../errors.js'
import type { LeanAggError } from '../errors.js'
import type { EngineSession, SessionHost } from './host.js'
import type { GroupResult, RefusedReason, SessionEvents, SessionState, SessionSummary } from './outcomes.js'
import { SessionOutput } from './output.js'
import { cancelOnAbort, drainCalls, safeObserve } from './proving.js'
import type { ProofRun } from './proving.js'
import type { StopKind, SummaryInput } from './summary.js'
import type { AbandonReason } from './types.js'
import { averageConcurrency } from './work.js'
import type { Work } from './work.js'

export abstract class SessionCore implements EngineSession {
  readonly id: number
  readonly done: Promise<SessionSummary>
  abstract readonly deadlineAt: number | undefined
  abstract readonly groupsRemaining: number
  abstract readonly currentGroupStartedAt: number | undefined

  protected readonly host: SessionHost
  protected readonly out: SessionOutput
  protected readonly createdAt: number
  /** Proofs it may have in flight at once: its concurrency, capped by the prover's own lanes. */
  protected readonly lanes: number
  protected startedAt: number | undefined
  protected phase: SessionState = 'queued'
  protected stopped: StopKind | undefined
  protected cancelReason: string | undefined
  protected refused: RefusedReason | undefined
  protected settling = false
  /** Prover calls of abandoned proofs: settling waits for them, bounded by drainTimeoutMs. */
  protected readonly draining: Promise<unknown>[] = []
  #signal: AbortSignal | undefined
  #onSignal: (() => void) | undefined

  constructor(id: number, host: SessionHost, concurrency: number) {
    this.id = id
    this.host = host
    this.lanes = Math.max(1, Math.min(concurrency, host.proverLanes ?? concurrency))
    this.createdAt = host.clock.now()
    this.out = new SessionOutput(id, host.logger)
    this.done = this.out.done
  }

  get state(): SessionState {
    return this.phase
  }

  [Symbol.asyncIterator](): AsyncIterator<GroupResult> {
    return this.out.reader()
  }

  results(): AsyncIterableIterator<GroupResult> {
    return this.out.reader()
  }

  on<E extends keyof SessionEvents>(event: E, fn: (value: SessionEvents[E]) => void): () => void {
    return this.out.on(event, fn)
  }

  abstract cancel(reason?: string): void
  abstract arm(): void
  abstract start(): void
  abstract refuse(reason: RefusedReason): void
  abstract stop(kind: StopKind): void
  abstract projectedEnd(now: number): number

  /** Cancel on the caller's signal (at once if it already fired). */
  protected watch(signal: AbortSignal | undefined): void {
    this.#signal = signal
    this.#onSignal = cancelOnAbort(signal, (reason) => this.cancel(reason))
  }

  /** The engine started it: running from now. */
  protected begin(kind: string, fields: Record<string, unknown>): void {
    this.phase = 'running'
    this.startedAt = this.host.clock.now()
    this.host.metrics.session('started')
    this.host.logger.debug(`${kind} started`, { sessionId: this.id, lanes: this.lanes, ...fields })
  }

  /**
   * Fence a proof off and abort it. The host decides how long the prover stays busy with it: until
   * its estimate runs out for a proof that cannot be stopped (in-process), not at all for one that
   * is killed (process isolation).
   */
  protected release(run: ProofRun & { readonly call?: Promise<unknown> }, reason: LeanAggError, projectedEnd: number): void {
    run.abandoned = true
    run.controller.abort(reason)
    const call = run.call ?? Promise.resolve()
    this.draining.push(call)
    this.host.onAbandoned(projectedEnd, call)
  }

  /** Feed the estimator; `ms` is a measured time, or a lower bound for an abandoned proof. */
  protected observe(run: Work, proof: { readonly signatures: readonly unknown[]; readonly children: readonly unknown[] }, ms: number): void {
    const concurrent = averageConcurrency(run, ms)
    safeObserve(this.host.estimator, this.host.logger, { signers: proof.signatures.length, children: proof.children.length, ms, concurrent })
  }

  /**
   * Start settling: stop listening to the signal, wait (bounded) for abandoned calls, then
   * `settle`. Never synchronously: callers of cancel() or of the engine see a consistent engine first.
   */
  protected settleAfterDrain(settle: (drained: boolean) => void): void {
    this.settling = true
    if (this.#onSignal) this.#signal?.removeEventListener('abort', this.#onSignal)
    void drainCalls(this.host.clock, this.draining, this.host.drainTimeoutMs).then(settle)
  }

  /** The summary fields every session kind fills the same way. */
  protected summaryBase(settledAt: number, drained: boolean, deadlineAt: number | undefined) {
    return {
      sessionId: this.id,
      ...(this.refused !== undefined && { refused: this.refused }),
      ...(this.cancelReason !== undefined && { cancelReason: this.cancelReason }),
      ...(this.stopped !== undefined && { stop: this.stopped }),
      ...(deadlineAt !== undefined && { deadlineAt }),
      createdAt: this.createdAt,
      ...(this.startedAt !== undefined && { startedAt: this.startedAt }),
      settledAt,
      drained,
    } satisfies Partial<SummaryInput>
  }

  /** Settled: metrics, a debug line, then the engine and the caller hear of it. */
  protected publish(summary: SessionSummary, kind: string, fields: Record<string, unknown>): void {
    this.phase = 'settled'
    const { metrics } = this.host
    if (summary.outcome !== 'refused') metrics.session(summary.outcome)
    if (this.startedAt !== undefined) metrics.sessionDuration((summary.settledAt - this.startedAt) / 1000)
    this.host.logger.debug(`${kind} settled`, { sessionId: this.id, outcome: summary.outcome, ...fields })
    this.host.onSettled(this)
    this.out.settle(summary)
  }
}

/** The error an abandoned proof's call is aborted with. */
export function abandonError(sessionId: number, why: AbandonReason | 'deadline'): LeanAggError {
  return why === 'closed' ? closedError('the engine closed') : abortedError(`session ${sessionId} ${why}`)
}

/** A result's fields, with the group it proved in place of what it says about that group. */
export type ResultFields = Omit<GroupResult, 'key' | 'index' | 'signatureCount' | 'childCount'> & {
  readonly group: { readonly key: string; readonly index: number; readonly signatures: readonly unknown[]; readonly children: readonly unknown[] }
}

/** A proved group's result, frozen, in the field order callers see. */
export function groupResult(f: ResultFields): GroupResult {
  return Object.freeze({
    sessionId: f.sessionId,
    seq: f.seq,
    ...(f.improves !== undefined && { improves: f.improves }),
    key: f.group.key,
    index: f.group.index,
    aggregate: f.aggregate,
    signerCount: f.signerCount,
    signatureCount: f.group.signatures.length,
    childCount: f.group.children.length,
    proofSize: f.proofSize,
    queuedAt: f.queuedAt,
    startedAt: f.startedAt,
    provedAt: f.provedAt,
    finishedAt: f.finishedAt,
    late: f.late,
    verified: f.verified,
    admission: f.admission,
  })
}
