/** Abort storms (issue 10): thousands of signals fired before, during and after work; every promise settles once, with the right outcome. */
import { describe, expect, it } from 'vitest'
import { LeanAggError } from '../../src/index.js'
import { REAL, keys, makeProver, message, signAll } from '../helpers.js'

const COUNT = Number(process.env.RELIABILITY_ABORTS ?? 3000)

describe.skipIf(REAL)('abort storm (simulated)', () => {
  it(`${COUNT} aborts before start, during and after completion`, async () => {
    const prover = makeProver({ simulated: { proveBaseMs: 0.2 }, maxConcurrentProofs: 4 })
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
})
