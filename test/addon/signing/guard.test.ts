/** The signing guard on every path of `prover.sign` (issue 16): on by default, typed refusals. */
import { afterEach, describe, expect, it } from 'vitest'
import { Prover, SIGNATURE_BYTES, type SecretKey } from '../../../src/index.js'
import { BACKEND, REAL, bytes, message, rejectsWith, throwsWith } from '../../support/helpers.js'

const open: Prover[] = []
// Signing needs no setup (setup prepares proving).
function guarded(options: ConstructorParameters<typeof Prover>[0]['signing'] = undefined): Prover {
  const p = new Prover({ backend: BACKEND, ...(options && { signing: options }) })
  open.push(p)
  return p
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()))
})

let seed = 100
const key = (p: Prover, first = 0, last = 31): Promise<SecretKey> => p.generateKey(bytes(32, seed++), first, last)
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`

describe(`the signing guard (${BACKEND})`, () => {
  it('is on by default, in memory', async () => {
    const p = guarded()
    expect(p.signing.kind).toBe('memory')
    const k = await key(p)
    await p.sign(k, message(1), 5)
    await rejectsWith(p.sign(k, message(2), 5), 'SLOT_ALREADY_SIGNED')
  })

  it('refuses another message at a used slot, and a slot below the high-water mark unless out of order', async () => {
    const p = guarded()
    const k = await key(p)
    await p.sign(k, message(1), 9)
    await rejectsWith(p.sign(k, message(2), 9), 'SLOT_ALREADY_SIGNED')
    await rejectsWith(p.sign(k, message(3), 5), 'SLOT_BELOW_HIGH_WATER')
    const five = await p.sign(k, message(3), 5, { allowOutOfOrder: true })
    expect(await p.verify(k.publicKey, message(3), five, 5)).toBe(true)
    await rejectsWith(p.sign(k, message(4), 5, { allowOutOfOrder: true }), 'SLOT_ALREADY_SIGNED')
    // The high-water mark stays at 9: slot 7 is still below it.
    await rejectsWith(p.sign(k, message(4), 7), 'SLOT_BELOW_HIGH_WATER')
    await p.sign(k, message(4), 10)
  })

  it('takes its out-of-order default from the prover', async () => {
    const p = guarded({ allowOutOfOrder: true })
    const k = await key(p)
    await p.sign(k, message(1), 9)
    await p.sign(k, message(1), 3)
    await rejectsWith(p.sign(k, message(1), 2, { allowOutOfOrder: false }), 'SLOT_BELOW_HIGH_WATER')
  })

  it('returns the recorded signature for the same (message, slot), never a fresh one', async () => {
    const p = guarded()
    const k = await key(p)
    const first = await p.sign(k, message(1), 4)
    const again = await p.sign(k, message(1), 4)
    expect(again).toEqual(first)
    // A signature recorded elsewhere (imported) is what comes back, whatever this backend would sign:
    // the simulated backend signs deterministically, so this is what tells a recorded one from a fresh one.
    const other = await p.sign(await key(p), message(1), 4)
    const k2 = await key(p)
    await p.signing.import({
      metadata: { interchange_format: 'leanagg-xmss-signing-record', interchange_format_version: '1' },
      data: [{ pubkey: hex(k2.publicKey), signed: [{ slot: '4', message: hex(message(1)), signature: hex(other) }] }],
    })
    expect(await p.sign(k2, message(1), 4)).toEqual(other)
    expect(other).not.toEqual(first)
  })

  it('concurrent signs of one slot give one signature, or a refusal', async () => {
    const p = guarded()
    const k = await key(p)
    const same = await Promise.all([1, 1, 1, 1].map((m) => p.sign(k, message(m), 6)))
    for (const s of same) expect(s).toEqual(same[0])
    const mixed = await Promise.allSettled([2, 3, 4, 5].map((m) => p.sign(k, message(m), 7)))
    expect(mixed.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    for (const r of mixed) if (r.status === 'rejected') expect(r.reason.code).toBe('SLOT_ALREADY_SIGNED')
  })

  it('refuses a key another prover holds (KEY_LOCKED) until that prover closes', async () => {
    const a = guarded()
    const b = guarded()
    const k = await key(a)
    await a.sign(k, message(1), 1)
    const kb = await b.secretKeyFromBytes(k.toBytes())
    await rejectsWith(b.sign(kb, message(1), 2), 'KEY_LOCKED')
    await rejectsWith(b.signing.acquire(kb.publicKey), 'KEY_LOCKED')
    await a.close()
    await rejectsWith(a.signing.export(), 'CLOSED')
    await rejectsWith(a.signing.acquire(k.publicKey), 'CLOSED')
    // An in-memory record is gone with its prover: b starts from nothing (see README "Key safety").
    await b.sign(kb, message(1), 2)
  })

  it('checks its options synchronously, with typed codes', () => {
    throwsWith(() => new Prover({ backend: BACKEND, signing: { directory: 5 as unknown as string } }), 'INVALID_ARGUMENT')
    throwsWith(() => new Prover({ backend: BACKEND, signing: { directory: '' } }), 'INVALID_ARGUMENT')
    throwsWith(() => new Prover({ backend: BACKEND, signing: { unguardedForTests: true, directory: '/tmp/x' } }), 'INVALID_ARGUMENT')
    throwsWith(() => new Prover({ backend: BACKEND, signing: { allowOutOfOrder: 'yes' as unknown as boolean } }), 'INVALID_ARGUMENT')
    throwsWith(() => new Prover({ backend: BACKEND, signing: { directory: '/proc/version/x' } }), 'SIGNING_RECORD_FAILED')
  })

  it('still checks the slot range and the message first, and records nothing for them', async () => {
    const p = guarded()
    const k = await key(p, 0, 7)
    await rejectsWith(p.sign(k, message(1), 8), 'SLOT_OUT_OF_RANGE')
    await rejectsWith(p.sign(k, bytes(31, 1), 3), 'INVALID_LENGTH')
    await p.sign(k, message(1), 3)
    const [record] = (await p.signing.export()).data
    expect(record?.signed.map((s) => s.slot)).toEqual(['3'])
    expect(record?.signed[0]?.signature).toHaveLength(2 + 2 * SIGNATURE_BYTES)
  })

  it.skipIf(!REAL)('on the real prover, signing the same message twice without the guard gives another signature', async () => {
    const p = new Prover({ backend: BACKEND, signing: { unguardedForTests: true } })
    open.push(p)
    const k = await key(p)
    expect(await p.sign(k, message(1), 2)).not.toEqual(await p.sign(k, message(1), 2))
  })
})
