import { beforeAll, describe, expect, it } from 'vitest'
import type { Prover, SignedBy } from '../src/index.js'
import { REAL, keys, makeProver, message, rejectsWith, signAll } from './helpers.js'

// Latency and cooperative cancellation are simulated-backend features; a leanMultisig proof
// cannot be interrupted, so these run on the simulated backend only.
describe.skipIf(REAL)('abort and cancellation (simulated)', () => {
  let prover: Prover
  let sigs: SignedBy[]
  const msg = message(1)

  beforeAll(async () => {
    prover = makeProver({ simulated: { proveBaseMs: 150 } })
    await prover.setup()
    sigs = await signAll(prover, await keys(prover, 2), msg, 1)
  })

  it('an already-aborted signal rejects at once and never starts work', async () => {
    const ac = new AbortController()
    ac.abort('not needed')
    const started = Date.now()
    const e = await rejectsWith(prover.aggregate({ message: msg, slot: 1, signatures: sigs }, { signal: ac.signal }), 'ABORTED')
    expect(e.name).toBe('AbortError')
    expect(Date.now() - started).toBeLessThan(50)
    expect(prover.load.running).toBe(0)
  })

  it('aborting a running proof rejects at once and stops it at the next cancellation point', async () => {
    const ac = new AbortController()
    const p = prover.aggregate({ message: msg, slot: 1, signatures: sigs }, { signal: ac.signal })
    await new Promise((r) => setTimeout(r, 30))
    expect(prover.load.running).toBe(1)
    const t = Date.now()
    ac.abort()
    await rejectsWith(p, 'ABORTED')
    expect(Date.now() - t).toBeLessThan(20)
    // The lane frees when the native work stops, well before its 150 ms would have run out.
    while (prover.load.running > 0) await new Promise((r) => setTimeout(r, 2))
    expect(Date.now() - t).toBeLessThan(100)
  })

  it('queued proofs wait in JS, run one at a time, and an aborted queued proof never runs', async () => {
    const ac = new AbortController()
    const first = prover.aggregate({ message: msg, slot: 1, signatures: sigs })
    const second = prover.aggregate({ message: msg, slot: 1, signatures: sigs }, { signal: ac.signal })
    const third = prover.aggregate({ message: msg, slot: 1, signatures: sigs })
    expect(prover.load).toEqual({ running: 1, queued: 2 })
    ac.abort()
    await rejectsWith(second, 'ABORTED')
    expect(prover.load).toEqual({ running: 1, queued: 1 })
    const t = Date.now()
    await first
    await third
    expect(Date.now() - t).toBeGreaterThanOrEqual(100) // third ran after first, not beside it
  })

  it('the event loop stays free while a proof runs', async () => {
    const p = prover.aggregate({ message: msg, slot: 1, signatures: sigs })
    let ticks = 0
    const timer = setInterval(() => ticks++, 5)
    await p
    clearInterval(timer)
    expect(ticks).toBeGreaterThan(10)
  })

  it('close() refuses new work with CLOSED', async () => {
    const p = makeProver()
    p.close()
    await rejectsWith(p.aggregate({ message: msg, slot: 1, signatures: sigs }), 'CLOSED')
    await rejectsWith(p.setup(), 'CLOSED')
  })
})
