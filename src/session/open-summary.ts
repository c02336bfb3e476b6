/**
 * An open session's groups at settle, as pure functions: each group's one outcome (its widest
 * aggregate, or why it has none), the plan entries, and how much of each group was covered.
 */
import type { OpenGroup } from './open-group.js'
import type { GroupOutcome, PlanEntry, RefusedReason, SessionCoverage } from './outcomes.js'
import type { StopKind } from './summary.js'
import type { SkipReason } from './types.js'

/** How the session ended, as far as a group's outcome depends on it. */
export interface SessionEnd {
  readonly sessionId: number
  /** Fewest inputs worth a proof (2, or 1 with includeTrivial). */
  readonly minInputs: number
  readonly refused?: RefusedReason
  readonly stop?: StopKind
}

export function outcomeOf(g: OpenGroup, end: SessionEnd): GroupOutcome {
  const base = { sessionId: end.sessionId, key: g.key, index: g.index }
  if (g.best !== undefined) return { ...base, status: 'aggregated', late: g.best.late, result: g.best }
  if (g.failure !== undefined) return { ...base, status: 'failed', ...g.failure }
  if (g.abandoned !== undefined) return { ...base, ...g.abandoned }
  return { ...base, status: 'skipped', reason: skipReason(g, end) }
}

function skipReason(g: OpenGroup, end: SessionEnd): SkipReason {
  if (g.raw + g.childCount < end.minInputs) return 'trivial'
  if (end.refused !== undefined) return end.refused === 'closed' ? 'closed' : 'busy'
  if (end.stop !== undefined && end.stop !== 'deadline') return end.stop
  return g.overBudget ? 'budget' : 'deadline'
}

/** The groups in value order (priority, then signers), with what the planner last thought of each. */
export function planEntries(groups: readonly OpenGroup[], outcomes: readonly GroupOutcome[]): PlanEntry[] {
  const ranked = [...groups].sort((a, b) => b.priority - a.priority || b.signersOf(b.raw) - a.signersOf(a.raw) || a.index - b.index)
  return ranked.map((g, rank) => {
    const o = outcomes[g.index]!
    return {
      index: g.index,
      key: g.key,
      rank,
      priority: g.priority,
      gain: g.signersOf(g.raw),
      estimateMs: g.estimateMs,
      ...(g.admission !== undefined && { admission: g.admission }),
      ...(o.status === 'skipped' && { skipped: o.reason }),
    }
  })
}

export function coverageOf(groups: readonly OpenGroup[]): SessionCoverage {
  const rows = groups.map((g) =>
    Object.freeze({
      key: g.key,
      index: g.index,
      signers: g.signersOf(g.raw),
      coveredBeforeDeadline: g.bestOnTime?.signerCount ?? 0,
      covered: g.best?.signerCount ?? 0,
      proofs: g.proofs,
      replacedProofMs: g.replacedMs,
    }),
  )
  const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0)
  return Object.freeze({
    groups: Object.freeze(rows),
    signers: sum((r) => r.signers),
    coveredBeforeDeadline: sum((r) => r.coveredBeforeDeadline),
    covered: sum((r) => r.covered),
    replacedProofMs: sum((r) => r.replacedProofMs),
  })
}
