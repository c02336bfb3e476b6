import { beforeAll, describe, expect, it } from 'vitest'
import type { Aggregate, Prover, SecretKey } from '../../src/index.js'
import { BACKEND, REAL, bytes, hex, keys, makeProver, message, rejectsWith, signAll } from '../support/helpers.js'

const SLOT = 3

describe(`type-1 aggregation (${BACKEND})`, () => {
  let prover: Prover
  let signers: SecretKey[]
  let others: SecretKey[]
  const msg = message(100)

  beforeAll(async () => {
    prover = makeProver()
    await prover.setup()
    signers = await keys(prover, 8)
    others = await keys(prover, 4, 50)
  })

  const sortedKeys = (ks: SecretKey[]) => ks.map((k) => hex(k.publicKey)).sort()

  it.each([1, 2, 8])('aggregates %i signatures and verifies', async (n) => {
    const group = { message: msg, slot: SLOT, signatures: await signAll(prover, signers.slice(0, n), msg, SLOT) }
    const agg = await prover.aggregate(group)
    expect(agg.backend).toBe(BACKEND)
    expect(agg.slot).toBe(SLOT)
    expect(agg.messageFields).toEqual(prover.messageFields(msg))
    expect(agg.signerCount).toBe(n)
    expect(agg.signers.map(hex).sort()).toEqual(sortedKeys(signers.slice(0, n)))
    expect(await prover.verifyAggregate(agg)).toBe(true)
    expect(await prover.verifyAggregate(agg, { expected: { message: msg, slot: SLOT, signers: signers.slice(0, n).map((k) => k.publicKey) } })).toBe(true)
    expect(await prover.verifyAggregate(agg, { expected: { message: message(101) } })).toBe(false)
    expect(await prover.verifyAggregate(agg, { expected: { slot: SLOT + 1 } })).toBe(false)
    expect(await prover.verifyAggregate(agg, { expected: { signers: [others[0]!.publicKey] } })).toBe(false)
  })

  it('signers are sorted in the prover order (by field elements, little-endian limbs)', async () => {
    const agg = await prover.aggregate({ message: msg, slot: SLOT, signatures: await signAll(prover, signers, msg, SLOT) })
    const key = (k: Uint8Array) => [...new Uint32Array(new Uint8Array(k).buffer)]
    const cmp = (a: number[], b: number[]) => a.findIndex((x, i) => x !== b[i])
    for (let i = 1; i < agg.signers.length; i++) {
      const a = key(agg.signers[i - 1]!)
      const b = key(agg.signers[i]!)
      const j = cmp(a, b)
      expect(a[j]! < b[j]!).toBe(true)
    }
  })

  describe('with children', () => {
    let childA: Aggregate
    let childB: Aggregate

    beforeAll(async () => {
      childA = await prover.aggregate({ message: msg, slot: SLOT, signatures: await signAll(prover, signers.slice(0, 2), msg, SLOT) })
      childB = await prover.aggregate({ message: msg, slot: SLOT, signatures: await signAll(prover, signers.slice(2, 4), msg, SLOT) })
    })

    it('aggregates raw signatures with children into their union', async () => {
      const raw = await signAll(prover, signers.slice(3, 5), msg, SLOT) // overlaps childB by one signer
      const agg = await prover.aggregate({ message: msg, slot: SLOT, signatures: raw, children: [childA, childB] })
      expect(agg.signers.map(hex).sort()).toEqual(sortedKeys(signers.slice(0, 5)))
      expect(await prover.verifyAggregate(agg)).toBe(true)
    })

    it('aggregates children only', async () => {
      const agg = await prover.aggregate({ message: msg, slot: SLOT, signatures: [], children: [childA, childB] })
      expect(agg.signerCount).toBe(4)
      expect(await prover.verifyAggregate(agg)).toBe(true)
    })

    it('rejects a child of another message or slot before proving', async () => {
      const other = await prover.aggregate({ message: message(7), slot: SLOT, signatures: await signAll(prover, others.slice(0, 1), message(7), SLOT) })
      await rejectsWith(prover.aggregate({ message: msg, slot: SLOT, signatures: [], children: [other] }), 'MESSAGE_MISMATCH')
      await rejectsWith(prover.aggregate({ message: msg, slot: SLOT + 1, signatures: [], children: [childA] }), 'MESSAGE_MISMATCH')
    })

    it('rejects more than 16 children', async () => {
      const children = Array.from({ length: 17 }, () => childA)
      await rejectsWith(prover.aggregate({ message: msg, slot: SLOT, signatures: [], children }), 'TOO_MANY_CHILDREN')
    })

    it('rejects a child whose proof does not verify', async () => {
      // Flip bytes near the end of a valid proof until one still decodes (the proof body), then
      // aggregating with it must fail verification of the child, before any proof starts.
      const original = childA.toBytes()
      let bad: Aggregate | undefined
      for (let back = 5; back < 400 && !bad; back += 7) {
        const tampered = original.slice()
        tampered[tampered.length - back]! ^= 0x01
        bad = await prover.aggregateFromBytes(tampered).catch(() => undefined)
      }
      expect(bad).toBeDefined()
      expect(await prover.verifyAggregate(bad!)).toBe(false)
      await rejectsWith(prover.aggregate({ message: msg, slot: SLOT, signatures: [], children: [bad!] }), 'INVALID_CHILD')
    })
  })

  describe('bad input', () => {
    it('has a typed code for each kind', async () => {
      const good = await signAll(prover, signers.slice(0, 2), msg, SLOT)
      const g = (over: object) => prover.aggregate({ message: msg, slot: SLOT, signatures: good, ...over })
      await rejectsWith(g({ message: bytes(31, 0) }), 'INVALID_LENGTH')
      await rejectsWith(g({ signatures: [{ publicKey: bytes(31, 0), signature: good[0]!.signature }] }), 'INVALID_LENGTH')
      await rejectsWith(g({ signatures: [{ publicKey: good[0]!.publicKey, signature: bytes(1207, 0) }] }), 'INVALID_LENGTH')
      await rejectsWith(g({ signatures: [{ publicKey: bytes(32, 0xff), signature: good[0]!.signature }] }), 'INVALID_ENCODING')
      // A repeated signer is dropped (first wins), as buildSnapshot does: see test/addon/limits.test.ts.
      expect((await g({ signatures: [good[0], good[1], good[0]] })).signerCount).toBe(2)
      await rejectsWith(g({ signatures: [] }), 'EMPTY_GROUP')
      await rejectsWith(prover.aggregate({ message: msg, slot: SLOT, signatures: good }, { logInvRate: 0 }), 'INVALID_ARGUMENT')
      await rejectsWith(prover.aggregate({ message: msg, slot: SLOT, signatures: good }, { logInvRate: 5 }), 'INVALID_ARGUMENT')
      await rejectsWith(g({ slot: -1 }), 'SLOT_OUT_OF_RANGE')
      await rejectsWith(g({ slot: '1' }), 'INVALID_ARGUMENT')
      // A valid signature over another message: caught by the cheap XMSS check, before a proof
      // (leanMultisig itself would fail it after proving, as PROVER_FAILED).
      const wrong = await signAll(prover, others.slice(0, 1), message(9), SLOT)
      const e = await rejectsWith(g({ signatures: [...good, ...wrong] }), 'INVALID_SIGNATURE')
      expect(e.message).toBe('signature 2 does not verify')
    })

    it('needs setup first', async () => {
      const fresh = makeProver({ simulated: {} })
      if (REAL) return // leanMultisig's setup is process-wide and done above
      const sigs = await signAll(fresh, signers.slice(0, 1), msg, SLOT)
      await rejectsWith(fresh.aggregate({ message: msg, slot: SLOT, signatures: sigs }), 'NOT_SET_UP')
    })
  })

  describe('bytes', () => {
    let agg: Aggregate
    beforeAll(async () => {
      agg = await prover.aggregate({ message: msg, slot: SLOT, signatures: await signAll(prover, signers.slice(0, 2), msg, SLOT) })
    })

    it('round-trips an aggregate', async () => {
      const b = agg.toBytes()
      expect(b.length).toBe(agg.proofSize)
      const back = await prover.aggregateFromBytes(b)
      expect(back.signers.map(hex)).toEqual(agg.signers.map(hex))
      expect(back.slot).toBe(SLOT)
      expect(back.messageFields).toEqual(agg.messageFields)
      expect(await prover.verifyAggregate(back)).toBe(true)
    })

    it('caps untrusted bytes and rejects garbage', async () => {
      const b = agg.toBytes()
      await rejectsWith(prover.aggregateFromBytes(b, { maxBytes: b.length - 1 }), 'TOO_LARGE')
      await rejectsWith(prover.aggregateFromBytes(new Uint8Array(0)), REAL ? 'INVALID_AGGREGATE' : 'BACKEND_MISMATCH')
      await rejectsWith(prover.aggregateFromBytes(b.subarray(0, b.length - 3)), 'INVALID_AGGREGATE')
      await rejectsWith(prover.aggregateFromBytes(bytes(100, 7)), REAL ? 'INVALID_AGGREGATE' : 'BACKEND_MISMATCH')
      // A size prefix claiming 4 GiB must not make the decoder allocate it.
      const huge = new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3])
      await rejectsWith(prover.aggregateFromBytes(huge), REAL ? 'INVALID_AGGREGATE' : 'BACKEND_MISMATCH')
    })
  })

  describe('type-2 merge and split', () => {
    it('merges aggregates of different messages, verifies, splits back', async () => {
      const m1 = message(201)
      const m2 = message(202)
      const a1 = await prover.aggregate({ message: m1, slot: SLOT, signatures: await signAll(prover, signers.slice(0, 2), m1, SLOT) })
      const a2 = await prover.aggregate({ message: m2, slot: SLOT, signatures: await signAll(prover, signers.slice(2, 5), m2, SLOT) })
      const merged = await prover.merge([a1, a2])
      expect(merged.components.map((c) => c.signers.length)).toEqual([2, 3])
      expect(merged.components[1]!.messageFields).toEqual(prover.messageFields(m2))
      expect(await prover.verifyMerged(merged)).toBe(true)
      const back = await prover.mergedFromBytes(merged.toBytes())
      expect(await prover.verifyMerged(back)).toBe(true)
      const split = await prover.split(back, 1)
      expect(split.messageFields).toEqual(prover.messageFields(m2))
      expect(split.signers.map(hex)).toEqual(a2.signers.map(hex))
      expect(await prover.verifyAggregate(split)).toBe(true)
      await rejectsWith(prover.split(merged, 2), 'INVALID_ARGUMENT')
      await rejectsWith(prover.merge([]), 'EMPTY_GROUP')
      await rejectsWith(prover.merge(Array.from({ length: 17 }, () => a1)), 'TOO_MANY_CHILDREN')
    })
  })

  describe('batch verify', () => {
    it('checks signatures and aggregates in one call, a result per item', async () => {
      const sigs = await signAll(prover, signers.slice(0, 3), msg, SLOT)
      const agg = await prover.aggregate({ message: msg, slot: SLOT, signatures: sigs })
      const results = await prover.batchVerify([
        { kind: 'signature', ...sigs[0]!, message: msg, slot: SLOT },
        { kind: 'aggregate', aggregate: agg },
        { kind: 'signature', ...sigs[1]!, message: message(5), slot: SLOT },
        { kind: 'aggregate', aggregate: agg, expected: { slot: SLOT + 1 } },
        { kind: 'signature', publicKey: bytes(3, 0), signature: sigs[2]!.signature, message: msg, slot: SLOT },
        { kind: 'signature', ...sigs[2]!, message: msg, slot: SLOT },
      ])
      expect(results.map((r) => r.valid)).toEqual([true, true, false, false, false, true])
      expect(results[4]!.error?.code).toBe('INVALID_LENGTH')
      expect(results[0]!.error).toBeUndefined()
    })
  })
})
