import { beforeAll, describe, expect, it } from 'vitest'
import { BACKEND, bytes, keys, makeProver, message, rejectsWith, throwsWith } from '../support/helpers.js'

describe(`XMSS keys and signatures (${BACKEND})`, () => {
  const prover = makeProver()

  it('generates deterministic keys from a seed', async () => {
    const a = await prover.generateKey(bytes(32, 7), 0, 7)
    const b = await prover.generateKey(bytes(32, 7), 0, 7)
    const c = await prover.generateKey(bytes(32, 8), 0, 7)
    expect(a.publicKey).toHaveLength(32)
    expect(a.publicKey).toEqual(b.publicKey)
    expect(a.publicKey).not.toEqual(c.publicKey)
    expect([a.firstSlot, a.lastSlot]).toEqual([0, 7])
    expect(a.backend).toBe(BACKEND)
  })

  it('signs and verifies, async and sync', async () => {
    const [key] = await keys(prover, 1)
    const msg = message(1)
    const sig = await prover.sign(key!, msg, 3)
    expect(sig).toHaveLength(1208)
    expect(await prover.verify(key!.publicKey, msg, sig, 3)).toBe(true)
    expect(prover.verifySync(key!.publicKey, msg, sig, 3)).toBe(true)
    expect(await prover.verify(key!.publicKey, message(2), sig, 3)).toBe(false)
    expect(await prover.verify(key!.publicKey, msg, sig, 4)).toBe(false)
    const tampered = sig.slice()
    tampered[0] = (tampered[0]! + 1) % 200
    expect(prover.verifySync(key!.publicKey, msg, tampered, 3)).toBe(false)
  })

  it('round-trips secret keys through bytes', async () => {
    const key = await prover.generateKey(bytes(32, 9), 4, 12)
    const back = await prover.secretKeyFromBytes(key.toBytes())
    expect(back.publicKey).toEqual(key.publicKey)
    expect([back.firstSlot, back.lastSlot]).toEqual([4, 12])
    const sig = await prover.sign(back, message(5), 6)
    expect(await prover.verify(key.publicKey, message(5), sig, 6)).toBe(true)
  })

  it('rejects bad input with typed codes', async () => {
    const [key] = await keys(prover, 1)
    await rejectsWith(prover.generateKey(bytes(31, 1), 0, 3), 'INVALID_LENGTH')
    await rejectsWith(prover.generateKey(bytes(32, 1), 5, 3), 'INVALID_ARGUMENT')
    await rejectsWith(prover.generateKey(bytes(32, 1), 0, 2 ** 32 - 1), 'INVALID_ARGUMENT')
    await rejectsWith(prover.generateKey(bytes(32, 1), -1, 3), 'INVALID_ARGUMENT')
    await rejectsWith(prover.secretKeyFromBytes(bytes(39, 1)), 'INVALID_LENGTH')
    await rejectsWith(prover.sign(key!, message(1), 16), 'SLOT_OUT_OF_RANGE')
    await rejectsWith(prover.sign(key!, bytes(33, 0), 1), 'INVALID_LENGTH')
    const sig = await prover.sign(key!, message(1), 1)
    await rejectsWith(prover.verify(bytes(31, 0), message(1), sig, 1), 'INVALID_LENGTH')
    await rejectsWith(prover.verify(key!.publicKey, message(1), sig.subarray(1), 1), 'INVALID_LENGTH')
    // 0xff.. is not a canonical field element: rejected, never reduced.
    await rejectsWith(prover.verify(bytes(32, 0xff), message(1), sig, 1), 'INVALID_ENCODING')
    throwsWith(() => prover.verifySync(bytes(32, 0xff), message(1), sig, 1), 'INVALID_ENCODING')
    throwsWith(() => prover.verifySync(key!.publicKey, message(1), sig, 1.5), 'SLOT_OUT_OF_RANGE')
    // @ts-expect-error wrong type on purpose
    throwsWith(() => prover.verifySync('nope', message(1), sig, 1), 'INVALID_ARGUMENT')
  })

  it('maps 32-byte messages to 8 canonical field elements', () => {
    const f = prover.messageFields(message(1))
    expect(f).toHaveLength(8)
    expect([...f].every((x) => x < 0x7f000001)).toBe(true)
    expect(prover.messageFields(message(1))).toEqual(f)
    expect(prover.messageFields(message(2))).not.toEqual(f)
    throwsWith(() => prover.messageFields(bytes(31, 0)), 'INVALID_LENGTH')
  })
})

describe('backend choice', () => {
  it('is explicit: an unknown backend is an error', async () => {
    const { Prover } = await import('../../src/index.js')
    // @ts-expect-error invalid backend on purpose
    throwsWith(() => new Prover({ backend: 'fast' }), 'INVALID_ARGUMENT')
  })
})

describe('setup', () => {
  let prover: ReturnType<typeof makeProver>
  beforeAll(() => {
    prover = makeProver()
  })

  it('is idempotent and concurrent calls share one run', async () => {
    expect(prover.isSetUp).toBe(false)
    const calls = [prover.setup(), prover.setup(), prover.setup()]
    await Promise.all(calls)
    expect(prover.isSetUp).toBe(true)
    await prover.setup()
  })
})
