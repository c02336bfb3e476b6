import { describe, expect, it } from 'vitest'
import { systemClock } from '../../../src/session/clock.js'
import { AggregationEngine } from '../../../src/session/engine.js'
import type { EngineOptions } from '../../../src/session/engine.js'
import type { GroupResult } from '../../../src/session/outcomes.js'
import type { EngineStatus } from '../../../src/session/status.js'
import type { GroupProver } from '../../../src/session/types.js'
import { FakeProver, ManualClock } from '../../../src/testing.js'
import { group } from '../../support/fake-groups.js'
import { noopLogger } from '../../../src/logger.js'
import type { FakeProverOptions } from '../../../src/testing.js'

function setup(proverOpts: FakeProverOptions = {}, engineOpts: Partial<EngineOptions> = {}) {
  const clock = new ManualClock()
  const prover = new FakeProver(clock, { latency: () => 100, ...proverOpts })
  const engine = new AggregationEngine({ prover, clock, logger: noopLogger, ...engineOpts })
  return { clock, prover, engine, t0: clock.now() }
}

const three = (base: number) => [group(base, 1, 3, base * 10), group(base + 1, 1, 2, base * 10 + 5), group(base + 2, 1, 2, base * 10 + 7)]

describe('engine busy policies', () => {
  it("'skip' refuses the new session without throwing; its done resolves at once", async () => {
    const { clock, engine } = setup({}, { busy: 'skip' })
    const first = engine.startSession(three(1))
    expect(engine.canAcceptWork()).toBe(false)
    const second = engine.startSession(three(10))
    const summary = await second.done
    expect(summary).toMatchObject({ outcome: 'refused', refusedReason: 'busy', aggregated: 0 })
    expect(summary.skippedByReason).toEqual({ busy: 3 })
    expect(await collectNow(second)).toEqual([])
    await clock.advance(1000)
    expect((await first.done).aggregated).toBe(3)
    expect(engine.metrics.snapshot().sessions).toMatchObject({ started: 1, skipped: 1, completed: 1 })
  })

  it("'cancel-previous' supersedes the running session without waiting for it", async () => {
    const { clock, engine, prover, t0 } = setup()
    const first = engine.startSession(three(1))
    await clock.advance(50)
    const second = engine.startSession(three(10), { busy: 'cancel-previous' })
    expect(second.state).toBe('running')
    await clock.advance(0)
    const firstSummary = await first.done
    expect(firstSummary.outcome).toBe('superseded')
    expect(firstSummary.settledAt - t0).toBe(50)
    expect(firstSummary.outcomes.map((o) => [o.status, 'reason' in o && o.reason])).toEqual([
      ['cancelled', 'superseded'],
      ['skipped', 'superseded'],
      ['skipped', 'superseded'],
    ])
    // The new session's first proof waits for the lane the abandoned proof still holds.
    await clock.advance(1000)
    expect((await second.done).aggregated).toBe(3)
    expect(prover.calls[1]!.startedAt! - t0).toBe(100)
  })

  it("a superseded session's late result never reaches the next session's stream", async () => {
    // A prover that ignores abort: the old proof resolves while the new session runs.
    const { clock, engine } = setup({ ignoreAbort: true })
    const same = [group(1, 5, 3), group(2, 5, 2, 10)]
    const first = engine.startSession(same)
    const firstResults: GroupResult[] = []
    first.on('result', (r) => firstResults.push(r))
    await clock.advance(50)
    const second = engine.startSession(same, { busy: 'cancel-previous' })
    const secondResults: GroupResult[] = []
    second.on('result', (r) => secondResults.push(r))
    const iterated = collect(second)
    await clock.advance(1000)
    const [s1, s2] = await Promise.all([first.done, second.done])
    expect(firstResults).toEqual([])
    expect(s1.aggregated).toBe(0)
    expect(s1.drained).toBe(true)
    expect(secondResults.map((r) => r.sessionId)).toEqual([second.id, second.id])
    expect(await iterated).toEqual(secondResults)
    expect(s2.aggregated).toBe(2)
    expect(second.id).toBeGreaterThan(first.id)
  })

  it('a cancelled session waits at most drainTimeoutMs for an abandoned call', async () => {
    const { clock, engine } = setup({ ignoreAbort: true, latency: () => 5000 }, { drainTimeoutMs: 200 })
    const s = engine.startSession(three(1))
    await clock.advance(10)
    s.cancel()
    await clock.advance(200)
    const summary = await s.done
    expect(summary.drained).toBe(false)
    expect(summary.settledAt - summary.createdAt).toBe(210)
  })

  it("'queue' starts the next session when the previous settles, and refuses overflow", async () => {
    const { clock, engine, prover, t0 } = setup({}, { busy: 'queue', maxQueued: 1 })
    const first = engine.startSession(three(1))
    const second = engine.startSession(three(10))
    expect(second.state).toBe('queued')
    expect(engine.canAcceptWork()).toBe(false)
    const third = engine.startSession(three(20))
    expect(await third.done).toMatchObject({ outcome: 'refused', refusedReason: 'queue-full' })
    await clock.advance(1000)
    const [a, b] = await Promise.all([first.done, second.done])
    expect(a.aggregated).toBe(3)
    expect(b.aggregated).toBe(3)
    expect(b.startedAt! - t0).toBe(300)
    expect(prover.calls).toHaveLength(6)
    expect(engine.metrics.snapshot().sessions).toMatchObject({ queued: 1, skipped: 1, started: 2, completed: 2 })
  })

  it('a queued session whose deadline passes settles without proving', async () => {
    const { clock, engine, prover } = setup({}, { busy: 'queue' })
    engine.startSession(three(1))
    const queued = engine.startSession(three(10), { deadlineMs: 120 })
    await clock.advance(120)
    const summary = await queued.done
    expect(summary).toMatchObject({ outcome: 'deadline', skippedByReason: { deadline: 3 } })
    expect(summary.startedAt).toBeUndefined()
    await clock.advance(1000)
    expect(prover.calls.every((c) => c.group.message[0]! < 10)).toBe(true)
  })

  it('per-session busy overrides the engine default', async () => {
    const { engine } = setup({}, { busy: 'queue' })
    engine.startSession(three(1))
    const s = engine.startSession(three(10), { busy: 'skip' })
    expect((await s.done).refusedReason).toBe('busy')
  })
})

describe('engine ids, status, close', () => {
  it('session ids are unique and increasing, across engines too', async () => {
    const a = setup({}, { busy: 'skip' })
    const b = setup({}, { busy: 'cancel-previous' })
    const ids: number[] = []
    for (let i = 0; i < 200; i++) {
      const engine = i % 2 ? a.engine : b.engine
      ids.push(engine.startSession([group(i, i, 2)]).id)
    }
    await Promise.all([a.clock.advance(10_000), b.clock.advance(10_000)])
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!)
  })

  it('publishes one status value to every subscriber and answers waitFor', async () => {
    const { clock, engine, t0 } = setup()
    const seenA: EngineStatus[] = []
    const seenB: EngineStatus[] = []
    engine.onStatus((s) => seenA.push(s))
    const off = engine.onStatus((s) => seenB.push(s))
    expect(engine.status).toEqual({ state: 'idle' })
    const idleAgain = engine.waitFor((s) => s.state === 'idle')
    expect(await idleAgain).toEqual({ state: 'idle' }) // current value counts
    const s = engine.startSession(three(1))
    expect(engine.status).toEqual({ state: 'busy', sessionId: s.id, groupsRemaining: 3, currentGroupStartedAt: t0 })
    const two = engine.waitFor((st) => st.state === 'busy' && st.groupsRemaining === 2)
    const idle = engine.waitFor((st) => st.state === 'idle')
    await clock.advance(100)
    expect(await two).toEqual({ state: 'busy', sessionId: s.id, groupsRemaining: 2, currentGroupStartedAt: t0 + 100 })
    off()
    await clock.advance(1000)
    expect(await idle).toEqual({ state: 'idle' })
    // 0 remaining: the last proof is done and the session is settling.
    expect(seenA.map((x) => (x.state === 'busy' ? x.groupsRemaining : x.state))).toEqual([3, 2, 1, 0, 'idle'])
    expect(seenB).toHaveLength(2)
  })

  it('waitFor rejects with ABORTED on its signal and CLOSED when the engine closes', async () => {
    const { engine } = setup()
    const ac = new AbortController()
    const aborted = engine.waitFor(() => false, { signal: ac.signal })
    ac.abort()
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' })
    const never = engine.waitFor((s) => s.state === 'busy')
    const closed = engine.waitFor((s) => s.state === 'closed')
    await engine.close()
    await expect(never).rejects.toMatchObject({ code: 'CLOSED' })
    expect(await closed).toEqual({ state: 'closed' })
    await expect(engine.waitFor((s) => s.state === 'idle')).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('close during a proof cancels everything, ends iterators and reports the running proof', async () => {
    const { clock, engine, prover } = setup({}, { busy: 'queue', maxQueued: 2 })
    const running = engine.startSession(three(1))
    const queued = engine.startSession(three(10))
    const iter = collect(running)
    await clock.advance(150)
    const closing = engine.close({ timeoutMs: 500 })
    expect(engine.status).toEqual({ state: 'closed' })
    expect(engine.canAcceptWork()).toBe(false)
    const after = engine.startSession(three(20))
    expect(await after.done).toMatchObject({ outcome: 'refused', refusedReason: 'closed', error: { code: 'CLOSED' } })
    await clock.advance(0)
    const [r, q] = await Promise.all([running.done, queued.done])
    expect(r).toMatchObject({ outcome: 'closed', aggregated: 1, cancelled: 1, skippedByReason: { closed: 1 } })
    expect(q).toMatchObject({ outcome: 'closed', skippedByReason: { closed: 3 } })
    expect((await iter).length).toBe(1)
    expect(prover.busy).toBe(true)
    await clock.advance(100) // the abandoned native proof ends at 200
    expect(await closing).toEqual({ proofStillRunning: false, sessionsCancelled: 2 })
    expect(engine.close()).toBe(closing)
  })

  it('close reports proofStillRunning when the proof outlives timeoutMs', async () => {
    const { clock, engine } = setup({ latency: () => 5000 })
    engine.startSession(three(1))
    await clock.advance(10)
    const closing = engine.close({ timeoutMs: 100 })
    await clock.advance(100)
    expect(await closing).toEqual({ proofStillRunning: true, sessionsCancelled: 1 })
  })

  it('without prover.idle(), close estimates from the abandoned proof', async () => {
    const clock = new ManualClock()
    const fake = new FakeProver(clock, { latency: () => 1000 })
    const prover: GroupProver = { aggregate: (g, o) => fake.aggregate(g, o), verifyAggregate: (a, o) => fake.verifyAggregate(a, o) }
    const engine = new AggregationEngine({ prover, clock, prior: { baseMs: 1000, perSignerMs: 0, perChildMs: 0 } })
    engine.startSession(three(1))
    await clock.advance(10)
    const closing = engine.close({ timeoutMs: 100 })
    await clock.advance(0)
    expect(await closing).toEqual({ proofStillRunning: true, sessionsCancelled: 1 })
  })

  it('close on an idle engine resolves at once', async () => {
    const { engine } = setup()
    expect(await engine.close()).toEqual({ proofStillRunning: false, sessionsCancelled: 0 })
  })

  it('rejects invalid options synchronously with INVALID_ARGUMENT', () => {
    const { engine } = setup()
    expect(() => engine.startSession(three(1), { concurrency: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => engine.startSession(three(1), { deadlineMs: Number.NaN })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => engine.startSession(three(1), { busy: 'wait' as never })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => engine.startSession({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => new AggregationEngine({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(engine.status.state).toBe('idle')
  })

  it("the default clock's timers do not keep the process alive", () => {
    const handle = systemClock.setTimeout(() => {}, 60_000) as NodeJS.Timeout
    expect(handle.hasRef()).toBe(false)
    systemClock.clearTimeout(handle)
  })
})

async function collect(it: AsyncIterable<GroupResult>): Promise<GroupResult[]> {
  const out: GroupResult[] = []
  for await (const r of it) out.push(r)
  return out
}

/** Collect from an already-settled session. */
function collectNow(it: AsyncIterable<GroupResult>) {
  return collect(it)
}

describe('a prover that stops aborted proofs (process isolation)', () => {
  // A session superseded 100 ms into a 1000 ms proof; the next one has 1200 ms to its deadline.
  it.each([
    [false, 'waits for the abandoned proof: over budget', 0],
    [true, 'has the lane at once: its group fits', 1],
  ] as const)('killable %s: the next session %s', async (killable, _what, aggregated) => {
    const { clock, engine, prover, t0 } = setup(
      { latency: () => 1000, killable },
      { prior: { baseMs: 1000, perSignerMs: 0, perChildMs: 0 }, defaults: { late: 'drop' } },
    )
    engine.startSession([group(1, 1, 3, 10)])
    await clock.advance(100)
    const second = engine.startSession([group(2, 1, 3, 20)], { deadlineMs: 1200 })
    await clock.advance(3000)
    const summary = await second.done
    expect(summary.aggregated).toBe(aggregated)
    if (killable) expect(prover.calls[1]!.startedAt! - t0).toBe(100)
    else expect(summary.skippedByReason).toEqual({ budget: 1 })
  })
})
