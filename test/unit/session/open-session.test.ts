/** Open sessions on the manual clock: votes arrive while the session runs. */
import { describe, expect, it } from 'vitest'
import { AggregationEngine } from '../../../src/session/engine.js'
import type { EngineOptions } from '../../../src/session/engine.js'
import type { OpenSessionOptions } from '../../../src/session/options.js'
import type { GroupResult } from '../../../src/session/outcomes.js'
import { FakeProver, ManualClock } from '../../../src/testing.js'
import { message, signed } from '../../support/fake-groups.js'
import { noopLogger } from '../../../src/logger.js'
import type { FakeProverOptions } from '../../../src/testing.js'

/** Proofs take 100 ms + 10 ms per signature, and the estimator knows it. */
function setup(proverOpts: FakeProverOptions = {}, engineOpts: Partial<EngineOptions> = {}) {
  const clock = new ManualClock()
  const prover = new FakeProver(clock, { latency: (g) => 100 + 10 * g.signatures.length, killable: true, ...proverOpts })
  const engine = new AggregationEngine({ prover, clock, logger: noopLogger, prior: { baseMs: 100, perSignerMs: 10, perChildMs: 0 }, ...engineOpts })
  return { clock, prover, engine, t0: clock.now() }
}

const vote = (m: number, signer: number, slot = 1) => ({ message: message(m), slot, signatures: [signed(signer)] })

/** Add votes for message `m` from signers first..first+count-1, one every `everyMs`, starting now. */
async function trickle(clock: ManualClock, add: (v: ReturnType<typeof vote>) => unknown, m: number, first: number, count: number, everyMs: number) {
  for (let i = 0; i < count; i++) {
    if (i > 0) await clock.advance(everyMs)
    add(vote(m, first + i))
  }
}

function results(session: { on(e: 'result', fn: (r: GroupResult) => void): unknown }) {
  const out: GroupResult[] = []
  session.on('result', (r) => out.push(r))
  return out
}

function open(engine: AggregationEngine, options: Partial<OpenSessionOptions> = {}) {
  return engine.openSession({ deadlineMs: 1000, ...options })
}

describe('open sessions: proving while votes arrive', () => {
  it('proves a group once its votes are in, proves it again from the larger set, and says what each result improves on', async () => {
    const { clock, engine, prover, t0 } = setup()
    const s = open(engine, { expectedVotes: 5 })
    const got = results(s)
    await trickle(clock, (v) => s.add(v), 1, 0, 4, 10) // t = 0..30
    expect(prover.calls).toHaveLength(0) // a lone group waits for its votes until its latest start
    await clock.advance(10)
    s.add(vote(1, 4)) // t = 40: the fifth expected vote
    expect(prover.calls).toHaveLength(1)
    expect(prover.calls[0]!.group.signatures).toHaveLength(5)
    await clock.advance(60)
    await trickle(clock, (v) => s.add(v), 1, 5, 5, 10) // t = 100..140, while the first proof runs
    await clock.advance(50) // t = 190: first proof done, the group has 10 votes
    expect(got.map((r) => [r.seq, r.signerCount, r.improves])).toEqual([[0, 5, undefined]])
    expect(prover.calls).toHaveLength(2)
    expect(prover.calls[1]!.startedAt! - t0).toBe(190)
    s.seal()
    await clock.advance(200)
    const summary = await s.done
    expect(got.map((r) => [r.seq, r.signerCount, r.improves, r.late])).toEqual([
      [0, 5, undefined, false],
      [1, 10, 0, false],
    ])
    expect(summary.outcome).toBe('completed')
    expect(summary.settledAt - t0).toBe(390)
    expect(summary.outcomes).toEqual([expect.objectContaining({ status: 'aggregated', result: got[1] })])
    expect(summary.coverage).toMatchObject({ signers: 10, coveredBeforeDeadline: 10, replacedProofMs: 150 })
    expect(summary.coverage!.groups[0]).toMatchObject({ proofs: 2, signers: 10, coveredBeforeDeadline: 10 })
  })

  it('a settled group goes at once; the head waits for stragglers until its latest start', async () => {
    const { clock, engine, prover, t0 } = setup()
    const s = open(engine)
    const got = results(s)
    s.addMany([vote(2, 100), vote(2, 101), vote(2, 102)]) // a fork: 3 votes, settled at t = 50
    await trickle(clock, (v) => s.add(v), 1, 0, 21, 20) // the head: t = 0..400
    await clock.advance(600)
    await s.done
    expect(prover.calls.map((c) => [c.group.signatures.length, c.startedAt! - t0])).toEqual([
      // Settled at 50, but the head's pace then (3 votes in 40 ms) let it expect a group too large
      // for the fork to go first; at 60 its slower pace leaves room.
      [3, 60],
      [21, 674.5], // its latest start: 1000 - 310 ms, 5% of that clear of the deadline
    ])
    expect(got.map((r) => [r.signerCount, r.late])).toEqual([
      [3, false],
      [21, false],
    ])
  })

  it('while votes trickle in, the final proof starts as late as it can and ends at the deadline with the votes it has', async () => {
    const { clock, engine, prover, t0 } = setup()
    const s = open(engine) // deadline at 1000
    const got = results(s)
    await trickle(clock, (v) => s.add(v), 1, 0, 31, 30) // a vote every 30 ms, t = 0..900: never a pause
    await clock.advance(500)
    await s.done
    const [call] = prover.calls
    expect(prover.calls).toHaveLength(1)
    const started = call!.startedAt! - t0
    const votes = call!.group.signatures.length
    // Every vote that came before it (one arriving at that very ms may or may not be in).
    expect(votes).toBeGreaterThanOrEqual(Math.ceil(started / 30))
    expect(votes).toBeLessThanOrEqual(Math.floor(started / 30) + 1)
    expect(started + 100 + 10 * votes).toBeLessThanOrEqual(1000)
    expect(started + 30 + 100 + 10 * (votes + 1)).toBeGreaterThan(1000 - 0.05 * (100 + 10 * votes)) // waiting for one more would not have fitted
    expect(got).toEqual([expect.objectContaining({ signerCount: votes, late: false })])
  })

  it('with expectedVotes, the head starts as soon as every expected vote is in, not at its latest start', async () => {
    const { clock, engine, prover, t0 } = setup()
    const s = open(engine, { expectedVotes: 10 })
    await trickle(clock, (v) => s.add(v), 1, 0, 10, 30) // t = 0..270
    await clock.advance(1000)
    await s.done
    expect(prover.calls.map((c) => [c.group.signatures.length, c.startedAt! - t0])).toEqual([[10, 270]])
    expect(() => open(engine, { expectedVotes: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('a head group that no longer fits in full is proved from the largest prefix of its votes that does, first', async () => {
    const { clock, engine, prover } = setup()
    const s = open(engine, { deadlineMs: 400 })
    const got = results(s)
    s.add({ message: message(1), slot: 1, signatures: Array.from({ length: 50 }, (_, i) => signed(i)) }) // 600 ms in full
    s.add({ message: message(2), slot: 1, signatures: [signed(100), signed(101), signed(102)] })
    await clock.advance(500)
    const summary = await s.done
    // 400 ms left, 5% of the full estimate (600 ms) kept clear: 27 votes fit (370 ms).
    expect(prover.calls[0]!.group.signatures.map((x) => x.publicKey)).toEqual(Array.from({ length: 27 }, (_, i) => signed(i).publicKey))
    expect(got.map((r) => [r.signerCount, r.late, r.admission])).toEqual([[27, false, 'fits']])
    expect(summary.coverage!.groups.map((g) => [g.signers, g.coveredBeforeDeadline])).toEqual([
      [50, 27],
      [3, 0],
    ])
    expect(summary.outcomes.map((o) => o.status === 'skipped' && o.reason)).toEqual([false, 'budget'])
  })

  it("with late: 'deliver' a head group no proof of could finish in time is proved late, not dropped", async () => {
    const { clock, engine } = setup()
    const s = open(engine, { deadlineMs: 100 })
    const got = results(s)
    s.add({ message: message(1), slot: 1, signatures: Array.from({ length: 20 }, (_, i) => signed(i)) })
    await clock.advance(400)
    const summary = await s.done
    expect(got.map((r) => [r.signerCount, r.late, r.admission])).toEqual([[20, true, 'best-effort']])
    expect(summary.coverage).toMatchObject({ coveredBeforeDeadline: 0, covered: 20 })
    expect(summary.late).toBe(1)
  })

  it('a head group that never got the prover before the deadline is proved late once the prover frees', async () => {
    // The fork's proof runs far past its estimate, through the deadline; the head arrives meanwhile.
    const { clock, engine, prover, t0 } = setup({ latency: (g) => (g.signatures.length === 2 ? 400 : 200) })
    const s = open(engine, { deadlineMs: 300, expectedVotes: 2 }) // every vote counts as in once 2 have come
    const got = results(s)
    s.add({ message: message(2), slot: 1, signatures: [signed(100), signed(101)] })
    await clock.advance(100)
    s.add({ message: message(1), slot: 1, signatures: Array.from({ length: 10 }, (_, i) => signed(i)) })
    await clock.advance(2000)
    const summary = await s.done
    expect(prover.calls.map((c) => [c.group.signatures.length, c.startedAt! - t0])).toEqual([
      [2, 0],
      [10, 400],
    ])
    expect(got.map((r) => [r.signerCount, r.late, r.admission])).toEqual([
      [2, true, 'fits'],
      [10, true, 'best-effort'],
    ])
    expect(summary.outcomes.map((o) => o.status)).toEqual(['aggregated', 'aggregated'])
  })

  it("with late: 'drop' a proof still running at the deadline is killed and its group counted late-dropped", async () => {
    // Proofs take twice the estimate.
    const { clock, engine, prover } = setup({ latency: (g) => 2 * (100 + 10 * g.signatures.length) })
    const s = open(engine, { deadlineMs: 250, late: 'drop' })
    s.add({ message: message(1), slot: 1, signatures: Array.from({ length: 10 }, (_, i) => signed(i)) })
    await clock.advance(1000)
    const summary = await s.done
    expect(prover.calls[0]!.aborted).toBe(true)
    expect(summary.outcomes).toEqual([expect.objectContaining({ status: 'late-dropped' })])
    expect(summary.coverage).toMatchObject({ coveredBeforeDeadline: 0, covered: 0 })
  })

  it("with late: 'drop' and nothing that fits, nothing starts: the group is skipped as over budget", async () => {
    const { clock, engine, prover } = setup()
    const s = open(engine, { deadlineMs: 100, late: 'drop' })
    s.add({ message: message(1), slot: 1, signatures: Array.from({ length: 20 }, (_, i) => signed(i)) })
    await clock.advance(200)
    const summary = await s.done
    expect(prover.calls).toHaveLength(0)
    expect(summary.outcomes).toEqual([expect.objectContaining({ status: 'skipped', reason: 'budget' })])
  })
})

describe('open sessions: input', () => {
  it('needs a deadline; bad options are INVALID_ARGUMENT', () => {
    const { engine } = setup()
    expect(() => engine.openSession({})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => engine.openSession({ deadlineMs: 10, quietMs: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => engine.openSession({ deadlineMs: 10, cutoffAt: Number.NaN })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('a bad input is a typed error and takes nothing of its batch; duplicates are counted, not added', async () => {
    const { clock, engine } = setup()
    const s = open(engine)
    const bad = { message: new Uint8Array(31), slot: 1, signatures: [signed(9)] }
    expect(() => s.addMany([vote(1, 0), bad])).toThrow(expect.objectContaining({ code: 'INVALID_LENGTH' }))
    expect(() => s.add({ message: message(1), slot: 1, signatures: [{ publicKey: signed(0).publicKey, signature: new Uint8Array(5) }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_LENGTH' }),
    )
    expect(() => s.add({ message: message(1), slot: 1, signatures: [] })).toThrow(expect.objectContaining({ code: 'EMPTY_GROUP' }))
    expect(s.add(vote(1, 0))).toEqual({ key: expect.any(String), index: 0, added: 1, duplicates: 0, childrenAdded: 0 })
    expect(s.add({ message: message(1), slot: 1, signatures: [signed(0), signed(1), signed(1)] })).toMatchObject({ index: 0, added: 1, duplicates: 2 })
    expect(s.add(vote(2, 0))).toMatchObject({ index: 1, added: 1 })
    s.seal()
    await clock.advance(1000)
    const summary = await s.done
    expect(summary.considered).toBe(2)
    expect(summary.coverage!.groups.map((g) => g.signers)).toEqual([2, 1])
    expect(summary.outcomes[1]).toMatchObject({ status: 'skipped', reason: 'trivial' })
  })

  it('copies what it takes: changing the caller bytes afterwards changes nothing', async () => {
    const { clock, engine, prover } = setup()
    const s = open(engine)
    const a = signed(1)
    const b = signed(2)
    s.add({ message: message(1), slot: 1, signatures: [a, b] })
    a.signature[0] = 0xee
    a.publicKey[0] = 0xee
    await clock.advance(1000)
    expect(prover.calls[0]!.group.signatures[0]).toEqual(signed(1))
  })

  it('after the cutoff, a seal or a stop, add() throws SESSION_SEALED; after close, CLOSED', async () => {
    const { clock, engine } = setup()
    const s = open(engine, { cutoffAt: clock.now() + 100 })
    s.add(vote(1, 0))
    await clock.advance(100)
    expect(s.sealed).toBe(true)
    expect(() => s.add(vote(1, 1))).toThrow(expect.objectContaining({ code: 'SESSION_SEALED' }))
    const t = open(engine)
    t.seal()
    expect(() => t.add(vote(1, 1))).toThrow(expect.objectContaining({ code: 'SESSION_SEALED' }))
    const u = open(engine)
    u.cancel('bye')
    expect(() => u.add(vote(1, 1))).toThrow(expect.objectContaining({ code: 'SESSION_SEALED' }))
    const v = open(engine)
    await engine.close()
    expect(() => v.add(vote(1, 1))).toThrow(expect.objectContaining({ code: 'CLOSED' }))
    expect(() => open(engine).add(vote(1, 1))).toThrow(expect.objectContaining({ code: 'CLOSED' }))
  })
})

describe('open sessions in the engine', () => {
  it('cancel abandons the proof in flight and settles at once', async () => {
    const { clock, engine, prover, t0 } = setup()
    const s = open(engine, { expectedVotes: 3 })
    s.addMany([vote(1, 0), vote(1, 1), vote(1, 2)])
    await clock.advance(60)
    expect(prover.calls).toHaveLength(1)
    s.cancel('slot over')
    await clock.advance(0)
    const summary = await s.done
    expect(prover.calls[0]!.aborted).toBe(true)
    expect(summary).toMatchObject({ outcome: 'cancelled', cancelReason: 'slot over' })
    expect(summary.settledAt - t0).toBe(60)
    expect(summary.outcomes).toEqual([expect.objectContaining({ status: 'cancelled', reason: 'cancelled' })])
  })

  it("a newer session supersedes an open one ('cancel-previous'); its results never reach the new stream", async () => {
    const { clock, engine } = setup()
    const first = open(engine)
    first.addMany([vote(1, 0), vote(1, 1)])
    await clock.advance(60)
    const second = open(engine)
    const got = results(second)
    second.addMany([vote(1, 0), vote(1, 1)])
    await clock.advance(1000)
    const [a, b] = await Promise.all([first.done, second.done])
    expect(a.outcome).toBe('superseded')
    expect(got.every((r) => r.sessionId === second.id)).toBe(true)
    expect(b.aggregated).toBe(1)
  })

  it("'queue': an open session queued behind another takes votes, and plans once it starts", async () => {
    const { clock, engine, prover, t0 } = setup({}, { busy: 'queue' })
    const first = engine.startSession([{ message: message(9), slot: 1, signatures: [signed(0), signed(1)] }], { deadlineMs: 1000 })
    const second = open(engine, { expectedVotes: 2 })
    expect(second.state).toBe('queued')
    second.addMany([vote(1, 0), vote(1, 1)])
    await clock.advance(1000)
    await Promise.all([first.done, second.done])
    expect(prover.calls.map((c) => c.startedAt! - t0)).toEqual([0, 120])
  })

  it('close() settles open sessions and reports them cancelled', async () => {
    const { clock, engine } = setup()
    const s = open(engine)
    s.addMany([vote(1, 0), vote(1, 1)])
    await clock.advance(60)
    const report = engine.close({ timeoutMs: 100 })
    await clock.advance(100)
    expect(await report).toMatchObject({ sessionsCancelled: 1 })
    expect((await s.done).outcome).toBe('closed')
  })

  it('a failed proof keeps the group from being proved again; an earlier aggregate stays its outcome', async () => {
    const { clock, engine, prover } = setup({ fail: (g) => (g.signatures.length > 2 ? new Error('bad vote') : undefined) })
    const s = open(engine, { deadlineMs: 5000, expectedVotes: 2 })
    s.addMany([vote(1, 0), vote(1, 1)])
    await clock.advance(200) // proved with 2
    s.add(vote(1, 2))
    await clock.advance(800) // the proof with 3 starts at once (all expected votes are in) and fails
    s.add(vote(1, 3))
    s.seal()
    await clock.advance(1000)
    const summary = await s.done
    expect(prover.calls.map((c) => c.group.signatures.length)).toEqual([2, 3])
    expect(summary.outcomes).toEqual([expect.objectContaining({ status: 'aggregated', result: expect.objectContaining({ signerCount: 2 }) })])
  })

  it('status and metrics count open sessions like the others', async () => {
    const { clock, engine } = setup()
    const s = open(engine)
    s.addMany([vote(1, 0), vote(1, 1)])
    expect(engine.status).toMatchObject({ state: 'busy', sessionId: s.id })
    s.seal()
    await clock.advance(1000)
    await s.done
    expect(engine.status).toEqual({ state: 'idle' })
    const m = engine.metrics.snapshot()
    expect(m.sessions).toMatchObject({ started: 1, completed: 1 })
    expect(m.groups).toMatchObject({ aggregated: 1 })
  })
})
