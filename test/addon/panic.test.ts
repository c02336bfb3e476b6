import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { BACKEND, REAL, keys, makeProver, message, rejectsWith, signAll } from '../support/helpers.js'

describe.skipIf(REAL)('prover panics (simulated fault injection)', () => {
  it('a panic becomes PROVER_PANIC and the addon keeps working', async () => {
    const bad = message(66)
    const prover = makeProver({ simulated: { panicOn: [bad], failOn: [message(67)] } })
    await prover.setup()
    const ks = await keys(prover, 2)
    const e = await rejectsWith(prover.aggregate({ message: bad, slot: 1, signatures: await signAll(prover, ks, bad, 1) }), 'PROVER_PANIC')
    expect(e.message).toContain('simulated prover panic')
    await rejectsWith(prover.aggregate({ message: message(67), slot: 1, signatures: await signAll(prover, ks, message(67), 1) }), 'PROVER_FAILED')
    for (let i = 0; i < 3; i++) {
      const ok = await prover.aggregate({ message: message(i), slot: 1, signatures: await signAll(prover, ks, message(i), 1) })
      expect(await prover.verifyAggregate(ok)).toBe(true)
    }
  })
})

// Runs the built package (dist/), as a host would: `npm test` builds it first.
describe('the host process', () => {
  it(`survives bad input and a panic, and nothing is written to its stdout (${BACKEND})`, () => {
    const script = `
      import { Prover } from './dist/index.js'
      const backend = process.env.LEANAGG_BACKEND ?? 'simulated'
      const m = new Uint8Array(32).fill(3)
      const p = new Prover({ backend, simulated: { panicOn: [m] } })
      await p.setup()
      const k = await p.generateKey(new Uint8Array(32).fill(1), 0, 3)
      const sig = await p.sign(k, m, 1)
      const codes = []
      for (const bad of [
        () => p.aggregate({ message: m, slot: 1, signatures: [{ publicKey: k.publicKey, signature: sig }] }),
        () => p.aggregate({ message: m, slot: 1, signatures: [] }),
        () => p.aggregateFromBytes(new Uint8Array([255, 255, 255, 255, 0])),
        () => p.aggregate({ message: m, slot: 1, signatures: [{ publicKey: k.publicKey, signature: sig.subarray(1) }] }),
      ]) {
        try { await bad() } catch (e) { codes.push(e.code) }
      }
      process.stderr.write(JSON.stringify(codes))
    `
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env },
      encoding: 'utf8',
      timeout: 600_000,
    })
    expect(out.status).toBe(0)
    expect(out.stdout).toBe('')
    const codes = JSON.parse(out.stderr.trim().split('\n').pop()!)
    // The first call is valid: it panics only in the simulated backend's fault injection.
    expect(codes).toEqual(REAL ? ['EMPTY_GROUP', 'INVALID_AGGREGATE', 'INVALID_LENGTH'] : ['PROVER_PANIC', 'EMPTY_GROUP', 'BACKEND_MISMATCH', 'INVALID_LENGTH'])
  })
})
