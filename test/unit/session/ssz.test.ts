import { describe, expect, it } from 'vitest'
import { buildSnapshot } from '../../../src/session/snapshot.js'
import { AggregationGroupSsz, SnapshotSsz, groupFromBytes, groupToBytes, snapshotFromBytes, snapshotFromBytesAsync, snapshotToBytes } from '../../../src/ssz.js'
import { decodeFakeAggregate, fakeAggregate } from '../../../src/testing.js'
import { group } from '../../support/fake-groups.js'

function plain(snap: ReturnType<typeof buildSnapshot>) {
  return snap.groups.map((g) => ({
    key: g.key,
    slot: g.slot,
    message: [...g.message],
    signatures: g.signatures.map((s) => [Buffer.from(s.publicKey).toString('hex'), Buffer.from(s.signature).toString('hex')]),
    children: g.children.map((c) => Buffer.from(c.toBytes()).toString('hex')),
  }))
}

describe('SSZ wire forms', () => {
  const child = fakeAggregate(group(1, 9, 3, 100))
  const snap = buildSnapshot([{ ...group(2, 9, 2), priority: 10 }, group(1, 9, 4, 0, [child]), group(3, 4_294_967_295, 3, 50)])

  it('round-trips a snapshot, children and proving order included', () => {
    const bytes = snapshotToBytes(snap)
    const back = snapshotFromBytes(bytes, decodeFakeAggregate)
    expect(plain(back)).toEqual(plain(snap))
    expect(back.groups[0]!.index).toBe(0)
    expect(snapshotToBytes(back)).toEqual(bytes)
  })

  it('decodes with an async decoder (Prover.aggregateFromBytes)', async () => {
    const back = await snapshotFromBytesAsync(snapshotToBytes(snap), async (p) => decodeFakeAggregate(p))
    expect(plain(back)).toEqual(plain(snap))
  })

  it('uses fixed-size keys and signatures and a uint64 slot', () => {
    const g = snap.groups.find((x) => x.children.length === 0 && x.signatures.length === 2)!
    const bytes = groupToBytes(g)
    // message 32 + slot 8 + two offsets 4+4, then 2 x (32 + 1208), no children.
    expect(bytes.length).toBe(32 + 8 + 8 + 2 * 1240)
    expect(AggregationGroupSsz.deserialize(bytes).slot).toBe(9)
    const back = groupFromBytes(bytes, decodeFakeAggregate)
    expect(Buffer.from(back.message).equals(Buffer.from(g.message))).toBe(true)
  })

  it('rejects malformed bytes with INVALID_ENCODING', () => {
    const bytes = snapshotToBytes(snap)
    expect(() => snapshotFromBytes(bytes.subarray(0, bytes.length - 3), decodeFakeAggregate)).toThrow(expect.objectContaining({ code: 'INVALID_ENCODING' }))
    expect(() => snapshotFromBytes(new Uint8Array([1, 2]), decodeFakeAggregate)).toThrow(expect.objectContaining({ code: 'INVALID_ENCODING' }))
  })

  it('reports a child the decoder rejects as INVALID_CHILD', () => {
    const bytes = SnapshotSsz.serialize({
      groups: [{ message: new Uint8Array(32), slot: 1, signatures: [], children: [new Uint8Array([1, 2, 3])] }],
    })
    expect(() => snapshotFromBytes(bytes, decodeFakeAggregate)).toThrow(expect.objectContaining({ code: 'INVALID_CHILD' }))
  })

  it('revalidates decoded groups like any input', () => {
    const bytes = SnapshotSsz.serialize({
      groups: [{ message: new Uint8Array(32), slot: 1, signatures: [], children: [] }],
    })
    const back = snapshotFromBytes(bytes, decodeFakeAggregate)
    expect(back.groups).toEqual([])
    expect(back.dropped[0]).toMatchObject({ reason: 'invalid', code: 'EMPTY_GROUP' })
  })
})
