/**
 * Counters and histograms for dashboards. Always kept as plain data (`snapshot()`); mirrored into
 * prom-client when the caller registers a registry. prom-client is an optional peer: pass its
 * module, or it is imported dynamically on `register()`.
 */
import type { GroupOutcome } from './outcomes.js'
import type { Admission, Logger } from './types.js'

export const METRIC_NAMES = Object.freeze({
  skipped: 'lean_aggregator_skipped_total',
  proveTime: 'lean_committee_signatures_aggregation_time_seconds',
  sessionDuration: 'lean_aggregation_session_duration_seconds',
  groups: 'lean_aggregation_groups_total',
  sessions: 'lean_aggregation_sessions_total',
  lateResults: 'lean_aggregation_late_results_total',
  failures: 'lean_aggregation_group_failures_total',
  admissions: 'lean_aggregation_admissions_total',
})

/** Seconds: an 800 ms interval and multi-second worst cases both resolve. */
export const PROVE_TIME_BUCKETS = Object.freeze([0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 10])
export const SESSION_DURATION_BUCKETS = PROVE_TIME_BUCKETS

/** Why a group was started: `Admission` with '_' for '-' ('best_effort'). */
export type AdmissionLabel = 'fits' | 'best_effort' | 'probe' | 'unchecked'
export type GroupOutcomeLabel = 'aggregated' | 'skipped' | 'failed' | 'cancelled' | 'late_dropped'
export type SessionOutcomeLabel = 'started' | 'queued' | 'skipped' | 'completed' | 'deadline' | 'cancelled' | 'superseded' | 'closed'

export interface HistogramData {
  /** Upper bounds; `counts` has one more entry, for +Inf. Counts are per bucket, not cumulative. */
  readonly buckets: readonly number[]
  readonly counts: readonly number[]
  readonly sum: number
  readonly count: number
}

export interface MetricsSnapshot {
  /** lean_aggregator_skipped_total{reason} */
  skipped: Record<string, number>
  /** lean_aggregation_groups_total{outcome} */
  groups: Record<string, number>
  /** lean_aggregation_sessions_total{outcome} */
  sessions: Record<string, number>
  /** lean_aggregation_group_failures_total{code} */
  failures: Record<string, number>
  /** lean_aggregation_admissions_total{admission}: groups started, by why */
  admissions: Record<string, number>
  /** lean_aggregation_late_results_total */
  lateResults: number
  /** lean_committee_signatures_aggregation_time_seconds, keyed `signers=<bucket>,children=<n>` */
  proveTime: Record<string, HistogramData>
  /** lean_aggregation_session_duration_seconds */
  sessionDuration: HistogramData
}

type Labels = Record<string, string>
interface PromCounterLike {
  inc(labels: Labels, value?: number): void
  inc(value?: number): void
}
interface PromHistogramLike {
  observe(labels: Labels, value: number): void
  observe(value: number): void
}
interface MetricConfig {
  name: string
  help: string
  labelNames?: readonly string[]
  buckets?: number[]
  registers?: unknown[]
}
// prom-client's config types name its own Registry class, which this file cannot import.
// biome-ignore lint/suspicious/noExplicitAny: see above
type PromConfig = any

/** The part of prom-client used here, so prom-client stays optional. */
export interface PromClientLike {
  Counter: new (config: PromConfig) => unknown
  Histogram: new (config: PromConfig) => unknown
}
export interface PromRegistryLike {
  getSingleMetric(name: string): unknown
}
export interface PrometheusOptions {
  registry: PromRegistryLike
  /** The prom-client module; imported dynamically when omitted. */
  client?: PromClientLike
}

/** Signer-count label: coarse so the series count stays small. */
export function signerBucket(signers: number): string {
  if (signers <= 1) return '1'
  let lo = 2
  for (const hi of [8, 32, 128, 512, 2048]) {
    if (signers <= hi) return `${lo}-${hi}`
    lo = hi + 1
  }
  return '2049+'
}

class Histogram {
  readonly counts: number[]
  sum = 0
  count = 0
  constructor(readonly buckets: readonly number[]) {
    this.counts = new Array<number>(buckets.length + 1).fill(0)
  }
  observe(v: number): void {
    const i = this.buckets.findIndex((b) => v <= b)
    this.counts[i === -1 ? this.buckets.length : i]!++
    this.sum += v
    this.count++
  }
  data(): HistogramData {
    return { buckets: this.buckets, counts: [...this.counts], sum: this.sum, count: this.count }
  }
}

interface PromMetrics {
  admissions: PromCounterLike
  skipped: PromCounterLike
  groups: PromCounterLike
  sessions: PromCounterLike
  failures: PromCounterLike
  lateResults: PromCounterLike
  proveTime: PromHistogramLike
  sessionDuration: PromHistogramLike
}

export class EngineMetrics {
  readonly #skipped = new Map<string, number>()
  readonly #groups = new Map<string, number>()
  readonly #sessions = new Map<string, number>()
  readonly #failures = new Map<string, number>()
  readonly #admissions = new Map<string, number>()
  #lateResults = 0
  readonly #proveTime = new Map<string, Histogram>()
  readonly #sessionDuration = new Histogram(SESSION_DURATION_BUCKETS)
  #prom: PromMetrics | undefined
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  groupOutcome(outcome: GroupOutcomeLabel, detail?: { reason?: string; code?: string }): void {
    bump(this.#groups, outcome)
    this.#mirror((p) => p.groups.inc({ outcome }))
    const reason = detail?.reason
    if (outcome === 'skipped' && reason) {
      bump(this.#skipped, reason)
      this.#mirror((p) => p.skipped.inc({ reason }))
    }
    const code = detail?.code
    if (outcome === 'failed' && code) {
      bump(this.#failures, code)
      this.#mirror((p) => p.failures.inc({ code }))
    }
  }

  /** Count one group's outcome under its label (and its skip reason or failure code). */
  outcome(outcome: GroupOutcome): void {
    switch (outcome.status) {
      case 'aggregated':
        this.groupOutcome('aggregated')
        break
      case 'skipped':
        this.groupOutcome('skipped', { reason: outcome.reason })
        break
      case 'failed':
        this.groupOutcome('failed', { code: outcome.code })
        break
      case 'cancelled':
        this.groupOutcome('cancelled')
        break
      case 'late-dropped':
        this.groupOutcome('late_dropped')
        break
    }
  }

  /** Count a started group under why admission started it (its metric label spells 'best_effort'). */
  admission(why: Admission): void {
    const admission: AdmissionLabel = why === 'best-effort' ? 'best_effort' : why
    bump(this.#admissions, admission)
    this.#mirror((p) => p.admissions.inc({ admission }))
  }

  session(outcome: SessionOutcomeLabel): void {
    bump(this.#sessions, outcome)
    this.#mirror((p) => p.sessions.inc({ outcome }))
  }

  lateResult(): void {
    this.#lateResults++
    this.#mirror((p) => p.lateResults.inc())
  }

  proveTime(signers: number, children: number, seconds: number): void {
    const labels = { signers: signerBucket(signers), children: String(children) }
    const key = `signers=${labels.signers},children=${labels.children}`
    let h = this.#proveTime.get(key)
    if (h === undefined) {
      h = new Histogram(PROVE_TIME_BUCKETS)
      this.#proveTime.set(key, h)
    }
    h.observe(seconds)
    this.#mirror((p) => p.proveTime.observe(labels, seconds))
  }

  sessionDuration(seconds: number): void {
    this.#sessionDuration.observe(seconds)
    this.#mirror((p) => p.sessionDuration.observe(seconds))
  }

  /** prom-client throws on a label clash with a foreign metric of the same name: log, never break a session. */
  #mirror(fn: (prom: PromMetrics) => void): void {
    if (this.#prom === undefined) return
    try {
      fn(this.#prom)
    } catch (err) {
      this.#logger.warn('prom-client update failed', { err })
    }
  }

  snapshot(): MetricsSnapshot {
    return {
      skipped: Object.fromEntries(this.#skipped),
      groups: Object.fromEntries(this.#groups),
      sessions: Object.fromEntries(this.#sessions),
      failures: Object.fromEntries(this.#failures),
      admissions: Object.fromEntries(this.#admissions),
      lateResults: this.#lateResults,
      proveTime: Object.fromEntries([...this.#proveTime].map(([k, h]) => [k, h.data()])),
      sessionDuration: this.#sessionDuration.data(),
    }
  }

  /**
   * Mirror into a prom-client registry from now on. Counters recorded before are carried over;
   * earlier histogram observations are not. A metric already in the registry (a second engine)
   * is reused, so both engines add to the same series.
   */
  async register(options: PrometheusOptions): Promise<void> {
    const client = options.client ?? ((await import('prom-client' as string)) as PromClientLike)
    const { registry } = options
    const make = <T>(kind: 'Counter' | 'Histogram', config: MetricConfig): T =>
      (registry.getSingleMetric(config.name) as T | undefined) ?? (new client[kind]({ ...config, registers: [registry] } satisfies MetricConfig) as T)
    const prom: PromMetrics = {
      admissions: make('Counter', {
        name: METRIC_NAMES.admissions,
        help: 'Aggregation groups started, by why admission started them',
        labelNames: ['admission'],
      }),
      skipped: make('Counter', { name: METRIC_NAMES.skipped, help: 'Aggregation groups not proved, by reason', labelNames: ['reason'] }),
      groups: make('Counter', { name: METRIC_NAMES.groups, help: 'Aggregation groups by outcome', labelNames: ['outcome'] }),
      sessions: make('Counter', { name: METRIC_NAMES.sessions, help: 'Aggregation sessions by outcome', labelNames: ['outcome'] }),
      failures: make('Counter', { name: METRIC_NAMES.failures, help: 'Failed aggregation groups by error code', labelNames: ['code'] }),
      lateResults: make('Counter', { name: METRIC_NAMES.lateResults, help: 'Groups that finished after their session deadline' }),
      proveTime: make('Histogram', {
        name: METRIC_NAMES.proveTime,
        help: 'Time to prove one aggregation group',
        labelNames: ['signers', 'children'],
        buckets: [...PROVE_TIME_BUCKETS],
      }),
      sessionDuration: make('Histogram', {
        name: METRIC_NAMES.sessionDuration,
        help: 'Time from session start to settle',
        buckets: [...SESSION_DURATION_BUCKETS],
      }),
    }
    for (const [reason, n] of this.#skipped) prom.skipped.inc({ reason }, n)
    for (const [outcome, n] of this.#groups) prom.groups.inc({ outcome }, n)
    for (const [outcome, n] of this.#sessions) prom.sessions.inc({ outcome }, n)
    for (const [code, n] of this.#failures) prom.failures.inc({ code }, n)
    for (const [admission, n] of this.#admissions) prom.admissions.inc({ admission }, n)
    if (this.#lateResults > 0) prom.lateResults.inc(this.#lateResults)
    this.#prom = prom
    this.#logger.debug('metrics registered with prom-client')
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1)
}
