/**
 * One aggregation session: the state machine. It proves the groups of a snapshot in the order the
 * planner (plan.ts) picks, streams each result as it finishes, stops at its deadline or on cancel,
 * and always settles with one outcome per group (summary.ts tallies them).
 */
import type { Aggregate } from '../aggregate.js'
import { abortedError, closedError } from '../errors.js'
import { timer } from './clock.js'
import type { EngineSession, SessionHost } from './host.js'
import type { ResolvedSessionOptions } from './options.js'
import type { GroupOutcome, GroupResult, RefusedReason, SessionEvents, SessionState, SessionSummary } from './outcomes.js'
import { nextStep } from './plan.js'
import type { RunningWork } from './plan.js'
import { PlanBook } from './plan-book.js'
import type { Pending } from './plan-book.js'
import { cancelOnAbort, drainCalls, launchProof, safeEstimate, safeObserve, safeSlowdown } from './proving.js'
import type { Snapshot, SnapshotGroup } from './snapshot.js'
import { SessionOutput } from './output.js'
import { summarise } from './summary.js'
import type { StopKind } from './summary.js'
import type { AbandonReason, Admission, ErrorCode, SkipReason } from './types.js'
import { advanceWork, earliestStart, lastEnd, averageConcurrency, projectedEnds, remainingMs, startWork } from './work.js'
import type { Work } from './work.js'

// Where prover.ts has always imported them from.
export type { AggregationSession } from './outcomes.js'
export type { SessionOptions } from './options.js'

interface Running extends Work {
  readonly group: SnapshotGroup
  readonly controller: AbortController
  readonly startedAt: number
  readonly admission: Admission
  /** No other session's proof held the prover when it started: its time is a fair sample. */
  readonly clean: boolean
  call?: Promise<unknown>
  abandoned: boolean
  /** An outcome was recorded for it. */
  recorded: boolean
}

export class Session implements EngineSession {
  readonly id: number
  readonly deadlineAt: number | undefined
  readonly done: Promise<SessionSummary>

  readonly #host: SessionHost
  readonly #snapshot: Snapshot
  readonly #opts: ResolvedSessionOptions
  readonly #lanes: number
  readonly #createdAt: number
  #startedAt: number | undefined
  #state: SessionState = 'queued'
  #stop: StopKind | undefined
  #cancelReason: string | undefined
  #refused: RefusedReason | undefined
  #settling = false
  #startedAny = false
  readonly #plan: PlanBook
  readonly #inFlight = new Set<Running>()
  readonly #draining: Promise<unknown>[] = []
  readonly #outcomes: GroupOutcome[] = []
  readonly #out: SessionOutput
  #deadlineTimer: { cancel(): void } | undefined
  #onSignal: (() => void) | undefined

  constructor(id: number, snapshot: Snapshot, opts: ResolvedSessionOptions, host: SessionHost) {
    this.id = id
    this.#snapshot = snapshot
    this.#opts = opts
    this.#host = host
    this.#lanes = Math.max(1, Math.min(opts.concurrency, host.proverLanes ?? opts.concurrency))
    this.#createdAt = host.clock.now()
    this.deadlineAt = opts.deadlineAt
    this.#out = new SessionOutput(id, host.logger)
    this.done = this.#out.done
    this.#plan = new PlanBook(snapshot.groups, this.#estimate)
    // Groups dropped while building the snapshot are accounted for by every session proving it.
    for (const d of snapshot.dropped) {
      this.#record({
        sessionId: id,
        index: d.index,
        status: 'skipped',
        reason: d.reason,
        ...(d.key !== undefined && { key: d.key }),
        ...(d.code !== undefined && { code: d.code }),
        ...(d.detail !== undefined && { detail: d.detail }),
        ...(d.into !== undefined && { into: d.into }),
      })
    }
  }

  get state(): SessionState {
    return this.#state
  }

  [Symbol.asyncIterator](): AsyncIterator<GroupResult> {
    return this.#out.reader()
  }

  results(): AsyncIterableIterator<GroupResult> {
    return this.#out.reader()
  }

  on<E extends keyof SessionEvents>(event: E, fn: (value: SessionEvents[E]) => void): () => void {
    return this.#out.on(event, fn)
  }

  cancel(reason?: string): void {
    if (this.#state === 'settled' || this.#settling || this.#stop !== undefined) return
    this.#cancelReason = reason
    this.stop('cancelled')
  }

  // ---- engine-facing -------------------------------------------------------------------------

  /** Groups not finished yet, in-flight ones included. */
  get groupsRemaining(): number {
    return this.#plan.pending.length + this.#inFlight.size
  }

  get currentGroupStartedAt(): number | undefined {
    return earliestStart(this.#inFlight)
  }

  /** When this session's proofs in flight are projected to leave the prover (0 if none). */
  projectedEnd(now: number): number {
    return lastEnd(this.#inFlight, now, this.#slowdown)
  }

  /** Arm the deadline and the caller's signal; called once, refused sessions excepted. */
  arm(): void {
    const { deadlineAt, signal } = this.#opts
    if (deadlineAt !== undefined) {
      this.#deadlineTimer = timer(this.#host.clock, deadlineAt - this.#host.clock.now(), () => this.#onDeadline())
    }
    this.#onSignal = cancelOnAbort(signal, (reason) => this.cancel(reason))
  }

  start(): void {
    if (this.#state !== 'queued' || this.#stop !== undefined) return
    this.#state = 'running'
    this.#startedAt = this.#host.clock.now()
    this.#host.metrics.session('started')
    this.#host.logger.debug('session started', { sessionId: this.id, groups: this.#snapshot.groups.length, lanes: this.#lanes })
    this.#pump()
  }

  refuse(reason: RefusedReason): void {
    this.#refused = reason
    this.#skipPending(reason === 'closed' ? 'closed' : 'busy')
    this.#host.metrics.session(reason === 'closed' ? 'closed' : 'skipped')
    this.#finish()
  }

  /** Stop starting groups; abandon in-flight proofs (or, at the deadline, keep them per `late`). */
  stop(kind: StopKind): void {
    if (this.#state === 'settled' || this.#settling) return
    if (kind === 'deadline') {
      if (this.#stop !== undefined) return
    } else if (this.#stop !== undefined && this.#stop !== 'deadline') return
    this.#stop = kind
    // At the deadline a group that never fitted was over budget; one that did ran out of time.
    this.#skipPending(kind, (p) => (kind === 'deadline' && p.fitted === false ? 'budget' : kind))
    const now = this.#host.clock.now()
    advanceWork(this.#inFlight, now, this.#slowdown)
    const ends = projectedEnds(this.#inFlight, now, this.#slowdown)
    for (const run of [...this.#inFlight]) {
      if (kind !== 'deadline') this.#abandon(run, { status: 'cancelled', reason: kind }, ends.get(run) ?? now)
      else if (this.#opts.late === 'drop') this.#abandon(run, { status: 'late-dropped' }, ends.get(run) ?? now)
    }
    if (kind === 'deadline' && this.#inFlight.size > 0) this.#host.onDeadline(this)
    this.#host.onProgress(this)
    this.#finish()
  }

  // ---- planning ------------------------------------------------------------------------------

  #onDeadline(): void {
    this.#deadlineTimer = undefined
    this.#host.logger.debug('session deadline', { sessionId: this.id, inFlight: this.#inFlight.size })
    this.stop('deadline')
  }

  #pump(): void {
    const { clock } = this.#host
    const { deadlineAt, admission } = this.#opts
    const checked = deadlineAt !== undefined && admission !== false
    while (this.#state === 'running' && this.#stop === undefined) {
      const now = clock.now()
      if (deadlineAt !== undefined && now >= deadlineAt) {
        this.stop('deadline')
        return
      }
      advanceWork(this.#inFlight, now, this.#slowdown)
      const foreignFreeAt = this.#host.laneFreeAt(this)
      const startAt = Math.max(now, foreignFreeAt)
      this.#plan.refresh(this.#estimate, checked ? { startAt, deadlineAt, admission } : undefined)
      const step = nextStep({
        now,
        deadlineAt,
        pending: this.#plan.pending,
        running: [...this.#inFlight].map((r): RunningWork => ({ remainingMs: remainingMs(r), mustFit: r.admission === 'fits' })),
        lanes: this.#lanes,
        foreignFreeAt,
        admission,
        slowdown: this.#slowdown,
        probeDue: checked && admission.probeAfter > 0 && !this.#startedAny && this.#host.blockedSessions() >= admission.probeAfter,
      })
      if (step.kind === 'start') {
        this.#startGroup(step.item as Pending, step.admission, now, foreignFreeAt)
        continue
      }
      if (step.kind === 'give-up') {
        if (!this.#startedAny) this.#host.recordAdmission(true)
        this.#skipPending('budget')
      }
      break
    }
    this.#host.onProgress(this)
    this.#finish()
  }

  /** An injected estimator that throws or returns nonsense counts as "no estimate" (0 ms). */
  readonly #estimate = (group: SnapshotGroup): number => safeEstimate(this.#host.estimator, this.#host.logger, group.signatures.length, group.children.length)

  readonly #slowdown = (k: number): number => safeSlowdown(this.#host.estimator, k)

  // ---- proving -------------------------------------------------------------------------------

  #startGroup(item: Pending, admission: Admission, now: number, foreignFreeAt: number): void {
    const { group } = item
    this.#plan.started(item, admission)
    const run: Running = {
      ...startWork(item.estimateMs, Math.max(now, foreignFreeAt)),
      group,
      controller: new AbortController(),
      startedAt: now,
      admission,
      clean: foreignFreeAt <= now,
      abandoned: false,
      recorded: false,
    }
    this.#inFlight.add(run)
    this.#startedAny = true
    this.#host.metrics.admission(admission)
    if (this.#opts.deadlineAt !== undefined && this.#opts.admission !== false) this.#host.recordAdmission(false)
    if (admission === 'best-effort' || admission === 'probe') {
      this.#host.logger.debug(`group started: ${admission}`, { sessionId: this.id, key: group.key, estimateMs: Math.round(item.estimateMs) })
    }
    run.call = launchProof(
      this.#host,
      this.#opts,
      group,
      run,
      this.id,
      (aggregate, provedAt) => this.#onProved(run, aggregate, provedAt),
      (code, detail) => this.#fail(run, code, detail),
    )
  }

  #onProved(run: Running, aggregate: Aggregate, provedAt: number): void {
    const { clock, metrics } = this.#host
    const { group } = run
    const proveMs = provedAt - run.startedAt
    advanceWork(this.#inFlight, provedAt, this.#slowdown)
    if (run.clean) this.#observe(run, proveMs)
    metrics.proveTime(group.signerCount, group.children.length, proveMs / 1000)

    // Read the aggregate before touching session state: its getters reach native code.
    const proofSize = aggregate.proofSize
    const signerCount = aggregate.signers?.length ?? group.signerCount
    const finishedAt = clock.now()
    const late = this.deadlineAt !== undefined && finishedAt > this.deadlineAt
    advanceWork(this.#inFlight, finishedAt, this.#slowdown)
    this.#inFlight.delete(run)
    run.recorded = true
    if (late) metrics.lateResult()
    if (late && this.#opts.late === 'drop') {
      this.#record({ sessionId: this.id, key: group.key, index: group.index, status: 'late-dropped', startedAt: run.startedAt })
    } else {
      const result: GroupResult = Object.freeze({
        sessionId: this.id,
        seq: this.#out.count,
        key: group.key,
        index: group.index,
        aggregate,
        signerCount,
        signatureCount: group.signatures.length,
        childCount: group.children.length,
        proofSize,
        queuedAt: this.#createdAt,
        startedAt: run.startedAt,
        provedAt,
        finishedAt,
        late,
        verified: this.#opts.verify,
        admission: run.admission,
      })
      this.#out.result(result)
      this.#record({ sessionId: this.id, key: group.key, index: group.index, status: 'aggregated', late, result })
    }
    this.#afterGroup()
  }

  /** Feed the estimator; `ms` is a measured time, or a lower bound for an abandoned proof. */
  #observe(run: Running, ms: number): void {
    const concurrent = averageConcurrency(run, ms)
    safeObserve(this.#host.estimator, this.#host.logger, { signers: run.group.signatures.length, children: run.group.children.length, ms, concurrent })
  }

  #fail(run: Running, code: ErrorCode, detail: string): void {
    advanceWork(this.#inFlight, this.#host.clock.now(), this.#slowdown)
    this.#inFlight.delete(run)
    run.recorded = true
    this.#host.logger.warn('aggregation group failed', { sessionId: this.id, key: run.group.key, code, detail })
    this.#record({ sessionId: this.id, key: run.group.key, index: run.group.index, status: 'failed', code, detail })
    this.#afterGroup()
  }

  #afterGroup(): void {
    if (this.#stop === undefined) this.#pump()
    else {
      this.#host.onProgress(this)
      this.#finish()
    }
  }

  #abandon(run: Running, outcome: { status: 'cancelled'; reason: AbandonReason } | { status: 'late-dropped' }, projectedEnd: number): void {
    const now = this.#host.clock.now()
    // A clean proof dropped at the deadline after E ms took at least E: learn it if the estimate was lower.
    const elapsed = now - run.startedAt
    if (outcome.status === 'late-dropped' && run.clean && elapsed > run.estimateMs) this.#observe(run, elapsed)
    run.abandoned = true
    run.recorded = true
    this.#inFlight.delete(run)
    const reason =
      outcome.status === 'cancelled'
        ? outcome.reason === 'closed'
          ? closedError('the engine closed')
          : abortedError(`session ${this.id} ${outcome.reason}`)
        : abortedError(`session ${this.id} deadline`)
    run.controller.abort(reason)
    if (outcome.status === 'late-dropped') this.#host.metrics.lateResult()
    this.#record({ sessionId: this.id, key: run.group.key, index: run.group.index, startedAt: run.startedAt, ...outcome })
    // The host decides how long the prover stays busy: until the estimate runs out for a proof
    // that cannot be stopped (in-process), not at all for one that is killed (process isolation).
    const call = run.call ?? Promise.resolve()
    this.#draining.push(call)
    this.#host.onAbandoned(projectedEnd, call)
  }

  /** Skip every group not started yet. */
  #skipPending(kind: SkipReason, reasonOf: (p: Pending) => SkipReason = () => kind): void {
    for (const { pending, reason } of this.#plan.skipAll(reasonOf)) {
      const detail = reason === 'budget' ? pending.budgetDetail : undefined
      this.#record({
        sessionId: this.id,
        key: pending.group.key,
        index: pending.group.index,
        status: 'skipped',
        reason,
        ...(detail !== undefined && { detail }),
      })
    }
  }

  #record(outcome: GroupOutcome): void {
    this.#outcomes.push(Object.freeze(outcome))
    this.#host.metrics.outcome(outcome)
    this.#out.outcome(outcome)
  }

  // ---- settling ------------------------------------------------------------------------------

  #finish(): void {
    if (this.#settling || this.#inFlight.size > 0) return
    if (this.#plan.pending.length > 0 && this.#stop === undefined && this.#refused === undefined) {
      if (this.#state === 'running') return // more to start
      if (this.#state === 'queued') return // waits for the engine
    }
    this.#settling = true
    this.#deadlineTimer?.cancel()
    if (this.#onSignal) this.#opts.signal?.removeEventListener('abort', this.#onSignal)
    // Never settle synchronously: callers of cancel()/startSession() see a consistent engine first.
    void this.#drain().then((drained) => this.#settle(drained))
  }

  /** Wait for abandoned prover calls to return, at most drainTimeoutMs. */
  #drain(): Promise<boolean> {
    return drainCalls(this.#host.clock, this.#draining, this.#host.drainTimeoutMs)
  }

  #settle(drained: boolean): void {
    const settledAt = this.#host.clock.now()
    this.#state = 'settled'
    const summary = summarise({
      sessionId: this.id,
      ...(this.#refused !== undefined && { refused: this.#refused }),
      ...(this.#cancelReason !== undefined && { cancelReason: this.#cancelReason }),
      ...(this.#stop !== undefined && { stop: this.#stop }),
      considered: this.#snapshot.inputCount,
      outcomes: this.#outcomes,
      plan: this.#plan.entries(),
      ...(this.deadlineAt !== undefined && { deadlineAt: this.deadlineAt }),
      createdAt: this.#createdAt,
      ...(this.#startedAt !== undefined && { startedAt: this.#startedAt }),
      settledAt,
      drained,
    })
    const metrics = this.#host.metrics
    if (summary.outcome !== 'refused') metrics.session(summary.outcome)
    if (this.#startedAt !== undefined) metrics.sessionDuration((settledAt - this.#startedAt) / 1000)
    this.#host.logger.debug('session settled', {
      sessionId: this.id,
      outcome: summary.outcome,
      aggregated: summary.aggregated,
      skipped: summary.skipped,
      failed: summary.failed,
      cancelled: summary.cancelled,
      late: summary.late,
      admitted: summary.admitted,
      elapsedMs: summary.elapsedMs,
    })
    this.#host.onSettled(this)
    this.#out.settle(summary)
  }
}
