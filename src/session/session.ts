/**
 * One aggregation session: the state machine. It proves the groups of a snapshot in the order the
 * planner (plan.ts) picks, streams each result as it finishes, stops at its deadline or on cancel,
 * and always settles with one outcome per group (summary.ts tallies them).
 */
import type { Aggregate } from '../aggregate.js'
import { timer } from './clock.js'
import type { EngineSession, SessionHost } from './host.js'
import type { ResolvedSessionOptions } from './options.js'
import type { GroupOutcome, RefusedReason } from './outcomes.js'
import { nextStep } from './plan.js'
import type { RunningWork } from './plan.js'
import { PlanBook } from './plan-book.js'
import type { Pending } from './plan-book.js'
import { launchProof, safeEstimate, safeSlowdown } from './proving.js'
import type { Snapshot, SnapshotGroup } from './snapshot.js'
import { SessionCore, abandonError, groupResult } from './session-core.js'
import { summarise } from './summary.js'
import type { StopKind } from './summary.js'
import type { AbandonReason, Admission, ErrorCode, SkipReason } from './types.js'
import { advanceWork, earliestStart, lastEnd, projectedEnds, remainingMs, startWork } from './work.js'
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

export class Session extends SessionCore implements EngineSession {
  readonly deadlineAt: number | undefined

  readonly #snapshot: Snapshot
  readonly #opts: ResolvedSessionOptions
  #startedAny = false
  readonly #plan: PlanBook
  readonly #inFlight = new Set<Running>()
  readonly #outcomes: GroupOutcome[] = []
  #deadlineTimer: { cancel(): void } | undefined

  constructor(id: number, snapshot: Snapshot, opts: ResolvedSessionOptions, host: SessionHost) {
    super(id, host, opts.concurrency)
    this.#snapshot = snapshot
    this.#opts = opts
    this.deadlineAt = opts.deadlineAt
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

  cancel(reason?: string): void {
    if (this.phase === 'settled' || this.settling || this.stopped !== undefined) return
    this.cancelReason = reason
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
      this.#deadlineTimer = timer(this.host.clock, deadlineAt - this.host.clock.now(), () => this.#onDeadline())
    }
    this.watch(signal)
  }

  start(): void {
    if (this.phase !== 'queued' || this.stopped !== undefined) return
    this.begin('session', { groups: this.#snapshot.groups.length })
    this.#pump()
  }

  refuse(reason: RefusedReason): void {
    this.refused = reason
    this.#skipPending(reason === 'closed' ? 'closed' : 'busy')
    this.host.metrics.session(reason === 'closed' ? 'closed' : 'skipped')
    this.#finish()
  }

  /** Stop starting groups; abandon in-flight proofs (or, at the deadline, keep them per `late`). */
  stop(kind: StopKind): void {
    if (this.phase === 'settled' || this.settling) return
    if (kind === 'deadline') {
      if (this.stopped !== undefined) return
    } else if (this.stopped !== undefined && this.stopped !== 'deadline') return
    this.stopped = kind
    // At the deadline a group that never fitted was over budget; one that did ran out of time.
    this.#skipPending(kind, (p) => (kind === 'deadline' && p.fitted === false ? 'budget' : kind))
    const now = this.host.clock.now()
    advanceWork(this.#inFlight, now, this.#slowdown)
    const ends = projectedEnds(this.#inFlight, now, this.#slowdown)
    for (const run of [...this.#inFlight]) {
      if (kind !== 'deadline') this.#abandon(run, { status: 'cancelled', reason: kind }, ends.get(run) ?? now)
      else if (this.#opts.late === 'drop') this.#abandon(run, { status: 'late-dropped' }, ends.get(run) ?? now)
    }
    if (kind === 'deadline' && this.#inFlight.size > 0) this.host.onDeadline(this)
    this.host.onProgress(this)
    this.#finish()
  }

  // ---- planning ------------------------------------------------------------------------------

  #onDeadline(): void {
    this.#deadlineTimer = undefined
    this.host.logger.debug('session deadline', { sessionId: this.id, inFlight: this.#inFlight.size })
    this.stop('deadline')
  }

  #pump(): void {
    const { clock } = this.host
    const { deadlineAt, admission } = this.#opts
    const checked = deadlineAt !== undefined && admission !== false
    while (this.phase === 'running' && this.stopped === undefined) {
      const now = clock.now()
      if (deadlineAt !== undefined && now >= deadlineAt) {
        this.stop('deadline')
        return
      }
      advanceWork(this.#inFlight, now, this.#slowdown)
      const foreignFreeAt = this.host.laneFreeAt(this)
      const startAt = Math.max(now, foreignFreeAt)
      this.#plan.refresh(this.#estimate, checked ? { startAt, deadlineAt, admission } : undefined)
      const step = nextStep({
        now,
        deadlineAt,
        pending: this.#plan.pending,
        running: [...this.#inFlight].map((r): RunningWork => ({ remainingMs: remainingMs(r), mustFit: r.admission === 'fits' })),
        lanes: this.lanes,
        foreignFreeAt,
        admission,
        slowdown: this.#slowdown,
        probeDue: checked && admission.probeAfter > 0 && !this.#startedAny && this.host.blockedSessions() >= admission.probeAfter,
      })
      if (step.kind === 'start') {
        this.#startGroup(step.item as Pending, step.admission, now, foreignFreeAt)
        continue
      }
      if (step.kind === 'give-up') {
        if (!this.#startedAny) this.host.recordAdmission(true)
        this.#skipPending('budget')
      }
      break
    }
    this.host.onProgress(this)
    this.#finish()
  }

  /** An injected estimator that throws or returns nonsense counts as "no estimate" (0 ms). */
  readonly #estimate = (group: SnapshotGroup): number => safeEstimate(this.host.estimator, this.host.logger, group.signatures.length, group.children.length)

  readonly #slowdown = (k: number): number => safeSlowdown(this.host.estimator, k)

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
    this.host.metrics.admission(admission)
    if (this.#opts.deadlineAt !== undefined && this.#opts.admission !== false) this.host.recordAdmission(false)
    if (admission === 'best-effort' || admission === 'probe') {
      this.host.logger.debug(`group started: ${admission}`, { sessionId: this.id, key: group.key, estimateMs: Math.round(item.estimateMs) })
    }
    run.call = launchProof(
      this.host,
      this.#opts,
      group,
      run,
      this.id,
      (aggregate, provedAt) => this.#onProved(run, aggregate, provedAt),
      (code, detail) => this.#fail(run, code, detail),
    )
  }

  #onProved(run: Running, aggregate: Aggregate, provedAt: number): void {
    const { clock, metrics } = this.host
    const { group } = run
    const proveMs = provedAt - run.startedAt
    advanceWork(this.#inFlight, provedAt, this.#slowdown)
    if (run.clean) this.observe(run, run.group, proveMs)
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
      const result = groupResult({
        sessionId: this.id,
        seq: this.out.count,
        group,
        aggregate,
        signerCount,
        proofSize,
        queuedAt: this.createdAt,
        startedAt: run.startedAt,
        provedAt,
        finishedAt,
        late,
        verified: this.#opts.verify,
        admission: run.admission,
      })
      this.out.result(result)
      this.#record({ sessionId: this.id, key: group.key, index: group.index, status: 'aggregated', late, result })
    }
    this.#afterGroup()
  }

  #fail(run: Running, code: ErrorCode, detail: string): void {
    advanceWork(this.#inFlight, this.host.clock.now(), this.#slowdown)
    this.#inFlight.delete(run)
    run.recorded = true
    this.host.logger.warn('aggregation group failed', { sessionId: this.id, key: run.group.key, code, detail })
    this.#record({ sessionId: this.id, key: run.group.key, index: run.group.index, status: 'failed', code, detail })
    this.#afterGroup()
  }

  #afterGroup(): void {
    if (this.stopped === undefined) this.#pump()
    else {
      this.host.onProgress(this)
      this.#finish()
    }
  }

  #abandon(run: Running, outcome: { status: 'cancelled'; reason: AbandonReason } | { status: 'late-dropped' }, projectedEnd: number): void {
    const now = this.host.clock.now()
    // A clean proof dropped at the deadline after E ms took at least E: learn it if the estimate was lower.
    const elapsed = now - run.startedAt
    if (outcome.status === 'late-dropped' && run.clean && elapsed > run.estimateMs) this.observe(run, run.group, elapsed)
    run.recorded = true
    this.#inFlight.delete(run)
    this.release(run, abandonError(this.id, outcome.status === 'cancelled' ? outcome.reason : 'deadline'), projectedEnd)
    if (outcome.status === 'late-dropped') this.host.metrics.lateResult()
    this.#record({ sessionId: this.id, key: run.group.key, index: run.group.index, startedAt: run.startedAt, ...outcome })
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
    this.host.metrics.outcome(outcome)
    this.out.outcome(outcome)
  }

  // ---- settling ------------------------------------------------------------------------------

  #finish(): void {
    if (this.settling || this.#inFlight.size > 0) return
    if (this.#plan.pending.length > 0 && this.stopped === undefined && this.refused === undefined) {
      if (this.phase === 'running') return // more to start
      if (this.phase === 'queued') return // waits for the engine
    }
    this.#deadlineTimer?.cancel()
    this.settleAfterDrain((drained) => this.#settle(drained))
  }

  #settle(drained: boolean): void {
    const summary = summarise({
      ...this.summaryBase(this.host.clock.now(), drained, this.deadlineAt),
      considered: this.#snapshot.inputCount,
      outcomes: this.#outcomes,
      plan: this.#plan.entries(),
    })
    this.publish(summary, 'session', {
      aggregated: summary.aggregated,
      skipped: summary.skipped,
      failed: summary.failed,
      cancelled: summary.cancelled,
      late: summary.late,
      admitted: summary.admitted,
      elapsedMs: summary.elapsedMs,
    })
  }
}
