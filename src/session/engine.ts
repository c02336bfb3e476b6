/**
 * Many sessions, one prover: applies the busy policy, fences sessions from each other, keeps the
 * status value, and shuts down within a bounded time. Nothing here blocks or waits on a session.
 */
import { LeanAggError } from '../errors.js'
import { noopLogger, systemClock, timer } from './clock.js'
import { OnlineCostEstimator } from './estimator.js'
import type { CostEstimator, CostPrior } from './estimator.js'
import { nextSessionId } from './ids.js'
import { EngineMetrics } from './metrics.js'
import type { PrometheusOptions } from './metrics.js'
import { Session } from './session.js'
import type { AdmissionOptions, AggregationSession, ResolvedSessionOptions, SessionHost, SessionOptions } from './session.js'
import { buildSnapshot, isSnapshot } from './snapshot.js'
import type { GroupInput, Snapshot } from './snapshot.js'
import { StatusWatch } from './status.js'
import type { EngineStatus, WaitForOptions } from './status.js'
import type { BusyPolicy, Clock, GroupProver, LatePolicy, Logger } from './types.js'

export interface SessionDefaults {
  late?: LatePolicy
  concurrency?: number
  verify?: boolean
  logInvRate?: number
  admission?: AdmissionOptions | false
}

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
  /** Upper bound on how long `close()` waits. Default 2000. */
  timeoutMs?: number
}

export interface CloseReport {
  /** A native proof may still be running (it cannot be interrupted); its result will be dropped. */
  proofStillRunning: boolean
  /** Sessions running or queued when close was called. */
  sessionsCancelled: number
}

const DEFAULT_ADMISSION: Required<AdmissionOptions> = { factor: 1.1, marginMs: 0 }

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
  #current: Session | undefined
  readonly #queue: Session[] = []
  /** Every session not settled yet, superseded ones draining included. */
  readonly #live = new Set<Session>()
  readonly #abandonedCalls = new Set<Promise<unknown>>()
  #abandonedUntil = 0
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
      abandonedUntil: () => this.#abandonedUntil,
      onAbandoned(projectedEnd, call) {
        engine.#abandonedUntil = Math.max(engine.#abandonedUntil, projectedEnd)
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
    const resolved = this.#resolve(options)
    const policy = checkBusy(options.busy ?? this.#busy)
    const session = new Session(nextSessionId(), snap, resolved, this.#host)

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
   * (never rejects); idempotent.
   */
  close(options: CloseOptions = {}): Promise<CloseReport> {
    if (this.#closing) return this.#closing
    const timeoutMs = checkMs(options.timeoutMs ?? 2000, 'timeoutMs')
    const stopped = [...this.#queue.splice(0), ...(this.#current ? [this.#current] : [])]
    this.#current = undefined
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

  async #waitClosed(sessions: Session[], timeoutMs: number): Promise<boolean> {
    let t: { cancel(): void } | undefined
    const timeout = new Promise<'timeout'>((resolve) => (t = timer(this.#clock, timeoutMs, () => resolve('timeout'))))
    const settled = Promise.all(sessions.map((s) => s.done))
    const idle = this.#prover.idle
      ? settled.then(() => this.#prover.idle!()).catch(() => undefined)
      : settled.then(() => Promise.allSettled([...this.#abandonedCalls]))
    const r = await Promise.race([idle.then(() => 'idle' as const), timeout])
    t?.cancel()
    if (r === 'timeout') return true
    // Without idle() the native side is invisible: fall back to the abandoned proofs' estimate.
    return this.#prover.idle ? false : this.#clock.now() < this.#abandonedUntil
  }

  #onSettled(session: Session): void {
    this.#live.delete(session)
    const queued = this.#queue.indexOf(session)
    if (queued !== -1) this.#queue.splice(queued, 1)
    if (session !== this.#current) return
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

  #resolve(options: SessionOptions): ResolvedSessionOptions {
    const d = this.#defaults
    const now = this.#clock.now()
    let deadlineAt: number | undefined
    if (options.deadlineAt !== undefined) deadlineAt = checkTime(options.deadlineAt, 'deadlineAt')
    if (options.deadlineMs !== undefined) {
      const rel = now + checkMs(options.deadlineMs, 'deadlineMs')
      deadlineAt = deadlineAt === undefined ? rel : Math.min(deadlineAt, rel)
    }
    const late = options.late ?? d.late ?? 'deliver'
    if (late !== 'deliver' && late !== 'drop') invalidArg(`late must be 'deliver' or 'drop'`)
    const admission = options.admission ?? d.admission
    return {
      deadlineAt,
      late,
      concurrency: checkCount(options.concurrency ?? d.concurrency ?? 1, 'concurrency', 1),
      verify: options.verify ?? d.verify ?? false,
      logInvRate: options.logInvRate ?? d.logInvRate,
      admission: admission === false ? false : { ...DEFAULT_ADMISSION, ...admission },
      signal: options.signal,
    }
  }
}

function invalidArg(message: string): never {
  throw new LeanAggError('INVALID_ARGUMENT', message)
}

function checkBusy(busy: BusyPolicy): BusyPolicy {
  if (busy !== 'skip' && busy !== 'cancel-previous' && busy !== 'queue') {
    invalidArg(`busy must be 'skip', 'cancel-previous' or 'queue'`)
  }
  return busy
}

function checkCount(n: number, what: string, min: number): number {
  if (!Number.isInteger(n) || n < min) invalidArg(`${what} must be an integer >= ${min}`)
  return n
}

function checkMs(ms: number, what: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) invalidArg(`${what} must be a finite number >= 0`)
  return ms
}

function checkTime(t: number, what: string): number {
  if (typeof t !== 'number' || !Number.isFinite(t)) invalidArg(`${what} must be a finite number`)
  return t
}
