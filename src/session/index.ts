/** The session engine's public surface. */
export { AggregationEngine } from './engine.js'
export type { CloseOptions, CloseReport, EngineOptions, SessionDefaults } from './engine.js'
export { buildSnapshot, groupKey, isSnapshot, MAX_CHILDREN, MAX_SIGNERS, MAX_SLOT } from './snapshot.js'
export type { BuildSkipReason, BuildSnapshotOptions, DroppedGroup, GroupInput, Snapshot, SnapshotGroup } from './snapshot.js'
export { DEFAULT_COST_PRIOR, OnlineCostEstimator } from './estimator.js'
export type { CostEstimator, CostPrior, CostSample, EstimatorSnapshot, OnlineCostEstimatorOptions } from './estimator.js'
export { EngineMetrics, METRIC_NAMES, PROVE_TIME_BUCKETS, SESSION_DURATION_BUCKETS, signerBucket } from './metrics.js'
export type { HistogramData, MetricsSnapshot, PromClientLike, PromRegistryLike, PrometheusOptions } from './metrics.js'
export type { EngineStatus, WaitForOptions } from './status.js'
export type { AdmissionOptions, OpenSessionOptions, SessionOptions } from './options.js'
export { DEFAULT_QUIET_MS } from './options.js'
export type { AddReceipt } from './open-group.js'
export type {
  AggregationSession,
  GroupCoverage,
  GroupOutcome,
  OpenAggregationSession,
  GroupResult,
  PlanEntry,
  RefusedReason,
  SessionCoverage,
  SessionEvents,
  SessionOutcome,
  SessionState,
  SessionSummary,
} from './outcomes.js'
export { systemClock } from './clock.js'
export type {
  AbandonReason,
  Admission,
  BusyPolicy,
  Clock,
  ErrorCode,
  GroupProver,
  LatePolicy,
  Logger,
  NothingFitsPolicy,
  SkipReason,
} from './types.js'
