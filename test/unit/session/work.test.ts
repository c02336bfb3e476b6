import { describe, expect, it } from 'vitest'
import { advanceWork, averageConcurrency, projectedEnds, remainingMs, startWork } from '../../../src/session/work.js'

const slowdown = (k: number) => (k <= 1 ? 1 : 1 + 0.5 * (k - 1))

describe('proving progress under a shared pool', () => {
  it('counts solo work at 1/slowdown(k) and the average concurrency', () => {
    const a = startWork(1000, 0)
    const runs = new Set([a])
    advanceWork(runs, 400, slowdown) // alone: 400 ms of work
    const b = startWork(600, 400)
    runs.add(b)
    advanceWork(runs, 700, slowdown) // two at once: 300 ms wall is 200 ms of work each
    expect([a.work, b.work]).toEqual([600, 200])
    expect(remainingMs(a)).toBe(400)
    expect(averageConcurrency(a, 700)).toBeCloseTo((400 * 1 + 300 * 2) / 700)
    // Both still need 400 ms: shared they end together after 600 ms.
    expect([...projectedEnds(runs, 700, slowdown).values()]).toEqual([1300, 1300])
  })

  it.each([
    ['on time', 1000, 300, 700],
    ['overdue: assumed to end soon, never done while it runs', 1000, 1500, 100],
    ['no estimate', 0, 50, 1],
  ])('remaining: %s', (_name, estimate, done, remaining) => {
    const run = startWork(estimate, 0)
    advanceWork(new Set([run]), done, slowdown)
    expect(remainingMs(run)).toBe(remaining)
  })

  it('a proof waiting for the prover makes no progress until it starts', () => {
    const run = startWork(500, 300)
    advanceWork(new Set([run]), 200, slowdown)
    expect(run.work).toBe(0)
    expect([...projectedEnds(new Set([run]), 200, slowdown).values()]).toEqual([800])
  })
})
