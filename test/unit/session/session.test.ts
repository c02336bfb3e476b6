import { describe, expect, it } from 'vitest'
import { LeanAggError } from '../../../src/errors.js'
import { AggregationEngine } from '../../../src/session/engine.js'
import type { EngineOptions } from '../../../src/session/engine.js'
import type { GroupResult, SessionSummary } from '../../../src/session/outcomes.js'
import { buildSnapshot, groupKey } from '../../../src/session/snapshot.js'
import type { Aggregate } from '../../../src/aggregate.js'
import type { AggregationGroup } from '../../../src/types.js'
import { FakeProver, ManualClock } from '../../../src/testing.js'
import { group } from '../../support/fake-groups.js'
import { noopLogger } from '../../../src/logger.js'
import type { FakeProverOptions } from '../../../src/testing.js'

/** Latency 10 ms per signature unless overridden. */
function setup(proverOpts: FakeProverOptions = {}, engineOpts: Partial<EngineOptions> = {}) {
  const clock = new ManualClock()
  const prover = new FakeProver(clock, { latency: (g) => 10 * g.signatures.length, ...proverOpts })
  const engine = new AggregationEngine({ prover, clock, logger: noopLogger, ...engineOpts })
  return { clock, prover, engine, t0: clock.now() }
}

async function collect(it: AsyncIterable<GroupResult>): Promise<GroupResult[]> {
  const out: GroupResult[] = []
  for await (const r of it) out.push(r)
  return out
}

function statusesOf(summary: SessionSummary) {
  return summary.outcomes.map((o) => [o.index, o.status, 'reason' in o ? o.reason : 'code' in o ? o.code : undefined])
}

describe('session', () => {
  it('streams results in completion order with timings, via iterator and events', async () => {
    const { clock, engine, t0 } = setup()
    const snap = buildSnapshot([group(1, 1, 3), group(2, 1, 5, 10), group(3, 1, 2, 20)])
    const session = engine.startSession(snap)
    const evented: GroupResult[] = []
    session.on('result', (r) => evented.push(r))
    const iterated = collect(session)
    await clock.advance(1000)
    const summary = await session.done
    const results = await iterated

    expect(results.map((r) => r.signatureCount)).toEqual([5, 3, 2])
    expect(evented).toEqual(results)
    expect(await collect(session.results())).toEqual(results) // a late reader replays
    expect(results.map((r) => [r.queuedAt, r.startedAt, r.provedAt])).toEqual([
      [t0, t0, t0 + 50],
      [t0, t0 + 50, t0 + 80],
      [t0, t0 + 80, t0 + 100],
    ])
    for (const r of results) {
      expect(r.sessionId).toBe(session.id)
      expect(r.late).toBe(false)
      expect(r.proofSize).toBe(r.aggregate.proofSize)
      expect(r.signerCount).toBe(r.signatureCount)
    }
    expect(summary).toMatchObject({ outcome: 'completed', considered: 3, aggregated: 3, skipped: 0, failed: 0, late: 0 })
    expect(summary.elapsedMs).toBe(100)
  })

  it('accounts build-time drops in the summary', async () => {
    const { clock, engine } = setup()
    const session = engine.startSession([group(1, 1, 1), group(2, 1, 3), group(2, 1, 3), { ...group(3, 1, 2), slot: -1 }])
    await clock.advance(100)
    const summary = await session.done
    expect(summary.considered).toBe(4)
    expect(statusesOf(summary)).toEqual([
      [0, 'skipped', 'trivial'],
      [1, 'aggregated', undefined],
      [2, 'skipped', 'duplicate'],
      [3, 'skipped', 'invalid'],
    ])
    expect(summary.skippedByReason).toEqual({ trivial: 1, duplicate: 1, invalid: 1 })
  })

  it('starts no group after the deadline; a running one is delivered late by default', async () => {
    const { clock, engine, prover } = setup({ latency: () => 100 })
    const groups = [1, 2, 3, 4, 5].map((m) => group(m, 1, 2, m * 10))
    const session = engine.startSession(groups, { deadlineMs: 250, admission: false })
    await clock.advance(1000)
    const summary = await session.done
    expect(prover.calls).toHaveLength(3)
    expect(summary.outcome).toBe('deadline')
    expect(summary.aggregated).toBe(3)
    expect(summary.late).toBe(1)
    expect(summary.skippedByReason).toEqual({ deadline: 2 })
    const late = summary.outcomes.filter((o) => o.status === 'aggregated' && o.late)
    expect(late).toHaveLength(1)
    expect(summary.settledAt - summary.createdAt).toBe(300)
  })

  it("with late: 'drop' settles at the deadline and counts the abandoned proof as late", async () => {
    const { clock, engine, prover, t0 } = setup({ latency: () => 100 })
    const groups = [1, 2, 3, 4].map((m) => group(m, 1, 2, m * 10))
    const session = engine.startSession(groups, { deadlineAt: t0 + 250, late: 'drop', admission: false })
    const results = collect(session)
    await clock.advance(250)
    const summary = await session.done
    expect(summary.settledAt).toBe(t0 + 250)
    expect(prover.busy).toBe(true) // the native proof still runs; its result is dropped
    expect((await results).length).toBe(2)
    expect(summary).toMatchObject({ outcome: 'deadline', aggregated: 2, late: 1, cancelled: 0, drained: true })
    expect(summary.outcomes.map((o) => o.status)).toEqual(['aggregated', 'aggregated', 'late-dropped', 'skipped'])
    expect(prover.calls[2]!.aborted).toBe(true)
    await clock.advance(100)
    expect(prover.calls[2]!.outcome).toBe('dropped')
  })

  it('admission control skips a group whose estimate does not fit, and tries smaller ones', async () => {
    const { clock, engine } = setup({}, { prior: { baseMs: 0, perSignerMs: 10, perChildMs: 0 } })
    expect(engine.estimator.estimate(10, 0)).toBe(100)
    const groups = [group(1, 1, 10), group(2, 1, 15, 100), group(3, 1, 5, 200)]
    const session = engine.startSession(groups, { deadlineMs: 200, admission: { factor: 1 } })
    await clock.advance(500)
    const summary = await session.done
    expect(statusesOf(summary)).toEqual([
      [0, 'skipped', 'budget'],
      [1, 'aggregated', undefined],
      [2, 'aggregated', undefined],
    ])
    expect(summary.late).toBe(0)
    const skipped = summary.outcomes[0]!
    expect(skipped.status === 'skipped' && skipped.detail).toMatch(/estimated 100 ms, 50 ms left/)
  })

  it('admission accounts for a proof still occupying the lane after a cancel', async () => {
    const { clock, engine, prover, t0 } = setup({}, { prior: { baseMs: 0, perSignerMs: 10, perChildMs: 0 } })
    const first = engine.startSession([group(1, 1, 20)]) // 200 ms
    await clock.advance(10)
    first.cancel()
    // The abandoned proof holds the lane until ~200: a 100 ms group cannot meet a 150 ms deadline.
    const dropped = engine.startSession([group(2, 1, 10, 100)], { deadlineMs: 150, late: 'drop', admission: { factor: 1 } })
    await clock.advance(0)
    expect((await dropped.done).skippedByReason).toEqual({ budget: 1 })
    expect(prover.calls).toHaveLength(1)

    // Keeping late results, the same group starts anyway and proves once the lane is free.
    const kept = engine.startSession([group(2, 1, 10, 100)], { deadlineMs: 140, admission: { factor: 1 } })
    await clock.advance(500)
    const summary = await kept.done
    expect(summary).toMatchObject({ aggregated: 1, late: 1, admitted: { 'best-effort': 1 } })
    expect(prover.calls[1]!.startedAt! - t0).toBe(200)
  })

  it('cancel stops new groups and settles promptly, abandoning the proof in flight', async () => {
    const { clock, engine, prover } = setup({ latency: () => 100 })
    const session = engine.startSession([group(1, 1, 3), group(2, 1, 2, 10), group(3, 1, 2, 20)])
    const results = collect(session)
    await clock.advance(150)
    session.cancel('slot moved on')
    session.cancel('twice is fine')
    await clock.advance(0)
    const summary = await session.done
    expect(summary).toMatchObject({ outcome: 'cancelled', cancelReason: 'slot moved on', aggregated: 1, cancelled: 1 })
    expect(statusesOf(summary)).toEqual([
      [0, 'aggregated', undefined],
      [1, 'cancelled', 'cancelled'],
      [2, 'skipped', 'cancelled'],
    ])
    expect(summary.settledAt - summary.createdAt).toBe(150)
    expect((await results).length).toBe(1)
    expect(prover.calls[1]!.aborted).toBe(true)
    expect(prover.calls).toHaveLength(2)
  })

  it('an aborted caller signal cancels the session', async () => {
    const { clock, engine } = setup()
    const ac = new AbortController()
    const session = engine.startSession([group(1, 1, 3), group(2, 1, 2, 10)], { signal: ac.signal })
    await clock.advance(10)
    ac.abort(new Error('shutting down'))
    await clock.advance(0)
    expect(await session.done).toMatchObject({ outcome: 'cancelled', cancelReason: 'shutting down', cancelled: 1 })
    const pre = new AbortController()
    pre.abort()
    const never = engine.startSession([group(3, 1, 2)], { signal: pre.signal })
    await clock.advance(0)
    expect((await never.done).skippedByReason).toEqual({ cancelled: 1 })
  })

  it('one failing group, a prover panic included, does not stop the others', async () => {
    const fails: Record<number, LeanAggError | Error | 'panic'> = {
      1: 'panic',
      2: new LeanAggError('INVALID_SIGNATURE', 'signature 0 does not verify'),
      3: new Error('unexpected'),
    }
    const { clock, engine } = setup({
      fail: (g) => fails[g.message[0]!],
      throwSync: (g) => g.message[0] === 4,
    })
    const groups = [1, 2, 3, 4, 5].map((m) => group(m, 1, 7 - m, m * 10))
    const session = engine.startSession(groups)
    const outcomes: string[] = []
    session.on('outcome', (o) => outcomes.push(o.status))
    await clock.advance(1000)
    const summary = await session.done
    expect(summary.failedByCode).toEqual({ PROVER_PANIC: 1, INVALID_SIGNATURE: 1, PROVER_FAILED: 2 })
    expect(summary.aggregated).toBe(1)
    expect(outcomes).toEqual(['failed', 'failed', 'failed', 'failed', 'aggregated'])
  })

  it('verify: true withholds an aggregate that does not verify', async () => {
    const { clock, engine, prover } = setup({ verify: (a) => a.slot !== 2 })
    const session = engine.startSession([group(1, 1, 3), group(2, 2, 2, 10)], { verify: true })
    const results = collect(session)
    await clock.advance(1000)
    const summary = await session.done
    expect((await results).map((r) => [r.aggregate.slot, r.verified])).toEqual([[1, true]])
    expect(summary.failedByCode).toEqual({ INVALID_AGGREGATE: 1 })
    expect(prover.verifyCalls).toHaveLength(2)
  })

  it('concurrency > 1 submits several groups; the single lane still proves them one by one', async () => {
    const { clock, engine, prover, t0 } = setup({ latency: () => 100 })
    const groups = [1, 2, 3].map((m) => group(m, 1, 2, m * 10))
    const session = engine.startSession(groups, { concurrency: 2 })
    await clock.advance(0)
    expect(prover.calls).toHaveLength(2)
    await clock.advance(1000)
    const summary = await session.done
    expect(summary.aggregated).toBe(3)
    expect(prover.calls.map((c) => c.startedAt! - t0)).toEqual([0, 100, 200])
  })

  it('learns proving cost from clean samples only', async () => {
    const { clock, engine } = setup({}, { prior: { baseMs: 500, perSignerMs: 0, perChildMs: 0 } })
    const session = engine.startSession([1, 2, 3, 4, 5, 6].map((m) => group(m, 1, 2 * m, m * 100)))
    await clock.advance(2000)
    await session.done
    expect(engine.estimator.snapshot().samples).toBe(6)
    expect(engine.estimator.estimate(8, 0)).toBeLessThan(500) // moved from the prior towards 80 ms
  })

  it('every done promise settles, whatever happens', async () => {
    const { clock, engine } = setup({ latency: (g: AggregationGroup) => 30 + (g.slot % 7) * 20, fail: (g) => (g.slot % 5 === 0 ? 'panic' : undefined) })
    const sessions = []
    for (let i = 0; i < 40; i++) {
      const busy = (['skip', 'cancel-previous', 'queue'] as const)[i % 3]
      const s = engine.startSession([group(i, i, 3, i * 10), group(i + 1000, i, 2, i * 10 + 5)], {
        busy,
        deadlineMs: 40 + (i % 4) * 50,
        late: i % 2 ? 'drop' : 'deliver',
      })
      sessions.push(s)
      if (i % 7 === 0) s.cancel()
      await clock.advance(15)
    }
    await clock.advance(5000)
    const summaries = await Promise.all(sessions.map((s) => s.done))
    for (const s of summaries) {
      expect(s.outcomes.map((o) => o.index)).toEqual([0, 1])
      expect(s.aggregated + s.skipped + s.failed + s.cancelled + s.outcomes.filter((o) => o.status === 'late-dropped').length).toBe(2)
    }
    expect(engine.status).toEqual({ state: 'idle' })
    expect(groupKey(group(1, 1, 1).message, 1)).toMatch(/:1$/)
  })

  it('a throwing estimator or aggregate getter fails one group, never the session', async () => {
    const clock = new ManualClock()
    const base = new FakeProver(clock, { latency: () => 50 })
    const prover = {
      aggregate: async (g: AggregationGroup, o?: { signal?: AbortSignal }) => {
        const a = await base.aggregate(g, o)
        if (g.message[0] !== 1) return a
        return Object.defineProperty({ ...a }, 'proofSize', {
          get: () => {
            throw new Error('native handle gone')
          },
        }) as Aggregate
      },
      verifyAggregate: async () => true,
    }
    const estimator = {
      estimate: () => {
        throw new Error('model bug')
      },
      observe: () => {
        throw new Error('model bug')
      },
      snapshot: () => ({ baseMs: 0, perSignerMs: 0, perChildMs: 0, samples: 0, residualStdMs: 0 }),
    }
    const engine = new AggregationEngine({ prover, clock, estimator, logger: noopLogger })
    const session = engine.startSession([group(1, 1, 3), group(2, 1, 2, 10)], { deadlineMs: 1000 })
    await clock.advance(500)
    const summary = await session.done
    expect(summary.failedByCode).toEqual({ PROVER_FAILED: 1 })
    expect(summary.aggregated).toBe(1)
  })

  it("'done' listeners added after settling still fire", async () => {
    const { clock, engine } = setup()
    const session = engine.startSession([group(1, 1, 2)])
    await clock.advance(100)
    await session.done
    const seen = await new Promise<SessionSummary>((resolve) => session.on('done', resolve))
    expect(seen.sessionId).toBe(session.id)
  })
})
