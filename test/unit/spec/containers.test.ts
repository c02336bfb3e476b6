/** Every leanSpec container round-trips against the committed vectors (test/support/spec-vectors.json). */
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { BitArray, type Type } from '@chainsafe/ssz'
import { describe, expect, it } from 'vitest'
import * as api from '../../../src/index.js'
import * as containers from '../../../src/spec/containers.js'
import { SPEC_VALUES, type SpecName } from '../../support/spec-values.js'
import { hex } from '../../support/helpers.js'

const file = new URL('../../support/spec-vectors.json', import.meta.url)
type Vector = { serialized: string; root: string }
const names = Object.keys(SPEC_VALUES) as SpecName[]
const byName = { ...containers } as unknown as Record<SpecName, Type<unknown>>
const typeOf = (name: SpecName) => byName[name]
const made = Object.fromEntries(
  names.map((name) => {
    const type = typeOf(name)
    return [name, { serialized: hex(type.serialize(SPEC_VALUES[name])), root: hex(type.hashTreeRoot(SPEC_VALUES[name])) }]
  }),
) as Record<SpecName, Vector>
// LEANAGG_WRITE_VECTORS=1 regenerates the file; a change to it is a change of wire format.
if (process.env.LEANAGG_WRITE_VECTORS === '1') writeFileSync(file, `${JSON.stringify(made, null, 2)}\n`)
const committed = JSON.parse(readFileSync(file, 'utf8')) as Record<SpecName, Vector>

const sha256 = (...parts: Uint8Array[]) => new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest())
const chunk = (n: number) => {
  const c = new Uint8Array(32)
  new DataView(c.buffer).setBigUint64(0, BigInt(n), true)
  return c
}

describe('leanSpec containers', () => {
  it('every container has a vector, and every vector a container', () => {
    expect(Object.keys(committed).sort()).toEqual([...names].sort())
    for (const name of [
      'AggregationBits',
      'SingleMessageAggregate',
      'MultiMessageAggregate',
      'AttestationData',
      'SignedAttestation',
      'SignedAggregatedAttestation',
    ]) {
      expect(names).toContain(name)
    }
  })

  it.each(names)('%s: serialises to its vector, decodes back, same root', (name) => {
    const type = typeOf(name)
    expect(made[name]).toEqual(committed[name])
    const decoded = type.deserialize(Buffer.from(committed[name].serialized, 'hex'))
    expect(type.equals(decoded, SPEC_VALUES[name])).toBe(true)
    expect(hex(type.serialize(decoded))).toBe(committed[name].serialized)
  })

  it('the exports are the containers, under leanSpec names', () => {
    const exported = api as Record<string, unknown>
    for (const name of names) expect(exported[name], name).toBe(byName[name])
    expect(api.SPEC_REVISION.publicKeyBytes).toBe(api.PUBLIC_KEY_BYTES)
    expect(api.LEANSPEC_SNAPSHOT_PUBLIC_KEY_BYTES).toBe(52)
    expect(api.MAX_SPEC_PROOF_BYTES).toBe(512 * 1024)
    expect(api.VALIDATOR_REGISTRY_LIMIT).toBe(4096)
  })

  it('the AttestationData root, merkleised by hand: slot, head, target, source in that order', () => {
    const data = SPEC_VALUES.AttestationData as api.AttestationData
    const cp = (c: api.Checkpoint) => sha256(c.root, chunk(c.slot))
    const root = sha256(sha256(chunk(data.slot), cp(data.head)), sha256(cp(data.target), cp(data.source)))
    expect(hex(api.attestationMessage(data))).toBe(hex(root))
  })

  it('AggregationBits on the wire: bits little-endian, then the length bit', () => {
    // bits 0, 2, 3, 9 of 10: 0b00001101, then bit 9 and the delimiter at bit 10.
    expect(committed.AggregationBits.serialized).toBe('0d06')
  })

  it('proofs are bounded by ByteList512KiB, a registry by VALIDATOR_REGISTRY_LIMIT', () => {
    const over = { participants: BitArray.fromBoolArray([true]), proof: new Uint8Array(512 * 1024 + 1) }
    // @chainsafe/ssz checks bounds when decoding (encoding does not): gossip bytes are what matter.
    expect(() => api.SingleMessageAggregate.deserialize(api.SingleMessageAggregate.serialize(over))).toThrow()
    const at = { ...over, proof: new Uint8Array(512 * 1024) }
    expect(api.SingleMessageAggregate.deserialize(api.SingleMessageAggregate.serialize(at)).proof.length).toBe(512 * 1024)
    expect(api.AggregationBits.limitBits).toBe(4096)
    expect(api.Validators.limit).toBe(4096)
  })
})
