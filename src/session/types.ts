/** Types shared by the session modules: the narrow prover interface, clock, logger, outcomes. */
import type { Aggregate } from '../aggregate.js'
import type { LeanAggError } from '../errors.js'
import type { AggregateOptions, AggregationGroup } from '../types.js'

export type ErrorCode = LeanAggError['code']

/**
 * All the engine needs from a prover. `Prover` implements it; tests use an in-JS fake.
 * An aborted signal must reject at once with an `ABORTED` error.
 */
export interface GroupProver {
  aggregate(group: AggregationGroup, options?: AggregateOptions): Promise<Aggregate>
  verifyAggregate(aggregate: Aggregate, options?: { signal?: AbortSignal }): Promise<boolean>
  /**
   * Optional: resolves when no native proof is running, abandoned ones included. Without it,
   * `close()` can only estimate whether an abandoned proof is still running.
   */
  idle?(): Promise<void>
  /** Optional: proofs it runs at once (more are queued). Sessions never plan more lanes than this. */
  readonly maxConcurrentProofs?: number
  /**
   * Optional: an aborted proof stops at once (process isolation), so abandoning it frees the
   * lane now. Without it, an abandoned proof is assumed to run until its estimated end.
   */
  readonly canStopRunningProof?: boolean
}

export type { Logger } from '../logger.js'

export interface Clock {
  now(): number
  /** `keepAlive`: a hint that the process should wait for this timer (Node: not unref'd). */
  setTimeout(fn: () => void, ms: number, keepAlive?: boolean): unknown
  clearTimeout(handle: unknown): void
}

/** Why a group was not proved. */
export type SkipReason =
  | 'trivial' // 1 signature and no child, or a lone child: nothing to gain
  | 'duplicate' // same (message, slot, signer set) as an earlier group
  | 'merged' // same (message, slot) as an earlier group: its signers were merged into it
  | 'invalid' // failed the cheap checks; see `code`
  | 'deadline' // the deadline passed before it could start
  | 'budget' // its estimated cost did not fit in the time left (see `admission.nothingFits`)
  | 'cancelled' // the session was cancelled before it started
  | 'superseded' // a newer session replaced this one (busy policy 'cancel-previous')
  | 'closed' // the engine closed
  | 'busy' // the session was refused (busy policy 'skip', or the queue was full)

/** Why work that had started was abandoned. */
export type AbandonReason = 'cancelled' | 'superseded' | 'closed'

export type BusyPolicy = 'skip' | 'cancel-previous' | 'queue'
export type LatePolicy = 'deliver' | 'drop'

/**
 * Why a group was started:
 * - 'fits': its estimate fits before the deadline (in the set that covers the most signers);
 * - 'best-effort': nothing fitted, the lane was free and late results are kept, so the most
 *   valuable group started anyway (its result is late; `admission.nothingFits: 'start-best'`);
 * - 'probe': every group had been over budget for several sessions in a row, so the cheapest one
 *   started to re-measure the cost (`admission.probeAfter`);
 * - 'unchecked': no deadline, or `admission: false`.
 */
export type Admission = 'fits' | 'best-effort' | 'probe' | 'unchecked'

/** What admission does when no group fits before the deadline. */
export type NothingFitsPolicy = 'start-best' | 'skip'
