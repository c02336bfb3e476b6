/** Abort storms (issue 10): thousands of signals fired before, during and after work; every promise settles once, with the right outcome. */
import { describe, expect, it } from 'vitest'
import { LeanAggError } from '../../src/index.js'
import { REAL, keys, makeProver, message, signAll } from '../support/helpers.js'

const COUNT = Number(process.env.RELIABILITY_ABORTS ?? 3000)

// In prover processes every abort during a proof kills a worker (the server forks the next one):
// a tenth of the storm covers that path in CI's short mode.
describe.skipIf(REAL).each([
  { isolation: 'in-process', count: COUNT, proveBaseMs: 0.2 },
  { isolation: 'process', count: Math.ceil(COUNT / 10), proveBaseMs: 1 },
] as const)('abort storm (simulated, $isolation)', ({ isolation, count: COUNT, proveBaseMs }) => {
  it(`${COUNT} aborts before start, during and after completion`, async () => {
    const prover = makeProver({ isolation, simulated: { proveBaseMs }, maxConcurrentProofs: 4 })
    await prover.setup()
    const msg = message(9)
    const sigs = await signAll(prover, await keys(prover, 2, 500, 0, 7), msg, 1)
    const settled = new Map<number, string>()
    const jobs: Promise<void>[] = []
    for (let i = 0; i < COUNT; i++) {
      const ac = new AbortController()
      const when = i % 3 // 0: before, 1: during, 2: after
      if (when === 0) ac.abort(new Error('before'))
      const p = prover.aggregate({ message: msg, slot: 1, signatures: sigs }, { signal: ac.signal })
      if (when === 1) setTimeout(() => ac.abort(new Error('during')), i % 2)
      jobs.push(
        p.then(
          () => {
            expect(settled.has(i)).toBe(false)
            settled.set(i, 'ok')
            if (when === 2) ac.abort(new Error('after'))
          },
          (e: unknown) => {
            expect(settled.has(i)).toBe(false)
            expect(e).toBeInstanceOf(LeanAggError)
            expect((e as LeanAggError).code).toBe('ABORTED')
            settled.set(i, 'aborted')
          },
        ),
      )
    }
    await Promise.all(jobs)
    expect(settled.size).toBe(COUNT)
    for (let i = 0; i < COUNT; i += 3) expect(settled.get(i)).toBe('aborted')
    for (let i = 2; i < COUNT; i += 3) expect(settled.get(i)).toBe('ok')
    expect(prover.load).toEqual({ running: 0, queued: 0 })
    await prover.close()
  }, 120_000)

  it(`${Math.ceil(COUNT / 3)} sessions whose signals fire before start, during and after completion`, async () => {
    // The default busy policy: each session supersedes the one before it, whose signal may fire later.
    const prover = makeProver({ isolation, simulated: { proveBaseMs } })
    await prover.setup()
    const signers = await keys(prover, 2, 600, 0, 7)
    const groups = await Promise.all(
      [1, 2].map(async (n) => ({ message: message(900 + n), slot: 1, signatures: await signAll(prover, signers, message(900 + n), 1) })),
    )
    const outcomes: Record<string, number> = {}
    const done: Promise<void>[] = []
    for (let i = 0; i < Math.ceil(COUNT / 3); i++) {
      const ac = new AbortController()
      const when = i % 3
      if (when === 0) ac.abort()
      const session = prover.startSession(groups, { deadlineMs: 10_000, signal: ac.signal })
      if (when === 1) setTimeout(() => ac.abort(), i % 2)
      let settled = 0
      done.push(
        session.done.then((summary) => {
          settled++
          expect(settled).toBe(1)
          if (when === 2) ac.abort()
          outcomes[summary.outcome] = (outcomes[summary.outcome] ?? 0) + 1
          // A signal that fired before the session started cancels it, whatever came after.
          if (when === 0) expect(summary.outcome).toBe('cancelled')
          // Every group is accounted for exactly once, whatever stopped the session.
          expect(summary.considered).toBe(2)
          expect(summary.outcomes.length).toBe(2)
        }),
      )
    }
    await Promise.all(done)
    expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(Math.ceil(COUNT / 3))
    expect(outcomes.cancelled).toBeGreaterThanOrEqual(Math.ceil(COUNT / 9))
    await prover.idle()
    expect(prover.engine.status.state).toBe('idle')
    await prover.close()
  }, 120_000)
})
