import { describe, expect, it } from 'vitest'
import type { GroupOutcome, PlanEntry } from '../../../src/session/outcomes.js'
import { sessionOutcome, summarise } from '../../../src/session/summary.js'
import type { SummaryInput } from '../../../src/session/summary.js'
import type { GroupResult } from '../../../src/session/outcomes.js'

const result = { sessionId: 1 } as GroupResult
const outcomes: GroupOutcome[] = [
  { sessionId: 1, index: 3, key: 'd', status: 'skipped', reason: 'budget', detail: 'estimated 900 ms, 750 ms left' },
  { sessionId: 1, index: 0, key: 'a', status: 'aggregated', late: false, result },
  { sessionId: 1, index: 1, key: 'b', status: 'aggregated', late: true, result },
  { sessionId: 1, index: 2, key: 'c', status: 'failed', code: 'PROVER_PANIC', detail: 'boom' },
  { sessionId: 1, index: 4, status: 'skipped', reason: 'invalid', code: 'INVALID_LENGTH' },
]
const plan: PlanEntry[] = [
  { index: 1, key: 'b', rank: 1, priority: 0, gain: 8, estimateMs: 900, admission: 'best-effort' },
  { index: 0, key: 'a', rank: 0, priority: 0, gain: 2, estimateMs: 600, admission: 'fits' },
  { index: 2, key: 'c', rank: 2, priority: 0, gain: 4, estimateMs: 700, admission: 'fits' },
  { index: 3, key: 'd', rank: 3, priority: 0, gain: 8, estimateMs: 900, skipped: 'budget' },
]
const input: SummaryInput = { sessionId: 1, considered: 5, outcomes, plan, deadlineAt: 750, createdAt: 0, startedAt: 0, settledAt: 1000, drained: true }

describe('summarise', () => {
  it('tallies outcomes and admissions, sorts outcomes by input and the plan by rank', () => {
    const s = summarise(input)
    expect(s).toMatchObject({
      outcome: 'completed',
      considered: 5,
      aggregated: 2,
      late: 1,
      skipped: 2,
      skippedByReason: { budget: 1, invalid: 1 },
      failed: 1,
      failedByCode: { PROVER_PANIC: 1 },
      cancelled: 0,
      admitted: { fits: 2, 'best-effort': 1 },
      elapsedMs: 1000,
    })
    expect(s.outcomes.map((o) => o.index)).toEqual([0, 1, 2, 3, 4])
    expect(s.plan.map((p) => p.index)).toEqual([0, 1, 2, 3])
    expect(Object.isFrozen(s) && Object.isFrozen(s.plan[0])).toBe(true)
  })

  it('a refused-closed session carries the CLOSED error', () => {
    expect(summarise({ ...input, refused: 'closed' })).toMatchObject({ outcome: 'refused', refusedReason: 'closed', error: { code: 'CLOSED' } })
  })

  const lateDropped: GroupOutcome = { sessionId: 1, index: 0, status: 'late-dropped', startedAt: 0 }
  const deadlineSkip: GroupOutcome = { sessionId: 1, index: 0, status: 'skipped', reason: 'deadline' }
  it.each<[string, Partial<SummaryInput>, string]>([
    ['refused wins', { refused: 'busy', stop: 'cancelled' }, 'refused'],
    ['cancelled', { stop: 'cancelled' }, 'cancelled'],
    ['superseded', { stop: 'superseded', outcomes: [deadlineSkip] }, 'superseded'],
    ['deadline: a group ran out of time', { stop: 'deadline', outcomes: [deadlineSkip] }, 'deadline'],
    ['deadline: a late proof was dropped', { stop: 'deadline', outcomes: [lateDropped] }, 'deadline'],
    ['over budget only: completed', { stop: 'deadline', outcomes: [outcomes[0]!] }, 'completed'],
    ['ran out of groups', { outcomes: [] }, 'completed'],
  ])('outcome: %s', (_name, over, expected) => {
    expect(sessionOutcome({ outcomes: [], ...over })).toBe(expected)
  })
})
