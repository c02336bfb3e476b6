import { describe, expect, it } from 'vitest'
import { DEFAULT_COST_PRIOR, OnlineCostEstimator } from '../../../src/session/estimator.js'

describe('OnlineCostEstimator', () => {
  it('starts from the prior', () => {
    const e = new OnlineCostEstimator({ prior: { baseMs: 100, perSignerMs: 2, perChildMs: 50 } })
    expect(e.estimate(10, 2)).toBe(100 + 20 + 100)
    expect(e.snapshot()).toMatchObject({ baseMs: 100, perSignerMs: 2, perChildMs: 50, samples: 0 })
    expect(new OnlineCostEstimator().snapshot()).toMatchObject(DEFAULT_COST_PRIOR)
  })

  it('fits base, per-signer and per-child costs from measured proofs', () => {
    const e = new OnlineCostEstimator()
    const truth = (s: number, c: number) => 120 + 6.5 * s + 80 * c
    let seed = 1
    const rand = () => {
      seed = (seed * 16807) % 2147483647
      return seed / 2147483647
    }
    for (let i = 0; i < 200; i++) {
      const s = 1 + Math.floor(rand() * 300)
      const c = Math.floor(rand() * 5)
      e.observe({ signers: s, children: c, ms: truth(s, c) + (rand() - 0.5) * 10 })
    }
    const fit = e.snapshot()
    expect(fit.samples).toBe(200)
    expect(fit.baseMs).toBeCloseTo(120, -1)
    expect(fit.perSignerMs).toBeCloseTo(6.5, 1)
    expect(fit.perChildMs).toBeCloseTo(80, -1)
    expect(Math.abs(e.estimate(200, 2) - truth(200, 2))).toBeLessThan(15)
    expect(fit.residualStdMs).toBeLessThan(10)
  })

  it('follows a change in load (forgetting)', () => {
    const e = new OnlineCostEstimator()
    for (let i = 0; i < 100; i++) e.observe({ signers: 50 + (i % 50), children: i % 3, ms: 100 + 2 * (50 + (i % 50)) + 30 * (i % 3) })
    for (let i = 0; i < 200; i++) e.observe({ signers: 50 + (i % 50), children: i % 3, ms: 2 * (100 + 2 * (50 + (i % 50)) + 30 * (i % 3)) })
    expect(e.estimate(80, 1)).toBeCloseTo(2 * (100 + 160 + 30), -1)
  })

  it('keeps an unexcited coefficient near its prior and never predicts below zero', () => {
    const e = new OnlineCostEstimator({ prior: { perChildMs: 200 } })
    for (let i = 0; i < 3000; i++) e.observe({ signers: 10 + (i % 90), children: 0, ms: 50 + 3 * (10 + (i % 90)) })
    expect(e.snapshot().perChildMs).toBeCloseTo(200, 0)
    expect(Number.isFinite(e.estimate(10, 16))).toBe(true)
    const neg = new OnlineCostEstimator({ prior: { baseMs: 0, perSignerMs: 0, perChildMs: 0 } })
    neg.observe({ signers: 100, children: 0, ms: 0 })
    expect(neg.estimate(0, 0)).toBeGreaterThanOrEqual(0)
  })

  it('ignores unusable samples and rejects a bad prior', () => {
    const e = new OnlineCostEstimator()
    e.observe({ signers: 1, children: 0, ms: Number.NaN })
    e.observe({ signers: -1, children: 0, ms: 5 })
    expect(e.snapshot().samples).toBe(0)
    expect(() => new OnlineCostEstimator({ prior: { baseMs: -1 } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => new OnlineCostEstimator({ forgetting: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('learns how much proofs sharing the prover slow each other, without disturbing the solo fit', () => {
    const e = new OnlineCostEstimator({ prior: { baseMs: 500, perSignerMs: 0, perChildMs: 0 }, sharedSlowdown: 1 })
    expect(e.slowdown(1)).toBe(1)
    expect(e.slowdown(2)).toBe(2)
    // Two at once took 1.6x their solo time: each extra proof adds 0.6.
    for (let i = 0; i < 40; i++) e.observe({ signers: 8, children: 0, ms: 800, concurrent: 2 })
    expect(e.slowdown(2)).toBeCloseTo(1.6, 2)
    expect(e.snapshot()).toMatchObject({ samples: 0, baseMs: 500 })
    expect(() => new OnlineCostEstimator({ sharedSlowdown: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('one outlier moves the estimate by a bounded step, and normal proofs bring it back', () => {
    // As on the real prover: proofs of 27 signatures take ~900 ms, the first after setup ran cold.
    const e = new OnlineCostEstimator()
    for (let i = 0; i < 10; i++) e.observe({ signers: 20 + (i % 3) * 8, children: 0, ms: 450 + 16 * (20 + (i % 3) * 8) })
    const before = e.estimate(27, 0)
    e.observe({ signers: 27, children: 0, ms: 1575 })
    const after = e.estimate(27, 0)
    expect(after - before).toBeGreaterThan(0)
    expect(after - before).toBeLessThan(0.3 * before)
    for (let i = 0; i < 5; i++) e.observe({ signers: 27, children: 0, ms: 450 + 16 * 27 })
    expect(Math.abs(e.estimate(27, 0) - (450 + 16 * 27))).toBeLessThan(0.05 * before)
  })

  it('two cold proofs in a row are taken as a change, and two normal ones undo it', () => {
    const e = new OnlineCostEstimator()
    for (const ms of [1575, 1500, 900, 900]) e.observe({ signers: 27, children: 0, ms })
    expect(Math.abs(e.estimate(27, 0) - 900)).toBeLessThan(0.02 * 900)
  })

  it('a cold first sample cannot make the estimate exceed twice the prior', () => {
    const e = new OnlineCostEstimator()
    const prior = e.estimate(27, 0)
    e.observe({ signers: 27, children: 0, ms: 10 * prior })
    expect(e.estimate(27, 0)).toBeLessThan(2 * prior)
  })

  it('an outlier does not widen the gate for the next: each is clipped alike', () => {
    const e = new OnlineCostEstimator()
    for (let i = 0; i < 10; i++) e.observe({ signers: 27, children: 0, ms: 900 })
    const steps: number[] = []
    for (let round = 0; round < 3; round++) {
      const before = e.estimate(27, 0)
      e.observe({ signers: 27, children: 0, ms: 1575 })
      steps.push(e.estimate(27, 0) - before)
      for (let i = 0; i < 5; i++) e.observe({ signers: 27, children: 0, ms: 900 })
    }
    // The residual deviation is tracked from clipped errors: 3 of it stay under half the cost.
    expect(3 * e.snapshot().residualStdMs).toBeLessThan(0.5 * 900)
    expect(steps[0]).toBeGreaterThan(0)
    for (const step of steps) expect(step).toBeLessThanOrEqual(steps[0]!)
    expect(Math.abs(e.estimate(27, 0) - 900)).toBeLessThan(0.05 * 900)
  })

  it('a lasting change is learned within 2 samples', () => {
    // Two outliers in a row on the same side: the second rescales the fit to predict it.
    const one = new OnlineCostEstimator()
    for (let i = 0; i < 30; i++) one.observe({ signers: 27, children: 0, ms: 900 })
    one.observe({ signers: 27, children: 0, ms: 1800 })
    expect(one.estimate(27, 0)).toBeLessThan(1200) // the first is clipped
    one.observe({ signers: 27, children: 0, ms: 1800 })
    expect(Math.abs(one.estimate(27, 0) - 1800)).toBeLessThan(0.02 * 1800)
    // All costs double, proofs of 20, 27 and 34 signatures in turn; the same the other way.
    const cost = (n: number) => 450 + 16 * n
    for (const factor of [2, 0.5]) {
      const e = new OnlineCostEstimator()
      for (let i = 0; i < 30; i++) e.observe({ signers: 20 + (i % 3) * 7, children: 0, ms: cost(20 + (i % 3) * 7) })
      for (let i = 0; i < 2; i++) e.observe({ signers: 20 + (i % 3) * 7, children: 0, ms: factor * cost(20 + (i % 3) * 7) })
      for (const n of [20, 27, 34]) expect(Math.abs(e.estimate(n, 0) - factor * cost(n))).toBeLessThan(0.05 * factor * cost(n))
      // The next proofs keep it there.
      for (let i = 2; i < 10; i++) e.observe({ signers: 20 + (i % 3) * 7, children: 0, ms: factor * cost(20 + (i % 3) * 7) })
      for (const n of [20, 27, 34]) expect(Math.abs(e.estimate(n, 0) - factor * cost(n))).toBeLessThan(0.05 * factor * cost(n))
    }
  })

  it('learns a prove time that is not linear in signers (steeper for small groups, as measured)', () => {
    const curve = (n: number) => (n <= 8 ? 280 + (220 * (n - 1)) / 7 : n <= 32 ? 500 + (400 * (n - 8)) / 24 : 900 + (1400 * (n - 32)) / 96)
    const sizes = [4, 12, 24, 64, 128, 16, 8, 40]
    const e = new OnlineCostEstimator()
    for (let i = 0; i < 80; i++) e.observe({ signers: sizes[i % sizes.length]!, children: 0, ms: curve(sizes[i % sizes.length]!) })
    for (const n of [8, 12, 24, 128]) expect(Math.abs(e.estimate(n, 0) - curve(n)) / curve(n), `n=${n}`).toBeLessThan(0.06)
  })
})
