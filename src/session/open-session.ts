/**
 * An open session: a session that takes votes while it runs. Votes and child aggregates come in
 * through `add()` until the cutoff; arrival-plan.ts decides when each group's proof starts and when
 * a group is proved again from its larger raw set; every result streams as it lands, saying which
 * earlier result of its group it improves on. At settle each group gets one outcome (its best
 * aggregate) and the summary says how much of each group was covered before the deadline.
 */
import type { Aggregate } from '../aggregate.js'
import { LeanAggError, closedError } from '../errors.js'
import { nextArrivalStep } from './arrival-plan.js'
import type { ArrivalCandidate } from './arrival-plan.js'
import { timer } from './clock.js'
import type { EngineSession, SessionHost } from './host.js'
import { OpenGroups } from './open-group.js'
import type { OpenGroup } from './open-group.js'
import type { AddReceipt, ProofInput } from './open-group.js'
import { invalidArg } from './options.js'
import type { ResolvedOpenSessionOptions } from './options.js'
import type { OpenAggregationSession, RefusedReason, SessionSummary } from './outcomes.js'
import { launchProof, safeEstimate, safeSlowdown, safeSpread } from './proving.js'
import type { GroupInput } from './snapshot.js'
import { SessionCore, abandonError, groupResult } from './session-core.js'
import { coverageOf, outcomeOf, planEntries } from './open-summary.js'
import { summarise } from './summary.js'
import type { StopKind } from './summary.js'
import type { Admission, ErrorCode } from './types.js'
import { advanceWork, earliestStart, lastEnd, projectedEnds, remainingMs, startWork } from './work.js'
import type { Work } from './work.js'

export { resolveOpenSessionOptions } from './options.js'
export type { OpenSessionOptions } from './options.js'
export type { OpenAggregationSession } from './outcomes.js'

interface Run extends Work {
  readonly group: OpenGroup
  readonly input: ProofInput
  readonly controller: AbortController
  readonly startedAt: number
  readonly admission: Admission
  /** No other session's proof held the prover when it started: its time is a fair sample. */
  readonly clean: boolean
  call?: Promise<unknown>
  abandoned: boolean
  recorded: boolean
}

export class OpenSession extends SessionCore implements EngineSession, OpenAggregationSession {
  readonly deadlineAt: number
  readonly cutoffAt: number

  readonly #opts: ResolvedOpenSessionOptions
  #sealed = false
  readonly #groups = new OpenGroups()
  /** The groups in order of first arrival. */
  readonly #order: readonly OpenGroup[] = this.#groups.order
  readonly #inFlight = new Set<Run>()
  readonly #timers: { deadline?: { cancel(): void }; cutoff?: { cancel(): void }; wake?: { at: number; t: { cancel(): void } } } = {}

  constructor(id: number, opts: ResolvedOpenSessionOptions, host: SessionHost) {
    super(id, host, opts.concurrency)
    this.#opts = opts
    this.deadlineAt = opts.deadlineAt
    this.cutoffAt = opts.cutoffAt
  }

  get sealed(): boolean {
    return this.#sealed || this.host.clock.now() >= this.cutoffAt
  }

  add(input: GroupInput): AddReceipt {
    return this.addMany([input])[0]!
  }

  addMany(inputs: readonly GroupInput[]): AddReceipt[] {
    if (!Array.isArray(inputs)) invalidArg('addMany takes an array of groups')
    this.#checkOpen()
    const receipts = this.#groups.take(inputs, this.host.clock.now())
    if (this.phase === 'running') this.#pump()
    return receipts
  }

  seal(): void {
    if (this.#sealed) return
    this.#sealed = true
    this.#timers.cutoff?.cancel()
    if (this.phase === 'running' && this.stopped === undefined) this.#pump()
  }

  cancel(reason?: string): void {
    if (this.phase === 'settled' || this.settling || (this.stopped !== undefined && this.stopped !== 'deadline')) return
    this.cancelReason = reason
    this.stop('cancelled')
  }

  // ---- engine-facing -------------------------------------------------------------------------

  get groupsRemaining(): number {
    return this.#order.filter((g) => this.#isOpen(g)).length + this.#inFlight.size
  }

  get currentGroupStartedAt(): number | undefined {
    return earliestStart(this.#inFlight)
  }

  projectedEnd(now: number): number {
    return lastEnd(this.#inFlight, now, this.#slowdown)
  }

  arm(): void {
    const { clock } = this.host
    // Its timers start work that callers await (`done`): they keep the process alive, bounded by the deadline.
    this.#timers.deadline = timer(clock, this.deadlineAt - clock.now(), () => this.stop('deadline'), true)
    if (this.cutoffAt < this.deadlineAt) this.#timers.cutoff = timer(clock, this.cutoffAt - clock.now(), () => this.seal(), true)
    this.watch(this.#opts.signal)
  }

  start(): void {
    if (this.phase !== 'queued' || this.stopped !== undefined) return
    this.begin('open session', { groups: this.#order.length })
    this.#pump()
  }

  refuse(reason: RefusedReason): void {
    this.refused = reason
    this.#sealed = true
    this.host.metrics.session(reason === 'closed' ? 'closed' : 'skipped')
    this.#finish()
  }

  stop(kind: StopKind): void {
    if (this.phase === 'settled' || this.settling) return
    if (kind === 'deadline' ? this.stopped !== undefined : this.stopped !== undefined && this.stopped !== 'deadline') return
    this.stopped = kind
    this.#sealed = true
    this.#timers.cutoff?.cancel()
    const now = this.host.clock.now()
    advanceWork(this.#inFlight, now, this.#slowdown)
    const ends = projectedEnds(this.#inFlight, now, this.#slowdown)
    for (const run of [...this.#inFlight]) {
      if (kind !== 'deadline') this.#abandon(run, { status: 'cancelled', reason: kind, startedAt: run.startedAt }, ends.get(run) ?? now)
      else if (this.#opts.late === 'drop') this.#abandon(run, { status: 'late-dropped', startedAt: run.startedAt }, ends.get(run) ?? now)
    }
    if (kind === 'deadline') {
      this.host.logger.debug('open session deadline', { sessionId: this.id, inFlight: this.#inFlight.size })
      if (this.phase === 'running') this.#pump() // a head group never proved may still start late
      if (this.#inFlight.size > 0) this.host.onDeadline(this)
    }
    this.host.onProgress(this)
    this.#finish()
  }

  // ---- planning ------------------------------------------------------------------------------

  #checkOpen(): void {
    if (this.refused === 'closed' || this.stopped === 'closed') throw closedError('the engine is closed')
    if (this.phase === 'settled' || this.settling || this.stopped !== undefined || this.refused !== undefined) {
      throw new LeanAggError(
        'SESSION_SEALED',
        `session ${this.id} takes no more votes: it ${this.refused ? `was refused (${this.refused})` : `stopped (${this.stopped ?? 'settled'})`}`,
      )
    }
    if (this.sealed) throw new LeanAggError('SESSION_SEALED', `session ${this.id} takes no more votes: ${this.#sealed ? 'sealed' : 'past its cutoff'}`)
  }

  /** No more votes will come, or every vote expected is in: no group waits for more. */
  get #settled(): boolean {
    return this.sealed || (this.#opts.expectedVotes !== undefined && this.#groups.votes >= this.#opts.expectedVotes)
  }

  /** A group a new proof would add signers to. */
  #isOpen(g: OpenGroup): boolean {
    return g.failure === undefined && g.signersOf(g.raw) > g.covered && g.raw + g.childCount >= this.#minInputs
  }

  get #minInputs(): number {
    return this.#opts.includeTrivial ? 1 : 2
  }

  #pump(): void {
    const { clock } = this.host
    while (this.phase === 'running' && !this.settling && (this.stopped === undefined || this.stopped === 'deadline')) {
      const now = clock.now()
      if (this.stopped === undefined && now >= this.deadlineAt) {
        this.stop('deadline')
        return
      }
      advanceWork(this.#inFlight, now, this.#slowdown)
      const foreignFreeAt = this.host.laneFreeAt(this)
      const step = nextArrivalStep({
        now,
        deadlineAt: this.deadlineAt,
        sealed: this.#settled,
        candidates: this.#order.map((g) => this.#candidate(g, now, foreignFreeAt)),
        running: [...this.#inFlight].map((r) => ({ remainingMs: remainingMs(r), mustFit: r.admission === 'fits' })),
        lanes: this.lanes,
        foreignFreeAt,
        admission: this.#opts.admission,
        slowdown: this.#slowdown,
        minInputs: this.#minInputs,
        childrenOf: (index) => this.#order[index]!.childCount,
        spreadMs: safeSpread(this.host.estimator),
      })
      if (step.kind === 'start') {
        this.#startProof(this.#order[step.index]!, step.take, step.admission, now, foreignFreeAt)
        continue
      }
      if (step.until !== undefined) this.#wakeAt(step.until)
      break
    }
    this.host.onProgress(this)
    this.#finish()
  }

  #candidate(g: OpenGroup, now: number, foreignFreeAt: number): ArrivalCandidate {
    const estimateMs = (take: number) => safeEstimate(this.host.estimator, this.host.logger, take, g.childCount)
    g.estimateMs = estimateMs(g.raw)
    const admission = this.#opts.admission
    if (admission !== false && Math.max(now, foreignFreeAt) + g.estimateMs * admission.factor + admission.marginMs > this.deadlineAt) g.overBudget = true
    return g.candidate({ now, estimateMs, quietMs: this.#opts.quietMs, settled: this.#settled, cutoffAt: this.cutoffAt })
  }

  /** One wake-up timer, at the earliest time a plan asked for. */
  #wakeAt(at: number): void {
    const wake = this.#timers.wake
    if (wake !== undefined && wake.at <= at) return
    wake?.t.cancel()
    const t = timer(
      this.host.clock,
      at - this.host.clock.now(),
      () => {
        this.#timers.wake = undefined
        this.#pump()
      },
      true,
    )
    this.#timers.wake = { at, t }
  }

  readonly #slowdown = (k: number): number => safeSlowdown(this.host.estimator, k)

  // ---- proving -------------------------------------------------------------------------------

  #startProof(group: OpenGroup, take: number, admission: Admission, now: number, foreignFreeAt: number): void {
    const input = group.proofInput(take)
    const estimate = safeEstimate(this.host.estimator, this.host.logger, take, group.childCount)
    const run: Run = {
      ...startWork(estimate, Math.max(now, foreignFreeAt)),
      group,
      input,
      controller: new AbortController(),
      startedAt: now,
      admission,
      clean: foreignFreeAt <= now,
      abandoned: false,
      recorded: false,
    }
    this.#inFlight.add(run)
    group.inFlight.add(run)
    group.proofs++
    group.admission ??= admission
    this.host.metrics.admission(admission)
    this.host.logger.debug('open session proof started', { sessionId: this.id, key: group.key, signers: input.signerCount, admission })
    run.call = launchProof(
      this.host,
      this.#opts,
      input,
      run,
      this.id,
      (aggregate, provedAt) => this.#onProved(run, aggregate, provedAt),
      (code, detail) => this.#fail(run, code, detail),
    )
  }

  #onProved(run: Run, aggregate: Aggregate, provedAt: number): void {
    const { clock, metrics } = this.host
    const { group, input } = run
    const proveMs = provedAt - run.startedAt
    advanceWork(this.#inFlight, provedAt, this.#slowdown)
    if (run.clean) this.observe(run, input, proveMs)
    metrics.proveTime(input.signerCount, input.children.length, proveMs / 1000)
    // Read the aggregate before touching session state: its getters reach native code.
    const proofSize = aggregate.proofSize
    const signerCount = aggregate.signers?.length ?? input.signerCount
    const finishedAt = clock.now()
    const late = finishedAt > this.deadlineAt
    this.#settleRun(run)
    if (late) metrics.lateResult()
    const previous = group.best
    if (late && this.#opts.late === 'drop') {
      group.abandoned ??= { status: 'late-dropped', startedAt: run.startedAt }
      group.replacedMs += proveMs
    } else if (previous !== undefined && signerCount <= previous.signerCount) {
      // Overtaken while it ran (a second lane): an aggregate that adds nothing is not streamed.
      group.replacedMs += proveMs
    } else {
      if (previous !== undefined) group.replacedMs += previous.provedAt - previous.startedAt
      const result = groupResult({
        sessionId: this.id,
        seq: this.out.count,
        ...(previous !== undefined && { improves: previous.seq }),
        group: input,
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
      group.best = result
      if (!late) group.bestOnTime = result
      this.out.result(result)
    }
    this.#afterProof()
  }

  #fail(run: Run, code: ErrorCode, detail: string): void {
    this.#settleRun(run)
    // The same inputs would fail again: the group keeps what it has and is not proved again.
    run.group.failure = { code, detail }
    this.host.logger.warn('aggregation group failed', { sessionId: this.id, key: run.group.key, code, detail })
    this.#afterProof()
  }

  #settleRun(run: Run): void {
    advanceWork(this.#inFlight, this.host.clock.now(), this.#slowdown)
    this.#inFlight.delete(run)
    run.group.inFlight.delete(run)
    run.recorded = true
  }

  #afterProof(): void {
    if (this.stopped === undefined || this.stopped === 'deadline') this.#pump()
    else {
      this.host.onProgress(this)
      this.#finish()
    }
  }

  #abandon(run: Run, outcome: NonNullable<OpenGroup['abandoned']>, projectedEnd: number): void {
    const now = this.host.clock.now()
    const elapsed = now - run.startedAt
    // A clean proof dropped at the deadline after E ms took at least E: learn it if the estimate was lower.
    if (outcome.status === 'late-dropped' && run.clean && elapsed > run.estimateMs) this.observe(run, run.input, elapsed)
    this.#settleRun(run)
    run.group.abandoned ??= outcome
    run.group.replacedMs += elapsed
    this.release(run, abandonError(this.id, outcome.status === 'cancelled' ? outcome.reason : 'deadline'), projectedEnd)
    if (outcome.status === 'late-dropped') this.host.metrics.lateResult()
  }

  // ---- settling ------------------------------------------------------------------------------

  #finish(): void {
    if (this.settling || this.#inFlight.size > 0) return
    if (this.refused === undefined) {
      if (this.phase === 'queued') return // waits for the engine
      // Before the deadline it ends early only when sealed with nothing left to prove.
      if (this.stopped === undefined && (!this.sealed || this.#order.some((g) => this.#isOpen(g)))) return
    }
    this.#timers.deadline?.cancel()
    this.#timers.cutoff?.cancel()
    this.#timers.wake?.t.cancel()
    this.settleAfterDrain((drained) => this.#settle(drained))
  }

  #settle(drained: boolean): void {
    const settledAt = this.host.clock.now()
    const ended = {
      sessionId: this.id,
      minInputs: this.#minInputs,
      ...(this.refused !== undefined && { refused: this.refused }),
      ...(this.stopped !== undefined && { stop: this.stopped }),
    }
    const outcomes = this.#order.map((g) => Object.freeze(outcomeOf(g, ended)))
    for (const o of outcomes) {
      this.host.metrics.outcome(o)
      this.out.outcome(o)
    }
    const base = summarise({
      ...this.summaryBase(settledAt, drained, this.deadlineAt),
      considered: this.#order.length,
      outcomes,
      plan: planEntries(this.#order, outcomes),
    })
    const summary: SessionSummary = Object.freeze({ ...base, coverage: coverageOf(this.#order) })
    this.publish(summary, 'open session', { ...summary.coverage, groups: undefined })
  }
}
