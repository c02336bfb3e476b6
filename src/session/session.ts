/**
 * One aggregation session: proves the groups of a snapshot in order, streams each result as it
 * finishes, stops at its deadline or on cancel, and always settles with one outcome per group.
 */
import type { Aggregate } from '../aggregate.js'
import { abortedError, closedError } from '../errors.js'
import type { LeanAggError } from '../errors.js'
import { timer } from './clock.js'
import type { CostEstimator } from './estimator.js'
import { codeOf, messageOf } from './fail.js'
import type { EngineMetrics } from './metrics.js'
import type { Snapshot, SnapshotGroup } from './snapshot.js'
import { Listeners, ReplayLog } from './stream.js'
import type {
  AbandonReason,
  BusyPolicy,
  Clock,
  ErrorCode,
  GroupProver,
  LatePolicy,
  Logger,
  SkipReason,
} from './types.js'

export interface AdmissionOptions {
  /** Multiply the estimate by this before checking it fits. Default 1.1. */
  factor?: number
  /** Added to the scaled estimate, for publishing and scheduling slack. Default 0. */
  marginMs?: number
}

export interface SessionOptions {
  /** Absolute deadline (clock ms, epoch by default). The earlier one wins if both are given. */
  deadlineAt?: number
  /** Deadline in ms from the `startSession` call (not from when a queued session starts). */
  deadlineMs?: number
  /** What to do with a proof that finishes after the deadline. Default 'deliver'. */
  late?: LatePolicy
  /** Policy if another session is running. Default: the engine's. */
  busy?: BusyPolicy
  /** Groups proving at once. Default 1: the prover has one proving lane anyway. */
  concurrency?: number
  /** Verify each aggregate before delivering it. Default false. */
  verify?: boolean
  logInvRate?: number
  /** Aborting it cancels the session, like `cancel()`. */
  signal?: AbortSignal
  /** Admission control against the deadline; `false` starts every group until the deadline. */
  admission?: AdmissionOptions | false
}

export interface GroupResult {
  /** The session that produced it (library-generated, never a slot). */
  readonly sessionId: number
  readonly key: string
  readonly index: number
  readonly aggregate: Aggregate
  /** Distinct signers covered by the aggregate. */
  readonly signerCount: number
  readonly signatureCount: number
  readonly childCount: number
  readonly proofSize: number
  /** Clock ms: when the session was created, the proof submitted, the proof returned, the result ready. */
  readonly queuedAt: number
  readonly startedAt: number
  readonly provedAt: number
  readonly finishedAt: number
  /** Finished after the session's deadline. */
  readonly late: boolean
  readonly verified: boolean
}

interface OutcomeBase {
  readonly sessionId: number
  /** Absent only for an invalid input whose message or slot could not be read. */
  readonly key?: string
  /** Position in the snapshot's input. */
  readonly index: number
}

export type GroupOutcome =
  | (OutcomeBase & { readonly status: 'aggregated'; readonly late: boolean; readonly result: GroupResult })
  | (OutcomeBase & {
      readonly status: 'skipped'
      readonly reason: SkipReason
      readonly code?: ErrorCode
      readonly detail?: string
      /** For 'duplicate' and 'merged': the key of the group that absorbed it. */
      readonly into?: string
    })
  | (OutcomeBase & { readonly status: 'failed'; readonly code: ErrorCode; readonly detail: string })
  /** Was proving when the session was cancelled: the proof was abandoned, its result is never delivered. */
  | (OutcomeBase & { readonly status: 'cancelled'; readonly reason: AbandonReason; readonly startedAt: number })
  /** Was proving at the deadline with `late: 'drop'`, or finished late and was dropped. */
  | (OutcomeBase & { readonly status: 'late-dropped'; readonly startedAt: number })

export type SessionOutcome = 'completed' | 'deadline' | 'cancelled' | 'superseded' | 'closed' | 'refused'
export type RefusedReason = 'busy' | 'queue-full' | 'closed'

export interface SessionSummary {
  readonly sessionId: number
  readonly outcome: SessionOutcome
  readonly refusedReason?: RefusedReason
  /** The caller's reason passed to `cancel()`, if any. */
  readonly cancelReason?: string
  /** For refused sessions: the typed error a throwing API would have raised. */
  readonly error?: LeanAggError
  /** Input groups; each appears exactly once in `outcomes`. */
  readonly considered: number
  readonly aggregated: number
  readonly skipped: number
  readonly skippedByReason: Readonly<Partial<Record<SkipReason, number>>>
  readonly failed: number
  readonly failedByCode: Readonly<Partial<Record<ErrorCode, number>>>
  /** Proofs abandoned while running (cancel, supersede, close). */
  readonly cancelled: number
  /** Groups that finished, or were still proving, after the deadline (delivered or dropped). */
  readonly late: number
  readonly deadlineAt?: number
  readonly createdAt: number
  /** When it began proving; absent if it never ran. */
  readonly startedAt?: number
  readonly settledAt: number
  /** settledAt - createdAt. */
  readonly elapsedMs: number
  /** False if an abandoned prover call had not returned within the drain budget. */
  readonly drained: boolean
  /** Sorted by input index. */
  readonly outcomes: readonly GroupOutcome[]
}

export interface SessionEvents extends Record<string, unknown> {
  result: GroupResult
  outcome: GroupOutcome
  done: SessionSummary
}

export type SessionState = 'queued' | 'running' | 'settled'

/** What `startSession` returns. */
export interface AggregationSession extends AsyncIterable<GroupResult> {
  readonly id: number
  readonly state: SessionState
  readonly deadlineAt: number | undefined
  /** Results in completion order; every reader replays from the first and ends when the session settles. */
  results(): AsyncIterableIterator<GroupResult>
  on<E extends keyof SessionEvents>(event: E, fn: (value: SessionEvents[E]) => void): () => void
  /** No new group starts; a proof in flight is abandoned. Never waits, never throws. */
  cancel(reason?: string): void
  /** Always resolves, never rejects. */
  readonly done: Promise<SessionSummary>
}

/** What a session needs from its engine. */
export interface SessionHost {
  readonly prover: GroupProver
  readonly estimator: CostEstimator
  readonly metrics: EngineMetrics
  readonly clock: Clock
  readonly logger: Logger
  readonly drainTimeoutMs: number
  /** Projected clock ms at which abandoned native proofs free the proving lane. */
  abandonedUntil(): number
  onAbandoned(projectedEnd: number, call: Promise<unknown>): void
  onProgress(session: Session): void
  onSettled(session: Session): void
}

export interface ResolvedSessionOptions {
  deadlineAt: number | undefined
  late: LatePolicy
  concurrency: number
  verify: boolean
  logInvRate: number | undefined
  admission: Required<AdmissionOptions> | false
  signal: AbortSignal | undefined
}

interface Running {
  readonly group: SnapshotGroup
  readonly controller: AbortController
  readonly startedAt: number
  readonly estimateMs: number
  /** Lane known free at start: the measured time is a fair estimator sample. */
  readonly clean: boolean
  call?: Promise<unknown>
  abandoned: boolean
  /** An outcome was recorded for it. */
  recorded: boolean
}

type StopKind = AbandonReason | 'deadline'

export class Session implements AggregationSession {
  readonly id: number
  readonly deadlineAt: number | undefined
  readonly done: Promise<SessionSummary>

  readonly #host: SessionHost
  readonly #snapshot: Snapshot
  readonly #opts: ResolvedSessionOptions
  readonly #createdAt: number
  #startedAt: number | undefined
  #state: SessionState = 'queued'
  #stop: StopKind | undefined
  #cancelReason: string | undefined
  #refused: RefusedReason | undefined
  #settling = false
  #next = 0
  #projectedFree = 0
  readonly #inFlight = new Set<Running>()
  readonly #draining: Promise<unknown>[] = []
  readonly #outcomes: GroupOutcome[] = []
  readonly #log = new ReplayLog<GroupResult>()
  readonly #events: Listeners<SessionEvents>
  #resolveDone!: (s: SessionSummary) => void
  #summary: SessionSummary | undefined
  #deadlineTimer: { cancel(): void } | undefined
  #onSignal: (() => void) | undefined

  constructor(id: number, snapshot: Snapshot, opts: ResolvedSessionOptions, host: SessionHost) {
    this.id = id
    this.#snapshot = snapshot
    this.#opts = opts
    this.#host = host
    this.#createdAt = host.clock.now()
    this.deadlineAt = opts.deadlineAt
    this.done = new Promise((resolve) => (this.#resolveDone = resolve))
    this.#events = new Listeners((event, err) =>
      host.logger.warn('session listener threw', { sessionId: id, event: String(event), err }),
    )
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
    return this.#log.reader()
  }

  results(): AsyncIterableIterator<GroupResult> {
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

  cancel(reason?: string): void {
    if (this.#state === 'settled' || this.#settling || this.#stop !== undefined) return
    this.#cancelReason = reason
    this.stop('cancelled')
  }

  // ---- engine-facing -------------------------------------------------------------------------

  /** Groups not finished yet, in-flight ones included. */
  get groupsRemaining(): number {
    return this.#snapshot.groups.length - this.#next + this.#inFlight.size
  }

  get currentGroupStartedAt(): number | undefined {
    let min: number | undefined
    for (const r of this.#inFlight) if (min === undefined || r.startedAt < min) min = r.startedAt
    return min
  }

  /** Arm the deadline and the caller's signal; called once, refused sessions excepted. */
  arm(): void {
    const { deadlineAt, signal } = this.#opts
    if (deadlineAt !== undefined) {
      this.#deadlineTimer = timer(this.#host.clock, deadlineAt - this.#host.clock.now(), () => this.#onDeadline())
    }
    if (signal !== undefined) {
      this.#onSignal = () => this.cancel(signal.reason === undefined ? 'aborted' : messageOf(signal.reason))
      if (signal.aborted) this.#onSignal()
      else signal.addEventListener('abort', this.#onSignal, { once: true })
    }
  }

  start(): void {
    if (this.#state !== 'queued' || this.#stop !== undefined) return
    this.#state = 'running'
    this.#startedAt = this.#host.clock.now()
    this.#host.metrics.session('started')
    this.#host.logger.debug('session started', { sessionId: this.id, groups: this.#snapshot.groups.length })
    this.#pump()
  }

  refuse(reason: RefusedReason): void {
    this.#refused = reason
    const skip: SkipReason = reason === 'closed' ? 'closed' : 'busy'
    for (const g of this.#snapshot.groups) this.#skip(g, skip)
    this.#next = this.#snapshot.groups.length
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
    const skip: SkipReason = kind
    for (; this.#next < this.#snapshot.groups.length; this.#next++) this.#skip(this.#snapshot.groups[this.#next]!, skip)
    for (const run of [...this.#inFlight]) {
      if (kind !== 'deadline') this.#abandon(run, { status: 'cancelled', reason: kind })
      else if (this.#opts.late === 'drop') this.#abandon(run, { status: 'late-dropped' })
    }
    this.#host.onProgress(this)
    this.#finish()
  }

  // ---- proving -------------------------------------------------------------------------------

  #onDeadline(): void {
    this.#deadlineTimer = undefined
    this.#host.logger.debug('session deadline', { sessionId: this.id, inFlight: this.#inFlight.size })
    this.stop('deadline')
  }

  #pump(): void {
    const { clock, estimator } = this.#host
    const { concurrency, deadlineAt, admission } = this.#opts
    const groups = this.#snapshot.groups
    while (this.#state === 'running' && this.#stop === undefined && this.#inFlight.size < concurrency && this.#next < groups.length) {
      const now = clock.now()
      if (deadlineAt !== undefined && now >= deadlineAt) {
        this.stop('deadline')
        return
      }
      const group = groups[this.#next++]!
      const estimateMs = this.#estimate(estimator, group)
      if (admission !== false && deadlineAt !== undefined) {
        // The prover has one lane: count abandoned proofs and this session's in-flight ones ahead.
        const startAt = Math.max(now, this.#host.abandonedUntil(), this.#projectedFree)
        const needMs = estimateMs * admission.factor + admission.marginMs
        if (startAt + needMs > deadlineAt) {
          this.#skip(group, 'budget', `estimated ${Math.round(needMs)} ms, ${Math.max(0, deadlineAt - startAt)} ms left`)
          continue
        }
      }
      this.#startGroup(group, estimateMs, now)
    }
    this.#host.onProgress(this)
    this.#finish()
  }

  /** An injected estimator that throws or returns nonsense counts as "no estimate" (0 ms). */
  #estimate(estimator: CostEstimator, group: SnapshotGroup): number {
    try {
      const ms = estimator.estimate(group.signatures.length, group.children.length)
      return Number.isFinite(ms) && ms > 0 ? ms : 0
    } catch (err) {
      this.#host.logger.warn('estimator.estimate threw', { err })
      return 0
    }
  }

  #startGroup(group: SnapshotGroup, estimateMs: number, now: number): void {
    const run: Running = {
      group,
      controller: new AbortController(),
      startedAt: now,
      estimateMs,
      clean: this.#inFlight.size === 0 && now >= this.#host.abandonedUntil(),
      abandoned: false,
      recorded: false,
    }
    this.#projectedFree = Math.max(now, this.#projectedFree) + estimateMs
    this.#inFlight.add(run)
    let call: Promise<Aggregate>
    try {
      const options = { signal: run.controller.signal, ...(this.#opts.logInvRate !== undefined && { logInvRate: this.#opts.logInvRate }) }
      call = this.#host.prover.aggregate(group, options)
    } catch (err) {
      call = Promise.reject(err)
    }
    run.call = call
      .then(
        (aggregate) => this.#onProved(run, aggregate),
        (err) => this.#onFailed(run, err),
      )
      .catch((err: unknown) => {
        // A throwing getter or estimator must not leave the group unaccounted for.
        if (!run.recorded && !run.abandoned) this.#fail(run, codeOf(err), messageOf(err))
        else this.#host.logger.warn('error after a group finished', { sessionId: this.id, key: group.key, err })
      })
  }

  async #onProved(run: Running, aggregate: Aggregate): Promise<void> {
    if (run.abandoned) return // fenced: this session no longer owns the result
    const { clock, prover, estimator, metrics } = this.#host
    const provedAt = clock.now()
    const { group } = run
    const proveMs = provedAt - run.startedAt
    if (run.clean) {
      try {
        estimator.observe({ signers: group.signatures.length, children: group.children.length, ms: proveMs })
      } catch (err) {
        this.#host.logger.warn('estimator.observe threw', { err })
      }
    }
    metrics.proveTime(group.signerCount, group.children.length, proveMs / 1000)

    if (this.#opts.verify) {
      let ok: boolean
      try {
        ok = await prover.verifyAggregate(aggregate, { signal: run.controller.signal })
      } catch (err) {
        if (!run.abandoned) this.#fail(run, codeOf(err), `verification failed: ${messageOf(err)}`)
        return
      }
      if (run.abandoned) return
      if (!ok) {
        this.#fail(run, 'INVALID_AGGREGATE', 'the produced aggregate did not verify')
        return
      }
    }

    // Read the aggregate before touching session state: its getters reach native code.
    const proofSize = aggregate.proofSize
    const signerCount = aggregate.signers?.length ?? group.signerCount
    const finishedAt = clock.now()
    const late = this.deadlineAt !== undefined && finishedAt > this.deadlineAt
    this.#inFlight.delete(run)
    run.recorded = true
    if (late) metrics.lateResult()
    if (late && this.#opts.late === 'drop') {
      this.#record({ sessionId: this.id, key: group.key, index: group.index, status: 'late-dropped', startedAt: run.startedAt })
    } else {
      const result: GroupResult = Object.freeze({
        sessionId: this.id,
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
      })
      this.#log.push(result)
      this.#events.emit('result', result)
      this.#record({ sessionId: this.id, key: group.key, index: group.index, status: 'aggregated', late, result })
    }
    this.#afterGroup()
  }

  #onFailed(run: Running, err: unknown): void {
    if (run.abandoned) return
    this.#fail(run, codeOf(err), messageOf(err))
  }

  #fail(run: Running, code: ErrorCode, detail: string): void {
    this.#inFlight.delete(run)
    run.recorded = true
    this.#host.logger.warn('aggregation group failed', { sessionId: this.id, key: run.group.key, code, detail })
    this.#record({ sessionId: this.id, key: run.group.key, index: run.group.index, status: 'failed', code, detail })
    this.#afterGroup()
  }

  #afterGroup(): void {
    if (this.#inFlight.size === 0) this.#projectedFree = 0
    if (this.#stop === undefined) this.#pump()
    else {
      this.#host.onProgress(this)
      this.#finish()
    }
  }

  #abandon(run: Running, outcome: { status: 'cancelled'; reason: AbandonReason } | { status: 'late-dropped' }): void {
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
    // Native proofs cannot be interrupted: assume the lane stays busy until the estimate runs out.
    const call = run.call ?? Promise.resolve()
    this.#draining.push(call)
    this.#host.onAbandoned(run.startedAt + run.estimateMs, call)
  }

  #skip(group: SnapshotGroup, reason: SkipReason, detail?: string): void {
    this.#record({
      sessionId: this.id,
      key: group.key,
      index: group.index,
      status: 'skipped',
      reason,
      ...(detail !== undefined && { detail }),
    })
  }

  #record(outcome: GroupOutcome): void {
    this.#outcomes.push(Object.freeze(outcome))
    const metrics = this.#host.metrics
    switch (outcome.status) {
      case 'aggregated':
        metrics.groupOutcome('aggregated')
        break
      case 'skipped':
        metrics.groupOutcome('skipped', { reason: outcome.reason })
        break
      case 'failed':
        metrics.groupOutcome('failed', { code: outcome.code })
        break
      case 'cancelled':
        metrics.groupOutcome('cancelled')
        break
      case 'late-dropped':
        metrics.groupOutcome('late_dropped')
        break
    }
    this.#events.emit('outcome', outcome)
  }

  // ---- settling ------------------------------------------------------------------------------

  #finish(): void {
    if (this.#settling || this.#inFlight.size > 0) return
    if (this.#next < this.#snapshot.groups.length && this.#stop === undefined && this.#refused === undefined) {
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
  async #drain(): Promise<boolean> {
    if (this.#draining.length === 0) return true
    let t: { cancel(): void } | undefined
    const timeout = new Promise<false>((resolve) => (t = timer(this.#host.clock, this.#host.drainTimeoutMs, () => resolve(false))))
    const all = Promise.allSettled(this.#draining).then(() => true as const)
    const drained = await Promise.race([all, timeout])
    t?.cancel()
    return drained
  }

  #settle(drained: boolean): void {
    const settledAt = this.#host.clock.now()
    this.#state = 'settled'
    const outcome: SessionOutcome =
      this.#refused !== undefined
        ? 'refused'
        : this.#stop === 'deadline' || this.#stop === undefined
          ? this.#outcomes.some((o) => (o.status === 'skipped' && o.reason === 'deadline') || o.status === 'late-dropped')
            ? 'deadline'
            : 'completed'
          : this.#stop
    const skippedByReason: Partial<Record<SkipReason, number>> = {}
    const failedByCode: Partial<Record<ErrorCode, number>> = {}
    let aggregated = 0
    let skipped = 0
    let failed = 0
    let cancelled = 0
    let late = 0
    for (const o of this.#outcomes) {
      if (o.status === 'aggregated') {
        aggregated++
        if (o.late) late++
      } else if (o.status === 'skipped') {
        skipped++
        skippedByReason[o.reason] = (skippedByReason[o.reason] ?? 0) + 1
      } else if (o.status === 'failed') {
        failed++
        failedByCode[o.code] = (failedByCode[o.code] ?? 0) + 1
      } else if (o.status === 'cancelled') cancelled++
      else late++
    }
    const summary: SessionSummary = Object.freeze({
      sessionId: this.id,
      outcome,
      ...(this.#refused !== undefined && { refusedReason: this.#refused }),
      ...(this.#refused === 'closed' && { error: closedError('the engine is closed') }),
      ...(this.#cancelReason !== undefined && { cancelReason: this.#cancelReason }),
      considered: this.#snapshot.inputCount,
      aggregated,
      skipped,
      skippedByReason: Object.freeze(skippedByReason),
      failed,
      failedByCode: Object.freeze(failedByCode),
      cancelled,
      late,
      ...(this.deadlineAt !== undefined && { deadlineAt: this.deadlineAt }),
      createdAt: this.#createdAt,
      ...(this.#startedAt !== undefined && { startedAt: this.#startedAt }),
      settledAt,
      elapsedMs: settledAt - this.#createdAt,
      drained,
      outcomes: Object.freeze([...this.#outcomes].sort((a, b) => a.index - b.index)),
    })
    this.#summary = summary
    const metrics = this.#host.metrics
    if (outcome !== 'refused') metrics.session(outcome)
    if (this.#startedAt !== undefined) metrics.sessionDuration((settledAt - this.#startedAt) / 1000)
    this.#host.logger.debug('session settled', {
      sessionId: this.id,
      outcome,
      aggregated,
      skipped,
      failed,
      cancelled,
      late,
      elapsedMs: summary.elapsedMs,
    })
    this.#log.end()
    this.#host.onSettled(this)
    this.#events.emit('done', summary)
    this.#events.clear()
    this.#resolveDone(summary)
  }
}
