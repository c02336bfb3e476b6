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
export type {
  AdmissionOptions,
  AggregationSession,
  GroupOutcome,
  GroupResult,
  RefusedReason,
  SessionEvents,
  SessionOptions,
  SessionOutcome,
  SessionState,
  SessionSummary,
} from './session.js'
export { systemClock } from './clock.js'
export type { AbandonReason, BusyPolicy, Clock, ErrorCode, GroupProver, LatePolicy, Logger, SkipReason } from './types.js'
