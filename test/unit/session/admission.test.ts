/**
 * Admission on real timings, with the fake prover and the manual clock: proofs that do not fit
 * the deadline, value order, the plan in the summary, sessions finishing late, several lanes.
 */
import { describe, expect, it } from 'vitest'
import { AggregationEngine } from '../../../src/session/engine.js'
import type { EngineOptions } from '../../../src/session/engine.js'
import type { GroupResult, SessionSummary } from '../../../src/session/outcomes.js'
import type { AggregationGroup } from '../../../src/types.js'
import { FakeProver, fakeAggregate, ManualClock } from '../../../src/testing.js'
import { group } from '../../support/fake-groups.js'
import { noopLogger } from '../../../src/logger.js'
import type { FakeProverOptions } from '../../../src/testing.js'

const SLOT_MS = 4000

function setup(proverOpts: FakeProverOptions = {}, engineOpts: Partial<EngineOptions> = {}) {
  const clock = new ManualClock()
  const prover = new FakeProver(clock, proverOpts)
  const engine = new AggregationEngine({ prover, clock, logger: noopLogger, ...engineOpts })
  return { clock, prover, engine, t0: clock.now() }
}

/** Three groups of 8 signers for `slot`, as in the scenario. */
const threeOfEight = (slot: number) => [0, 1, 2].map((g) => group(slot * 10 + g, slot, 8, g * 8))

/** One session per slot, each started at the slot's start. */
async function slots(count: number, run: (slot: number) => { done: Promise<SessionSummary> }, clock: ManualClock) {
  const summaries: SessionSummary[] = []
  for (let slot = 1; slot <= count; slot++) {
    const session = run(slot)
    await clock.advance(SLOT_MS)
    summaries.push(await session.done)
  }
  return summaries
}

describe('admission when no group fits before the deadline', () => {
  it('keeping late results, every slot proves its most valuable group (the starvation scenario)', async () => {
    const { clock, engine } = setup({ latency: () => 900 })
    const summaries = await slots(5, (slot) => engine.startSession(threeOfEight(slot), { deadlineMs: 750 }), clock)
    for (const s of summaries) {
      expect(s.aggregated).toBe(1)
      expect(s.late).toBe(1)
    }
    // From slot 3 on the estimator knows a group takes ~900 ms (its first sample was clipped as a
    // possible outlier, the second on the same side was taken as a change): nothing fits, one
    // starts anyway.
    for (const s of summaries.slice(2)) {
      expect(s.admitted).toEqual({ 'best-effort': 1 })
      expect(s.skippedByReason).toEqual({ budget: 2 })
    }
    expect(engine.estimator.snapshot().samples).toBe(5) // it keeps learning
    expect(engine.metrics.snapshot().admissions).toEqual({ fits: 2, best_effort: 3 })
  })

  it("with late: 'drop' skipping is right: nothing is proved that would be thrown away", async () => {
    const { clock, engine, prover } = setup({ latency: () => 900 }, { prior: { baseMs: 900, perSignerMs: 0, perChildMs: 0 } })
    const summaries = await slots(4, (slot) => engine.startSession(threeOfEight(slot), { deadlineMs: 750, late: 'drop' }), clock)
    for (const s of summaries) {
      expect(s).toMatchObject({ aggregated: 0, late: 0, admitted: {}, skippedByReason: { budget: 3 } })
      expect(s.settledAt).toBe(s.createdAt) // nothing to wait for
    }
    expect(prover.calls).toHaveLength(0)
  })

  it("a cold estimator under late: 'drop' learns from proofs dropped at the deadline", async () => {
    const { clock, engine } = setup({ latency: () => 900 })
    const summaries = await slots(5, (slot) => engine.startSession(threeOfEight(slot), { deadlineMs: 750, late: 'drop' }), clock)
    expect(summaries[0]!.outcomes.some((o) => o.status === 'late-dropped')).toBe(true)
    // Each dropped proof took at least 750 ms: the estimate climbs until nothing is admitted.
    expect(engine.estimator.estimate(8, 0) * 1.1).toBeGreaterThan(750)
    expect(summaries.at(-1)).toMatchObject({ admitted: {}, skippedByReason: { budget: 3 } })
  })

  it('an estimate that blocks every group is re-measured by a probe, so it cannot stay frozen', async () => {
    let latency = 900
    const { clock, engine } = setup({ latency: () => latency }, { prior: { baseMs: 900, perSignerMs: 0, perChildMs: 0 } })
    const start = (slot: number) => engine.startSession(threeOfEight(slot), { deadlineMs: 750, late: 'drop', admission: { probeAfter: 2 } })
    const before = await slots(3, start, clock)
    expect(before.map((s) => s.admitted)).toEqual([{}, {}, { probe: 1 }])
    expect(before[2]!.outcomes.filter((o) => o.status === 'late-dropped')).toHaveLength(1)

    latency = 400 // the machine got faster; without probes nothing would ever show it
    const after = await slots(6, (slot) => start(slot + 3), clock)
    expect(after.map((s) => s.admitted.probe ?? 0)).toEqual([0, 0, 1, 0, 0, 0])
    expect(after[2]!.aggregated).toBe(1) // the probe finished in time
    expect(after.at(-1)!.admitted.fits).toBeGreaterThanOrEqual(1)
  })
})

describe('most valuable first', () => {
  const ordered = (prover: FakeProver) => prover.calls.map((c) => c.group.message[0])

  it('orders by caller priority, then signers gained per estimated ms; a child lowers the gain', async () => {
    const { clock, engine, prover } = setup({ latency: () => 100 }, { prior: { baseMs: 100, perSignerMs: 1, perChildMs: 0 } })
    const covered = fakeAggregate(group(1, 1, 10, 0)) // signers 0..9
    const groups: (AggregationGroup & { priority?: number })[] = [
      group(1, 1, 12, 0, [covered]), // 12 signers, 2 new
      group(2, 1, 6, 100), // 6 new
      group(3, 1, 3, 200), // 3 new
      { ...group(4, 1, 2, 300), priority: 1 }, // 2 new, but the caller says first
    ]
    const session = engine.startSession(groups)
    await clock.advance(1000)
    await session.done
    expect(ordered(prover)).toEqual([4, 2, 3, 1])
  })

  it('proves the set that covers the most signers before the deadline, then the rest late', async () => {
    const { clock, engine, prover, t0 } = setup({ latency: (g) => 10 * g.signatures.length }, { prior: { baseMs: 0, perSignerMs: 10, perChildMs: 0 } })
    // 200 ms: 15 alone (15 signers) or 10 + 9 (19 signers).
    const session = engine.startSession([group(1, 1, 15, 0), group(2, 1, 10, 100), group(3, 1, 9, 200)], { deadlineMs: 200, admission: { factor: 1 } })
    const results: GroupResult[] = []
    session.on('result', (r) => results.push(r))
    await clock.advance(1000)
    const summary = await session.done
    expect(results.map((r) => [r.signatureCount, r.late, r.admission])).toEqual([
      [10, false, 'fits'],
      [9, false, 'fits'],
      [15, true, 'best-effort'],
    ])
    expect(prover.calls[2]!.startedAt! - t0).toBe(190)
    expect(summary.plan.map((p) => [p.index, p.admission])).toEqual([
      [0, 'best-effort'],
      [1, 'fits'],
      [2, 'fits'],
    ])
  })

  it('exposes the plan: rank, gain, estimate, and why a group was not started', async () => {
    const { clock, engine } = setup({ latency: () => 900 }, { prior: { baseMs: 900, perSignerMs: 0, perChildMs: 0 } })
    const session = engine.startSession([group(1, 1, 2, 0), group(2, 1, 8, 10), group(3, 1, 1, 20)], { deadlineMs: 750, late: 'drop' })
    await clock.advance(1000)
    const summary = await session.done
    expect(summary.plan).toEqual([
      expect.objectContaining({ index: 1, rank: 0, gain: 8, estimateMs: 900, skipped: 'budget' }),
      expect.objectContaining({ index: 0, rank: 1, gain: 2, estimateMs: 900, skipped: 'budget' }),
    ])
    expect(summary.outcomes[1]).toMatchObject({ status: 'skipped', reason: 'budget', detail: 'estimated 990 ms, 750 ms left' })
    expect(summary.outcomes[2]).toMatchObject({ status: 'skipped', reason: 'trivial' })
  })
})

describe('a session finishing late proofs', () => {
  it('no longer holds the engine: the next slot is neither refused nor superseded, and waits for the prover', async () => {
    const { clock, engine, prover, t0 } = setup({ latency: () => 900 }, { busy: 'skip', prior: { baseMs: 900, perSignerMs: 0, perChildMs: 0 } })
    const first = engine.startSession(threeOfEight(1), { deadlineMs: 750 })
    const firstResults: GroupResult[] = []
    first.on('result', (r) => firstResults.push(r))
    await clock.advance(750)
    expect(engine.status).toEqual({ state: 'idle' })
    expect(engine.canAcceptWork()).toBe(true)
    const second = engine.startSession(threeOfEight(2), { deadlineMs: 750 })
    expect(second.state).toBe('running')
    await clock.advance(3000)
    const [a, b] = await Promise.all([first.done, second.done])
    expect(a).toMatchObject({ aggregated: 1, late: 1 })
    expect(firstResults.map((r) => r.sessionId)).toEqual([first.id])
    expect(b).toMatchObject({ aggregated: 1, late: 1, admitted: { 'best-effort': 1 } })
    expect(prover.calls[1]!.startedAt! - t0).toBe(900) // after the first session's proof
  })

  it('close() still cancels it', async () => {
    const { clock, engine } = setup({ latency: () => 900 })
    const s = engine.startSession(threeOfEight(1), { deadlineMs: 100 })
    await clock.advance(200)
    const closing = engine.close({ timeoutMs: 2000 })
    await clock.advance(1000)
    expect(await s.done).toMatchObject({ outcome: 'closed', cancelled: 1 })
    expect(await closing).toMatchObject({ sessionsCancelled: 1, proofStillRunning: false })
  })
})

describe('lanes', () => {
  const shared = { lanes: 2, slowdown: (k: number) => 1 + 0.8 * (k - 1), latency: () => 200 }
  const prior = { baseMs: 200, perSignerMs: 0, perChildMs: 0 }

  it('starts a second group beside the first when both still fit', async () => {
    const { clock, engine, prover } = setup(shared, { prior })
    const session = engine.startSession([group(1, 1, 3), group(2, 1, 2, 10)], { deadlineMs: 500, concurrency: 2, admission: { factor: 1 } })
    await clock.advance(1000)
    const summary = await session.done
    expect(prover.calls.map((c) => c.startedAt! - c.queuedAt)).toEqual([0, 0])
    expect(summary).toMatchObject({ aggregated: 2, late: 0, admitted: { fits: 2 } })
    // Two at once took 360 ms each: the estimator learns the pool's sharing from it.
    expect(engine.estimator.snapshot().sharedSlowdown).toBeLessThan(0.9)
  })

  it('does not when sharing would push the first one past the deadline', async () => {
    const { clock, engine, prover, t0 } = setup(shared, { prior })
    const session = engine.startSession([group(1, 1, 3), group(2, 1, 2, 10)], { deadlineMs: 300, concurrency: 2, admission: { factor: 1 } })
    await clock.advance(1000)
    const summary = await session.done
    expect(prover.calls.map((c) => c.startedAt! - t0)).toEqual([0, 200])
    expect(summary).toMatchObject({ aggregated: 2, late: 1, admitted: { fits: 1, 'best-effort': 1 } })
  })

  it("never plans more lanes than the prover's maxConcurrentProofs", async () => {
    const { clock, engine, prover, t0 } = setup({ ...shared, lanes: 1 }, { prior })
    const session = engine.startSession([group(1, 1, 3), group(2, 1, 2, 10)], { deadlineMs: 500, concurrency: 2, admission: { factor: 1 } })
    await clock.advance(1000)
    await session.done
    expect(prover.calls.map((c) => c.queuedAt - t0)).toEqual([0, 200])
  })
})
