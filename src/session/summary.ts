/** The session summary as a pure function of what the session recorded. */
import { closedError } from '../errors.js'
import type { GroupOutcome, PlanEntry, RefusedReason, SessionOutcome, SessionSummary } from './outcomes.js'
import type { AbandonReason, Admission, ErrorCode, SkipReason } from './types.js'

/** Why a session stopped starting groups; absent if it ran out of groups. */
export type StopKind = AbandonReason | 'deadline'

export interface SummaryInput {
  readonly sessionId: number
  readonly refused?: RefusedReason
  readonly cancelReason?: string
  readonly stop?: StopKind
  /** Input groups of the snapshot. */
  readonly considered: number
  readonly outcomes: readonly GroupOutcome[]
  readonly plan: readonly PlanEntry[]
  readonly deadlineAt?: number
  readonly createdAt: number
  readonly startedAt?: number
  readonly settledAt: number
  readonly drained: boolean
}

export function sessionOutcome(input: Pick<SummaryInput, 'refused' | 'stop' | 'outcomes'>): SessionOutcome {
  if (input.refused !== undefined) return 'refused'
  if (input.stop !== undefined && input.stop !== 'deadline') return input.stop
  const hitDeadline = input.outcomes.some((o) => (o.status === 'skipped' && o.reason === 'deadline') || o.status === 'late-dropped')
  return hitDeadline ? 'deadline' : 'completed'
}

/** Tally the outcomes into a frozen summary; outcomes come out sorted by input index. */
export function summarise(input: SummaryInput): SessionSummary {
  const skippedByReason: Partial<Record<SkipReason, number>> = {}
  const failedByCode: Partial<Record<ErrorCode, number>> = {}
  const admitted: Partial<Record<Admission, number>> = {}
  let aggregated = 0
  let skipped = 0
  let failed = 0
  let cancelled = 0
  let late = 0
  for (const o of input.outcomes) {
    if (o.status === 'aggregated') {
      aggregated++
      if (o.late) late++
    } else if (o.status === 'skipped') {
      skipped++
      bump(skippedByReason, o.reason)
    } else if (o.status === 'failed') {
      failed++
      bump(failedByCode, o.code)
    } else if (o.status === 'cancelled') cancelled++
    else late++
  }
  for (const p of input.plan) if (p.admission !== undefined) bump(admitted, p.admission)
  return Object.freeze({
    sessionId: input.sessionId,
    outcome: sessionOutcome(input),
    ...(input.refused !== undefined && { refusedReason: input.refused }),
    ...(input.refused === 'closed' && { error: closedError('the engine is closed') }),
    ...(input.cancelReason !== undefined && { cancelReason: input.cancelReason }),
    considered: input.considered,
    aggregated,
    skipped,
    skippedByReason: Object.freeze(skippedByReason),
    failed,
    failedByCode: Object.freeze(failedByCode),
    cancelled,
    late,
    admitted: Object.freeze(admitted),
    ...(input.deadlineAt !== undefined && { deadlineAt: input.deadlineAt }),
    createdAt: input.createdAt,
    ...(input.startedAt !== undefined && { startedAt: input.startedAt }),
    settledAt: input.settledAt,
    elapsedMs: input.settledAt - input.createdAt,
    drained: input.drained,
    outcomes: Object.freeze([...input.outcomes].sort((a, b) => a.index - b.index)),
    plan: Object.freeze([...input.plan].sort((a, b) => a.rank - b.rank).map((p) => Object.freeze({ ...p }))),
  })
}

function bump<K extends string>(counts: Partial<Record<K, number>>, key: K): void {
  counts[key] = (counts[key] ?? 0) + 1
}
