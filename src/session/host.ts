/** The contract between the engine and its sessions, snapshot (session.ts) and open (open-session.ts). */
import type { CostEstimator } from './estimator.js'
import type { EngineMetrics } from './metrics.js'
import type { AggregationSession, RefusedReason } from './outcomes.js'
import type { StopKind } from './summary.js'
import type { Clock, GroupProver, Logger } from './types.js'

/** What the engine drives in a session. */
export interface EngineSession extends AggregationSession {
  /** Arm the deadline and the caller's signal; called once, refused sessions excepted. */
  arm(): void
  start(): void
  refuse(reason: RefusedReason): void
  /** Stop starting groups; abandon in-flight proofs (or, at the deadline, keep them per `late`). */
  stop(kind: StopKind): void
  /** When this session's proofs in flight are projected to leave the prover (0 if none). */
  projectedEnd(now: number): number
  /** Groups not finished yet, in-flight ones included. */
  readonly groupsRemaining: number
  readonly currentGroupStartedAt: number | undefined
}

/** What a session needs from its engine. */
export interface SessionHost {
  readonly prover: GroupProver
  readonly estimator: CostEstimator
  readonly metrics: EngineMetrics
  readonly clock: Clock
  readonly logger: Logger
  readonly drainTimeoutMs: number
  /** Proofs the prover runs at once, if it says (`maxConcurrentProofs`). */
  readonly proverLanes: number | undefined
  /** Projected clock ms at which other sessions' proofs (abandoned, or finishing late) free the prover. */
  laneFreeAt(session: EngineSession): number
  onAbandoned(projectedEnd: number, call: Promise<unknown>): void
  /** Sessions in a row in which every group was over budget and nothing started. */
  blockedSessions(): number
  recordAdmission(blocked: boolean): void
  /** The deadline passed with late proofs still running: the session no longer holds the engine. */
  onDeadline(session: EngineSession): void
  onProgress(session: EngineSession): void
  onSettled(session: EngineSession): void
}
