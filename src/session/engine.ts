/**
 * Many sessions, one prover: applies the busy policy, fences sessions from each other, keeps the
 * status value, and shuts down within a bounded time. Nothing here blocks or waits on a session.
 */
import { LeanAggError } from '../errors.js'
import { noopLogger } from '../logger.js'
import { DEFAULT_CLOSE_TIMEOUT_MS } from '../prover-options.js'
import { systemClock, within } from './clock.js'
import { OnlineCostEstimator } from './estimator.js'
import type { CostEstimator, CostPrior } from './estimator.js'
import { nextSessionId } from './ids.js'
import { EngineMetrics } from './metrics.js'
import type { PrometheusOptions } from './metrics.js'
import { checkBusy, checkCount, checkMs, invalidArg, resolveSessionOptions } from './options.js'
import type { SessionDefaults, SessionOptions } from './options.js'
import type { AggregationSession } from './outcomes.js'
import { OpenSession, resolveOpenSessionOptions } from './open-session.js'
import type { OpenAggregationSession, OpenSessionOptions } from './open-session.js'
import { Session } from './session.js'
import type { EngineSession, SessionHost } from './host.js'
import { buildSnapshot, isSnapshot } from './snapshot.js'
import type { GroupInput, Snapshot } from './snapshot.js'
import { StatusWatch } from './status.js'
import type { EngineStatus, WaitForOptions } from './status.js'
import type { BusyPolicy, Clock, GroupProver, Logger } from './types.js'

export type { SessionDefaults } from './options.js'

export interface EngineOptions {
  prover: GroupProver
  /**
   * When a session starts while another runs. Default 'cancel-previous': the newer slot's work
   * is worth more, and the old one drains in the background.
   */
  busy?: BusyPolicy
  /** Sessions waiting under 'queue'; more are refused. Default 1. */
  maxQueued?: number
  /** How long a cancelled session waits for its abandoned prover calls to return. Default 1000. */
  drainTimeoutMs?: number
  /** Replace the cost model (e.g. share one across engines). */
  estimator?: CostEstimator
  /** Prior for the default estimator. */
  prior?: Partial<CostPrior>
  clock?: Clock
  logger?: Logger
  /** Mirror metrics into a prom-client registry. */
  prometheus?: PrometheusOptions
  /** Defaults for every session's options. */
  defaults?: SessionDefaults
}

export interface CloseOptions {
  /** Upper bound on how long `close()` waits. Default DEFAULT_CLOSE_TIMEOUT_MS (2000). */
  timeoutMs?: number
}

export interface CloseReport {
  /** A native proof may still be running (in-process, where it cannot be stopped); its result will be dropped. */
  proofStillRunning: boolean
  /** Sessions running or queued when close was called. */
  sessionsCancelled: number
}

export class AggregationEngine {
  readonly estimator: CostEstimator
  readonly metrics: EngineMetrics
  /** Settles when metrics are registered with prom-client (at once without `prometheus`); never rejects. */
  readonly metricsReady: Promise<void>

  readonly #prover: GroupProver
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #busy: BusyPolicy
  readonly #maxQueued: number
  readonly #drainTimeoutMs: number
  readonly #defaults: SessionDefaults
  readonly #status: StatusWatch
  readonly #host: SessionHost
  #current: EngineSession | undefined
  readonly #queue: EngineSession[] = []
  /** Every session not settled yet, superseded ones draining included. */
  readonly #live = new Set<EngineSession>()
  /** Sessions past their deadline that only finish late proofs (late: 'deliver'). */
  readonly #finishingLate = new Set<EngineSession>()
  readonly #abandonedCalls = new Set<Promise<unknown>>()
  /** When abandoned native proofs are projected to have freed the prover (their calls settle at abort). */
  #abandonedUntil = 0
  /** Sessions in a row whose groups were all over budget (drives admission probes). */
  #blockedSessions = 0
  #closing: Promise<CloseReport> | undefined

  constructor(options: EngineOptions) {
    if (typeof options?.prover?.aggregate !== 'function') {
      throw new LeanAggError('INVALID_ARGUMENT', 'options.prover must implement aggregate()')
    }
    this.#prover = options.prover
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? noopLogger
    this.#busy = checkBusy(options.busy ?? 'cancel-previous')
    this.#maxQueued = checkCount(options.maxQueued ?? 1, 'maxQueued', 0)
    this.#drainTimeoutMs = checkMs(options.drainTimeoutMs ?? 1000, 'drainTimeoutMs')
    this.#defaults = options.defaults ?? {}
    this.estimator = options.estimator ?? new OnlineCostEstimator(options.prior ? { prior: options.prior } : {})
    this.metrics = new EngineMetrics(this.#logger)
    this.metricsReady = options.prometheus
      ? this.metrics.register(options.prometheus).catch((err) => this.#logger.warn('prom-client registration failed', { err }))
      : Promise.resolve()
    this.#status = new StatusWatch(this.#logger)

    const engine = this
    this.#host = {
      prover: this.#prover,
      estimator: this.estimator,
      metrics: this.metrics,
      clock: this.#clock,
      logger: this.#logger,
      drainTimeoutMs: this.#drainTimeoutMs,
      proverLanes: proverLanes(this.#prover),
      laneFreeAt: (session) => {
        const now = this.#clock.now()
        let at = this.#abandonedUntil
        for (const s of this.#finishingLate) if (s !== session) at = Math.max(at, s.projectedEnd(now))
        return at
      },
      blockedSessions: () => this.#blockedSessions,
      recordAdmission: (blocked) => {
        this.#blockedSessions = blocked ? this.#blockedSessions + 1 : 0
      },
      onDeadline: (session) => this.#onDeadline(session),
      onAbandoned(projectedEnd, call) {
        // A prover that stops a running proof (process isolation, the simulated prover) frees
        // the lane now; otherwise the proof runs on until its projected end, or until it returns.
        const end = engine.#prover.canStopRunningProof ? engine.#clock.now() : projectedEnd
        engine.#abandonedUntil = Math.max(engine.#abandonedUntil, end)
        engine.#abandonedCalls.add(call)
        const forget = () => void engine.#abandonedCalls.delete(call)
        call.then(forget, forget)
      },
      onProgress: (session) => {
        if (session === this.#current) this.#publishStatus()
      },
      onSettled: (session) => this.#onSettled(session),
    }
  }

  get status(): EngineStatus {
    return this.#status.value
  }

  get closed(): boolean {
    return this.#closing !== undefined
  }

  /** Called on every status change; returns the unsubscribe function. */
  onStatus(fn: (status: EngineStatus) => void): () => void {
    return this.#status.subscribe(fn)
  }

  /** The first status (the current one included) matching `predicate`; rejects CLOSED or ABORTED. */
  waitFor(predicate: (status: EngineStatus) => boolean, options?: WaitForOptions): Promise<EngineStatus> {
    return this.#status.waitFor(predicate, options)
  }

  /** True if a session started now with the default policy would not be refused. */
  canAcceptWork(): boolean {
    if (this.closed) return false
    if (this.#current === undefined) return true
    if (this.#busy === 'skip') return false
    if (this.#busy === 'queue') return this.#queue.length < this.#maxQueued
    return true
  }

  /**
   * Start proving `snapshot` (or groups, snapshotted now). Returns at once; a refused session
   * comes back already settling, with outcome 'refused'. Throws only on invalid options.
   */
  startSession(snapshot: Snapshot | readonly GroupInput[], options: SessionOptions = {}): AggregationSession {
    const snap = isSnapshot(snapshot)
      ? snapshot
      : Array.isArray(snapshot)
        ? buildSnapshot(snapshot)
        : invalidArg('startSession needs a snapshot from buildSnapshot() or an array of groups')
    const resolved = resolveSessionOptions(options, this.#defaults, this.#clock.now())
    const policy = checkBusy(options.busy ?? this.#busy)
    return this.#admit(new Session(nextSessionId(), snap, resolved, this.#host), policy)
  }

  /**
   * Open a session that takes votes while it runs: add signatures (and child aggregates) as they
   * arrive, until the cutoff; the engine proves each group once its votes settle, proves it again
   * from its larger raw set while that still fits before the deadline, and streams every result,
   * each saying which earlier one it improves on. Returns at once, like `startSession`.
   */
  openSession(options: OpenSessionOptions): OpenAggregationSession {
    const resolved = resolveOpenSessionOptions(options, this.#defaults, this.#clock.now())
    const policy = checkBusy(options.busy ?? this.#busy)
    return this.#admit(new OpenSession(nextSessionId(), resolved, this.#host), policy)
  }

  /** The busy policy: refuse, queue, or supersede what runs, then start. Nothing waits. */
  #admit<S extends EngineSession>(session: S, policy: BusyPolicy): S {
    if (this.closed) {
      session.refuse('closed')
      return session
    }
    const busy = this.#current !== undefined
    if (busy && policy === 'skip') {
      this.#logger.debug('session refused: busy', { sessionId: session.id, running: this.#current!.id })
      session.refuse('busy')
      return session
    }
    if (busy && policy === 'queue') {
      if (this.#queue.length >= this.#maxQueued) {
        this.#logger.warn('session refused: queue full', { sessionId: session.id, queued: this.#queue.length })
        session.refuse('queue-full')
        return session
      }
      this.#live.add(session)
      this.#queue.push(session)
      this.metrics.session('queued')
      session.arm()
      return session
    }
    if (busy) {
      // 'cancel-previous': everything older is superseded and drains on its own; nothing waits.
      for (const queued of this.#queue.splice(0)) queued.stop('superseded')
      const previous = this.#current!
      this.#logger.debug('superseding session', { sessionId: previous.id, by: session.id })
      this.#current = undefined
      previous.stop('superseded')
    }
    this.#live.add(session)
    this.#current = session
    session.arm()
    session.start()
    this.#publishStatus()
    return session
  }

  /**
   * Refuse new work, cancel what runs, settle every promise. Resolves within about `timeoutMs`
   * (default DEFAULT_CLOSE_TIMEOUT_MS, 2000) and never rejects; idempotent.
   */
  close(options: CloseOptions = {}): Promise<CloseReport> {
    if (this.#closing) return this.#closing
    const timeoutMs = checkMs(options.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS, 'timeoutMs')
    const stopped = [...this.#queue.splice(0), ...(this.#current ? [this.#current] : []), ...this.#finishingLate]
    this.#current = undefined
    this.#finishingLate.clear()
    const waitFor = [...this.#live]
    this.#status.set({ state: 'closed' })
    for (const s of stopped) s.stop('closed')
    this.#logger.debug('engine closing', { sessionsCancelled: stopped.length })
    this.#closing = this.#waitClosed(waitFor, timeoutMs).then((proofStillRunning) => ({
      proofStillRunning,
      sessionsCancelled: stopped.length,
    }))
    return this.#closing
  }

  async #waitClosed(sessions: EngineSession[], timeoutMs: number): Promise<boolean> {
    const settled = Promise.all(sessions.map((s) => s.done))
    const idle: Promise<unknown> = this.#prover.idle
      ? settled.then(() => this.#prover.idle!()).catch(() => undefined)
      : settled.then(() => Promise.allSettled([...this.#abandonedCalls]))
    if ((await within(this.#clock, timeoutMs, idle)) === 'timeout') return true
    // Without idle() the native side is invisible: fall back to the abandoned proofs' estimate.
    return this.#prover.idle ? false : this.#clock.now() < this.#abandonedUntil
  }

  #onSettled(session: EngineSession): void {
    this.#live.delete(session)
    this.#finishingLate.delete(session)
    const queued = this.#queue.indexOf(session)
    if (queued !== -1) this.#queue.splice(queued, 1)
    if (session !== this.#current) return
    this.#releaseCurrent()
  }

  /**
   * Past its deadline a session starts nothing and only finishes late proofs: it no longer holds
   * the engine, so the next slot's session is not refused or superseded because of it (that would
   * throw away proofs the caller chose to keep); admission counts the prover time they still take.
   */
  #onDeadline(session: EngineSession): void {
    if (session !== this.#current || this.closed) return
    this.#finishingLate.add(session)
    this.#releaseCurrent()
  }

  #releaseCurrent(): void {
    this.#current = undefined
    while (!this.closed && this.#queue.length > 0) {
      const next = this.#queue.shift()!
      if (next.state !== 'queued') continue
      this.#current = next
      next.start()
      break
    }
    this.#publishStatus()
  }

  #publishStatus(): void {
    if (this.closed) return
    const s = this.#current
    if (s === undefined) {
      this.#status.set({ state: 'idle' })
      return
    }
    const at = s.currentGroupStartedAt
    this.#status.set({
      state: 'busy',
      sessionId: s.id,
      groupsRemaining: s.groupsRemaining,
      ...(at !== undefined && { currentGroupStartedAt: at }),
    })
  }
}

/** The prover's own limit on proofs at once, when it states one. */
function proverLanes(prover: GroupProver): number | undefined {
  const n = prover.maxConcurrentProofs
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : undefined
}
