import * as prom from 'prom-client'
import { describe, expect, it } from 'vitest'
import { AggregationEngine } from '../../../src/session/engine.js'
import { EngineMetrics, METRIC_NAMES, signerBucket } from '../../../src/session/metrics.js'
import { FakeProver, ManualClock } from '../../../src/testing.js'
import { group } from '../../support/fake-groups.js'
import { noopLogger } from '../../../src/logger.js'

async function scenario(engine: AggregationEngine, clock: ManualClock) {
  // 1: 2 proved + 1 trivial; 2: refused (skip); 3: panics on one group, late on another.
  const a = engine.startSession([group(1, 1, 3), group(2, 1, 2, 10), group(3, 1, 1, 20)])
  engine.startSession([group(4, 1, 2)], { busy: 'skip' })
  await clock.advance(1000)
  const b = engine.startSession([group(5, 2, 40, 100), group(6, 2, 2, 200), group(7, 2, 2, 300), group(8, 2, 2, 400)], {
    deadlineMs: 150,
    admission: false,
  })
  await clock.advance(1000)
  return Promise.all([a.done, b.done])
}

function setup() {
  const clock = new ManualClock()
  const prover = new FakeProver(clock, {
    latency: (g) => (g.signatures.length === 40 ? 100 : 60),
    fail: (g) => (g.message[0] === 6 ? 'panic' : undefined),
  })
  return { clock, prover }
}

describe('metrics', () => {
  it('counts groups, skips, sessions, late results and timings as plain data', async () => {
    const { clock, prover } = setup()
    const engine = new AggregationEngine({ prover, clock, logger: noopLogger, busy: 'cancel-previous' })
    const [a, b] = await scenario(engine, clock)
    expect(a.aggregated).toBe(2)
    expect(b.outcome).toBe('deadline')
    const m = engine.metrics.snapshot()
    expect(m.groups).toEqual({ skipped: 4, aggregated: 3, failed: 1 })
    expect(m.skipped).toEqual({ trivial: 1, busy: 1, deadline: 2 })
    expect(m.failures).toEqual({ PROVER_PANIC: 1 })
    expect(m.sessions).toEqual({ started: 2, skipped: 1, completed: 1, deadline: 1 })
    expect(m.lateResults).toBe(0)
    expect(m.admissions).toEqual({ unchecked: 4 })
    expect(Object.keys(m.proveTime).sort()).toEqual(['signers=2-8,children=0', 'signers=33-128,children=0'])
    expect(m.proveTime['signers=2-8,children=0']!.count).toBe(2)
    expect(m.proveTime['signers=33-128,children=0']!.sum).toBeCloseTo(0.1)
    expect(m.sessionDuration.count).toBe(2)
  })

  it('counts late results, delivered or dropped', async () => {
    const clock = new ManualClock()
    const engine = new AggregationEngine({ prover: new FakeProver(clock, { latency: () => 100 }), clock })
    const s1 = engine.startSession([group(1, 1, 2), group(2, 1, 2, 10)], { deadlineMs: 150, admission: false })
    await clock.advance(500)
    const s2 = engine.startSession([group(1, 1, 2), group(2, 1, 2, 10)], { deadlineMs: 150, admission: false, late: 'drop' })
    await clock.advance(500)
    expect((await s1.done).late).toBe(1)
    expect((await s2.done).late).toBe(1)
    expect(engine.metrics.snapshot().lateResults).toBe(2)
    expect(engine.metrics.snapshot().groups).toEqual({ aggregated: 3, late_dropped: 1 })
  })

  it('buckets signer counts coarsely', () => {
    expect([1, 2, 8, 9, 32, 33, 128, 129, 512, 2048, 2049].map(signerBucket)).toEqual([
      '1',
      '2-8',
      '2-8',
      '9-32',
      '9-32',
      '33-128',
      '33-128',
      '129-512',
      '129-512',
      '513-2048',
      '2049+',
    ])
  })

  it('registers with a prom-client Registry under the dashboard names', async () => {
    const registry = new prom.Registry()
    const { clock, prover } = setup()
    const engine = new AggregationEngine({ prover, clock, logger: noopLogger, prometheus: { registry } })
    await engine.metricsReady
    await scenario(engine, clock)
    const text = await registry.metrics()
    expect(text).toContain(`${METRIC_NAMES.skipped}{reason="trivial"} 1`)
    expect(text).toContain(`${METRIC_NAMES.skipped}{reason="deadline"} 2`)
    expect(text).toContain(`${METRIC_NAMES.groups}{outcome="aggregated"} 3`)
    expect(text).toContain(`${METRIC_NAMES.failures}{code="PROVER_PANIC"} 1`)
    expect(text).toContain(`${METRIC_NAMES.sessions}{outcome="skipped"} 1`)
    expect(text).toContain(`${METRIC_NAMES.lateResults} 0`)
    expect(text).toContain(`${METRIC_NAMES.admissions}{admission="unchecked"} 4`)
    expect(text).toContain(`${METRIC_NAMES.proveTime}_count{signers="2-8",children="0"} 2`)
    expect(text).toContain(`${METRIC_NAMES.sessionDuration}_count 2`)

    // A second engine on the same registry adds to the same series; earlier counters carry over.
    const late = new EngineMetrics(noopLogger)
    late.groupOutcome('skipped', { reason: 'budget' })
    await late.register({ registry, client: prom })
    expect(await registry.metrics()).toContain(`${METRIC_NAMES.skipped}{reason="budget"} 1`)
  })
})
