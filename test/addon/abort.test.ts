import { beforeAll, describe, expect, it } from 'vitest'
import type { Prover, SignedBy } from '../../src/index.js'
import { REAL, keys, makeProver, message, rejectsWith, settlesAtOnce, signAll, until } from '../support/helpers.js'

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
    const p = prover.aggregate({ message: msg, slot: 1, signatures: sigs }, { signal: ac.signal })
    expect(prover.load.running).toBe(0)
    expect(await settlesAtOnce(p)).toBe(true)
    const e = await rejectsWith(p, 'ABORTED')
    expect(e.name).toBe('AbortError')
    expect(prover.load.running).toBe(0)
  })

  it('aborting a running proof rejects at once and stops it at the next cancellation point', async () => {
    // A proof of ten minutes: only its cancellation can free the lane within the test's timeout.
    const slow = makeProver({ simulated: { proveBaseMs: 600_000 } })
    await slow.setup()
    const ac = new AbortController()
    const p = slow.aggregate({ message: msg, slot: 1, signatures: sigs }, { signal: ac.signal })
    await until(() => slow.load.running === 1)
    ac.abort()
    expect(await settlesAtOnce(p)).toBe(true)
    await rejectsWith(p, 'ABORTED')
    await until(() => slow.load.running === 0)
    await slow.close()
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
    // One lane: the third proof starts when the first ends, so it ends after it.
    const order: string[] = []
    void first.then(() => order.push('first'))
    await third.then(() => order.push('third'))
    expect(order).toEqual(['first', 'third'])
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

  it('close() checks its timeout before closing anything, and a far one waits only for the work', async () => {
    for (const [bad, sessions] of [
      [-1, false],
      [Number.NaN, true],
    ] as const) {
      const p = makeProver()
      if (sessions) void p.engine // the session engine's close path
      await rejectsWith(p.close({ timeoutMs: bad }), 'INVALID_ARGUMENT')
      expect(p.isClosed).toBe(false)
      await p.close()
    }
    const p = makeProver()
    // 2^40 ms is past what a Node timer holds: it must neither fire at once nor hold close() (held,
    // this test fails by its timeout).
    expect(await p.close({ timeoutMs: 2 ** 40 })).toEqual({ proofStillRunning: false, sessionsCancelled: 0 })
  })
})

// napi replaces `onabort` on any AbortSignal it is handed; a caller's handler must survive every
// operation (the addon only ever sees leanagg's own signal).
describe(`the caller's AbortSignal never reaches the addon (${REAL ? 'lean-multisig' : 'simulated'})`, () => {
  it('its onabort handler still runs after every async operation', async () => {
    const prover = makeProver()
    const watched = new Map<string, { controller: AbortController; fired: boolean }>()
    const signal = (op: string): { signal: AbortSignal } => {
      const entry = { controller: new AbortController(), fired: false }
      entry.controller.signal.onabort = () => {
        entry.fired = true
      }
      watched.set(op, entry)
      return { signal: entry.controller.signal }
    }
    await prover.setup(signal('setup'))
    const key = await prover.generateKey(new Uint8Array(32).fill(9), 0, 7, signal('generateKey'))
    await prover.secretKeyFromBytes(key.toBytes(), signal('secretKeyFromBytes'))
    const [m1, m2] = [message(21), message(22)]
    const sig1 = await prover.sign(key, m1, 2, signal('sign'))
    await prover.verify(key.publicKey, m1, sig1, 2, signal('verify'))
    const a1 = await prover.aggregate({ message: m1, slot: 2, signatures: [{ publicKey: key.publicKey, signature: sig1 }] }, signal('aggregate'))
    const a2 = await prover.aggregate({ message: m2, slot: 2, signatures: await signAll(prover, await keys(prover, 1, 40, 0, 7), m2, 2) })
    await prover.verifyAggregate(a1, signal('verifyAggregate'))
    await prover.aggregateFromBytes(a1.toBytes(), signal('aggregateFromBytes'))
    const merged = await prover.merge([a1, a2], signal('merge'))
    await prover.verifyMerged(merged, signal('verifyMerged'))
    await prover.mergedFromBytes(merged.toBytes(), signal('mergedFromBytes'))
    await prover.split(merged, 0, signal('split'))
    await prover.batchVerify([{ kind: 'aggregate', aggregate: a1 }], signal('batchVerify'))
    await prover.close()
    for (const entry of watched.values()) entry.controller.abort()
    const lost = [...watched].filter(([, e]) => !e.fired).map(([op]) => op)
    expect(lost).toEqual([])
  })
})
