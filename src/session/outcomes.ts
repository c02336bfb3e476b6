/**
 * What a session reports: per-group results and outcomes, the plan it made, the summary, and the
 * handle `startSession` returns. Types only; the session state machine lives in session.ts.
 */
import type { Aggregate } from '../aggregate.js'
import type { LeanAggError } from '../errors.js'
import type { AddReceipt } from './open-group.js'
import type { GroupInput } from './snapshot.js'
import type { AbandonReason, Admission, ErrorCode, SkipReason } from './types.js'

export interface GroupResult {
  /** The session that produced it (library-generated, never a slot). */
  readonly sessionId: number
  /** 0, 1, 2...: this result's place in the session's stream. */
  readonly seq: number
  /**
   * Open sessions: the `seq` of the earlier result of the same group that this one improves on
   * (its signers are a strict superset). Absent for a group's first result and in snapshot sessions.
   */
  readonly improves?: number
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
  /** Why admission started it (see `PlanEntry.admission`). */
  readonly admission: Admission
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

/** One group of the snapshot as the session ranked it. */
export interface PlanEntry {
  readonly index: number
  readonly key: string
  /** 0 = considered first: caller priority, then signers gained per estimated ms. */
  readonly rank: number
  readonly priority: number
  /** Signers the aggregate adds over the group's largest child (what a block could already include). */
  readonly gain: number
  /** Estimated proving time alone on the prover, when it was started or last considered. */
  readonly estimateMs: number
  /** Why it was started; absent if it never was. */
  readonly admission?: Admission
  /** Why it was not started (details in `outcomes`); absent if it was. */
  readonly skipped?: SkipReason
}

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
  /** Groups started, by why admission started them ('best-effort': nothing fitted before the deadline). */
  readonly admitted: Readonly<Partial<Record<Admission, number>>>
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
  /** The snapshot's groups in the order the session ranked them (build-time drops excluded). */
  readonly plan: readonly PlanEntry[]
  /** Open sessions: how much of each group the session's aggregates covered. */
  readonly coverage?: SessionCoverage
}

/** How much of one group of an open session its aggregates covered. */
export interface GroupCoverage {
  readonly key: string
  readonly index: number
  /** Distinct signers received (raw signatures and children's signers). */
  readonly signers: number
  /** Signers of its best aggregate finished before the deadline (0 if none). */
  readonly coveredBeforeDeadline: number
  /** Signers of its best aggregate, late ones included. */
  readonly covered: number
  /** Proofs started for it. */
  readonly proofs: number
  /** Prover ms spent on its proofs that a better one replaced, or that were abandoned or dropped. */
  readonly replacedProofMs: number
}

export interface SessionCoverage {
  /** By group index (order of first arrival). */
  readonly groups: readonly GroupCoverage[]
  readonly signers: number
  readonly coveredBeforeDeadline: number
  readonly covered: number
  readonly replacedProofMs: number
}

export interface SessionEvents extends Record<string, unknown> {
  result: GroupResult
  outcome: GroupOutcome
  done: SessionSummary
}

export type SessionState = 'queued' | 'running' | 'settled'

/** What `openSession` returns: a session that also takes votes while it runs. */
export interface OpenAggregationSession extends AggregationSession {
  readonly deadlineAt: number
  /** Clock ms after which `add()` refuses votes. */
  readonly cutoffAt: number
  /** No more votes are taken: sealed by the caller, the cutoff, the deadline, or a stop. */
  readonly sealed: boolean
  /**
   * Take signatures (and child aggregates) for one (message, slot), validated and copied now, the
   * same rules as `buildSnapshot`; duplicates of a public key already in the group are dropped
   * (first wins). Throws a typed LeanAggError: the snapshot's codes for bad input, SESSION_SEALED
   * after the cutoff or a stop, CLOSED once the engine closed.
   */
  add(input: GroupInput): AddReceipt
  /** `add` for many inputs: all are validated before any is taken. */
  addMany(inputs: readonly GroupInput[]): AddReceipt[]
  /** No more votes: every group counts as settled, and the session ends once nothing is left to prove. */
  seal(): void
}

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
