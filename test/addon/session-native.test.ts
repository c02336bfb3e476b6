/**
 * Session scenarios against the addon itself (simulated backend by default, leanMultisig with
 * `npm run test:lean-multisig`). Engine logic in depth is tested with a fake prover in
 * test/unit/session.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { buildSnapshot, type GroupInput, type GroupResult, type Prover, type SecretKey, type SessionSummary } from '../../src/index.js'
import { REAL, keys, makeProver, message, signAll, until } from '../support/helpers.js'

const SLOT = 9

async function groups(prover: Prover, signers: SecretKey[], count: number, per: number, base = 0): Promise<GroupInput[]> {
  const out: GroupInput[] = []
  for (let g = 0; g < count; g++) {
    const m = message(base + g)
    out.push({ message: m, slot: SLOT, signatures: await signAll(prover, signers.slice(0, per + (g % 2)), m, SLOT) })
  }
  return out
}

function accounted(summary: SessionSummary) {
  const lateDropped = summary.outcomes.filter((o) => o.status === 'late-dropped').length
  expect(summary.aggregated + summary.skipped + summary.failed + summary.cancelled + lateDropped).toBe(summary.considered)
  expect(summary.outcomes).toHaveLength(summary.considered)
}

describe.skipIf(REAL)('sessions on the simulated addon', () => {
  let prover: Prover
  let signers: SecretKey[]

  beforeAll(async () => {
    prover = makeProver({
      simulated: { proveBaseMs: 60, panicOn: [message(1002)] },
      sessions: { prior: { baseMs: 60, perSignerMs: 0, perChildMs: 0 } },
    })
    await prover.setup()
    signers = await keys(prover, 4)
  })

  it('a per-slot session with a deadline streams results and accounts for every group', async () => {
    const snapshot = buildSnapshot(await groups(prover, signers, 8, 2))
    const session = prover.startSession(snapshot, { deadlineMs: 250, verify: true })
    const seen: GroupResult[] = []
    for await (const r of session) {
      seen.push(r)
      expect(r.sessionId).toBe(session.id)
      expect(await prover.verifyAggregate(r.aggregate)).toBe(true)
    }
    const summary = await session.done
    accounted(summary)
    expect(summary.considered).toBe(8)
    expect(summary.aggregated).toBe(seen.length)
    expect(summary.aggregated).toBeGreaterThanOrEqual(2)
    expect(summary.aggregated).toBeLessThan(8) // the deadline stopped the rest
    expect((summary.skippedByReason.deadline ?? 0) + (summary.skippedByReason.budget ?? 0)).toBeGreaterThan(0)
  })

  it('one group panicking in the prover does not stop the others', async () => {
    const gs = await groups(prover, signers, 3, 2, 1000)
    const session = prover.startSession(buildSnapshot(gs), { deadlineMs: 5_000 })
    const summary = await session.done
    accounted(summary)
    expect(summary.failedByCode.PROVER_PANIC).toBe(1)
    expect(summary.aggregated).toBe(2)
  })

  it('a superseded session never leaks results into the next one', async () => {
    const a = prover.startSession(buildSnapshot(await groups(prover, signers, 4, 2, 2000)), { deadlineMs: 5_000, busy: 'cancel-previous' })
    // Superseded while its first proof runs.
    await until(() => prover.load.running === 1)
    const b = prover.startSession(buildSnapshot(await groups(prover, signers, 2, 2, 3000)), { deadlineMs: 5_000, busy: 'cancel-previous' })
    const bResults: GroupResult[] = []
    for await (const r of b) bResults.push(r)
    const [sa, sb] = await Promise.all([a.done, b.done])
    expect(sa.outcome).toBe('superseded')
    expect(sb.aggregated).toBe(2)
    expect(bResults.every((r) => r.sessionId === b.id)).toBe(true)
    expect(b.id > a.id).toBe(true)
    accounted(sa)
    accounted(sb)
  })

  it('close() during a proof settles everything, stops the running proof and waits for it', async () => {
    // Ten-minute proofs: only close()'s cancel can end the running one within its wait.
    const p = makeProver({ simulated: { proveBaseMs: 600_000 } })
    await p.setup()
    const ks = await keys(p, 2)
    const session = p.startSession(buildSnapshot(await groups(p, ks, 3, 2, 4000)), { deadlineMs: 1_200_000 })
    await until(() => p.load.running === 1)
    const report = await p.close({ timeoutMs: 10_000 })
    const summary = await session.done
    expect(summary.outcome).toBe('closed')
    accounted(summary)
    expect(report).toMatchObject({ proofStillRunning: false, sessionsCancelled: 1 })
    expect(p.load.running).toBe(0)
    await expect(p.aggregate({ message: message(1), slot: SLOT, signatures: [] })).rejects.toMatchObject({ code: 'CLOSED' })
  })
})

describe.skipIf(REAL)('the starvation scenario on the simulated addon (issue 7)', () => {
  // A group of 8 takes 900 ms against a 750 ms deadline, as on a 2-core machine with leanMultisig.
  let prover: Prover
  let signers: SecretKey[]

  beforeAll(async () => {
    prover = makeProver({ simulated: { proveBaseMs: 900 } })
    await prover.setup()
    signers = await keys(prover, 24)
  })

  async function slot(n: number): Promise<GroupInput[]> {
    const out: GroupInput[] = []
    for (let g = 0; g < 3; g++) {
      const m = message(7000 + n * 10 + g)
      out.push({ message: m, slot: SLOT, signatures: await signAll(prover, signers.slice(g * 8, g * 8 + 8), m, SLOT) })
    }
    return out
  }

  it("with late: 'deliver' (the default) no slot is empty", async () => {
    const summaries: SessionSummary[] = []
    for (let n = 1; n <= 5; n++) {
      const session = prover.startSession(buildSnapshot(await slot(n)), { deadlineMs: 750 })
      summaries.push(await session.done)
    }
    for (const s of summaries) {
      accounted(s)
      expect(s.aggregated).toBeGreaterThanOrEqual(1)
    }
    // Once the estimator has learned that nothing fits, the best group still starts. The first
    // sample is clipped as a possible outlier (a cold first proof), the second on the same side is
    // taken as a change: learning takes two slots.
    expect(summaries.slice(2).every((s) => s.admitted['best-effort'] === 1)).toBe(true)
    expect(prover.engine.metrics.snapshot().admissions.best_effort).toBe(3)
  })

  it("with late: 'drop' skipping is right: once the cost is learned, nothing is proved to be dropped", async () => {
    const cold = makeProver({ simulated: { proveBaseMs: 900 } }) // its own estimator, from the prior
    await cold.setup()
    const summaries: SessionSummary[] = []
    // Five slots: the estimator clips its first sample as a possible outlier, then learns.
    for (let n = 6; n <= 10; n++) {
      const session = cold.startSession(buildSnapshot(await slot(n)), { deadlineMs: 750, late: 'drop' })
      summaries.push(await session.done)
    }
    for (const s of summaries) {
      accounted(s)
      expect(s.aggregated).toBe(0) // nothing finishes in time, and late results are not wanted
    }
    // Proofs dropped at the deadline taught the estimator they take longer than 750 ms.
    expect(summaries[0]!.outcomes.some((o) => o.status === 'late-dropped')).toBe(true)
    expect(summaries.at(-1)).toMatchObject({ admitted: {}, skippedByReason: { budget: 3 } })
    await cold.close()
  })
})

describe.runIf(REAL)('sessions on leanMultisig', () => {
  it('proves groups, streams verified results, and a cancel stops the rest', async () => {
    const prover = makeProver()
    await prover.setup()
    const signers = await keys(prover, 3)
    const snapshot = buildSnapshot(await groups(prover, signers, 3, 2))
    const session = prover.startSession(snapshot, { deadlineMs: 120_000, verify: true })
    const results: GroupResult[] = []
    for await (const r of session) results.push(r)
    const summary = await session.done
    accounted(summary)
    expect(summary.aggregated).toBe(3)
    for (const r of results) {
      expect(r.proofSize).toBeGreaterThan(10_000)
      expect(r.provedAt).toBeGreaterThanOrEqual(r.startedAt)
    }
    const second = prover.startSession(buildSnapshot(await groups(prover, signers, 3, 2, 50)), { deadlineMs: 120_000 })
    second.cancel('test')
    const s2 = await second.done
    accounted(s2)
    expect(s2.aggregated).toBe(0)
    // The three proofs of the first session taught the estimator; the cancelled one proved nothing.
    expect(prover.engine.estimator.snapshot().samples).toBe(3)
    expect(prover.engine.estimator.estimate(2, 0)).toBeGreaterThan(0)
  })
})
