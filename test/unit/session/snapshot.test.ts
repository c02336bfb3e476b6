import { describe, expect, it } from 'vitest'
import { buildSnapshot, isSnapshot } from '../../../src/session/snapshot.js'
import { fakeAggregate } from '../../../src/testing.js'
import { group, message, pk, sig, signed } from '../../support/fake-groups.js'

describe('buildSnapshot', () => {
  it('keys each group by hex(message):slot and orders most signers first', () => {
    const snap = buildSnapshot([group(1, 7, 2), group(2, 7, 5, 10), group(3, 8, 3, 20)])
    expect(snap.groups.map((g) => g.signerCount)).toEqual([5, 3, 2])
    expect(snap.groups[0]!.key).toBe(`${Buffer.from(message(2)).toString('hex')}:7`)
    expect(snap.inputCount).toBe(3)
    expect(snap.dropped).toEqual([])
    expect(isSnapshot(snap)).toBe(true)
    expect(isSnapshot({ ...snap })).toBe(false)
  })

  it('honours caller priorities before signer count', () => {
    const snap = buildSnapshot([{ ...group(1, 1, 2), priority: 5 }, { ...group(2, 1, 9, 10) }, { ...group(3, 1, 3, 20), priority: 5 }])
    expect(snap.groups.map((g) => g.index)).toEqual([2, 0, 1])
  })

  it('reports invalid groups with their error code and keeps the rest', () => {
    const bad = [
      { ...group(1, 1, 2), message: new Uint8Array(31) },
      { ...group(2, 2 ** 32, 2) },
      { ...group(3, 1.5, 2) },
      { ...group(4, 1, 0) },
      { ...group(5, 1, 1), signatures: [{ publicKey: pk(1), signature: new Uint8Array(1207) }] },
      { ...group(6, 1, 2), signatures: [{ publicKey: new Uint8Array(32).fill(0xff), signature: sig(1) }, signed(2)] },
      group(
        7,
        1,
        1,
        0,
        Array.from({ length: 17 }, (_, i) => fakeAggregate(group(7, 1, 1, 100 + i))),
      ),
      group(8, 1, 1, 0, [fakeAggregate(group(8, 2, 2, 50))]),
      group(9, 3, 4),
    ]
    const snap = buildSnapshot(bad)
    expect(snap.groups.map((g) => g.index)).toEqual([8])
    expect(snap.dropped.map((d) => [d.index, d.reason, d.code])).toEqual([
      [0, 'invalid', 'INVALID_LENGTH'],
      [1, 'invalid', 'SLOT_OUT_OF_RANGE'],
      [2, 'invalid', 'SLOT_OUT_OF_RANGE'],
      [3, 'invalid', 'EMPTY_GROUP'],
      [4, 'invalid', 'INVALID_LENGTH'],
      [5, 'invalid', 'INVALID_ENCODING'],
      [6, 'invalid', 'TOO_MANY_CHILDREN'],
      [7, 'invalid', 'MESSAGE_MISMATCH'],
    ])
    expect(snap.dropped[0]!.key).toBeUndefined()
    expect(snap.dropped[5]!.key).toMatch(/:1$/)
  })

  it('removes duplicate signers within a group and reports how many', () => {
    const g = group(1, 1, 3)
    const snap = buildSnapshot([{ ...g, signatures: [...g.signatures, signed(1), signed(0)] }])
    expect(snap.groups[0]!.signatures).toHaveLength(3)
    expect(snap.groups[0]!.duplicateSigners).toBe(2)
  })

  it('drops an identical group as duplicate and merges one with other signers', () => {
    const snap = buildSnapshot([group(1, 1, 3), group(1, 1, 3), group(1, 1, 2, 2), group(2, 1, 2)])
    const merged = snap.groups.find((g) => g.index === 0)!
    expect(merged.signatures.map((s) => s.publicKey[0])).toEqual([0, 1, 2, 3])
    expect(merged.signerCount).toBe(4)
    expect(merged.mergedFrom).toEqual([2])
    expect(snap.dropped).toEqual([
      { index: 1, key: merged.key, reason: 'duplicate', into: merged.key },
      { index: 2, key: merged.key, reason: 'merged', into: merged.key },
    ])
  })

  it('counts a child signer set in the duplicate check', () => {
    const child = fakeAggregate(group(1, 1, 2, 10))
    const a = group(1, 1, 1, 0, [child])
    const snap = buildSnapshot([a, { ...a, children: [child] }])
    expect(snap.groups).toHaveLength(1)
    expect(snap.groups[0]!.signerCount).toBe(3)
    expect(snap.dropped[0]!.reason).toBe('duplicate')
  })

  it('skips trivial groups unless asked for them', () => {
    const lone = group(1, 1, 1)
    const loneChild = group(2, 1, 0, 0, [fakeAggregate(group(2, 1, 3))])
    expect(buildSnapshot([lone, loneChild]).dropped.map((d) => d.reason)).toEqual(['trivial', 'trivial'])
    expect(buildSnapshot([lone, loneChild], { includeTrivial: true }).groups).toHaveLength(2)
  })

  it('copies every byte array and freezes the structure', () => {
    const input = group(1, 1, 2)
    const snap = buildSnapshot([input])
    const g = snap.groups[0]!
    input.message[5] = 99
    input.signatures[0]!.publicKey[5] = 99
    input.signatures[0]!.signature[5] = 99
    ;(input.signatures as unknown as unknown[]).push(signed(9))
    expect(g.message[5]).toBe(0)
    expect(g.signatures[0]!.publicKey[5]).toBe(0)
    expect(g.signatures[0]!.signature[5]).toBe(0)
    expect(g.signatures).toHaveLength(2)
    expect(Object.isFrozen(snap)).toBe(true)
    expect(Object.isFrozen(snap.groups)).toBe(true)
    expect(Object.isFrozen(g)).toBe(true)
    expect(Object.isFrozen(g.signatures)).toBe(true)
    expect(Object.isFrozen(g.signatures[0])).toBe(true)
    expect(Object.isFrozen(g.children)).toBe(true)
    expect(() => {
      ;(g as { slot: number }).slot = 3
    }).toThrow(TypeError)
  })

  it('copies Buffer inputs instead of sharing their memory', () => {
    const pool = Buffer.alloc(64)
    const m = pool.subarray(0, 32)
    const snap = buildSnapshot([{ ...group(1, 1, 2), message: m }])
    pool[0] = 7
    expect(snap.groups[0]!.message[0]).toBe(0)
    expect(snap.groups[0]!.message.buffer).not.toBe(pool.buffer)
  })

  it('rejects a non-array with INVALID_ARGUMENT', () => {
    expect(() => buildSnapshot(null as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })
})
