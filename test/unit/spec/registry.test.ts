/** Property tests: bitfields against index sets, registry lookups, indices out of range. */
import { BitArray } from '@chainsafe/ssz'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  AggregationBits,
  aggregationBitsFromIndices,
  FIELD_MODULUS,
  PUBLIC_KEY_BYTES,
  VALIDATOR_REGISTRY_LIMIT,
  ValidatorRegistry,
  Validators,
  validatorIndices,
} from '../../../src/index.js'
import { throwsWith } from '../../support/helpers.js'

const LIMIT = VALIDATOR_REGISTRY_LIMIT
const indexSet = fc.uniqueArray(fc.integer({ min: 0, max: LIMIT - 1 }), { minLength: 1, maxLength: 200 })

/** Distinct canonical keys: the index in the first element keeps them apart. */
function keyFor(i: number, salt = 0): Uint8Array {
  const key = new Uint8Array(PUBLIC_KEY_BYTES)
  const view = new DataView(key.buffer)
  view.setUint32(0, i, true)
  for (let e = 1; e < PUBLIC_KEY_BYTES / 4; e++) view.setUint32(e * 4, (i * 7919 + e * 104729 + salt) % FIELD_MODULUS, true)
  return key
}
const keysFor = (n: number, salt = 0) => Array.from({ length: n }, (_, i) => keyFor(i, salt))

describe('AggregationBits against index sets', () => {
  it('from indices and back is the sorted set; the SSZ round trip keeps it', () => {
    fc.assert(
      fc.property(indexSet, fc.array(fc.integer({ min: 0, max: 199 })), (set, repeats) => {
        const withRepeats = [...set, ...repeats.filter((r) => r < set.length).map((r) => set[r]!)]
        const bits = aggregationBitsFromIndices(withRepeats)
        const sorted = [...set].sort((a, b) => a - b)
        expect(validatorIndices(bits)).toEqual(sorted)
        // leanSpec's from_indices: the list ends at the highest index.
        expect(bits.bitLen).toBe(sorted.at(-1)! + 1)
        expect(validatorIndices(AggregationBits.deserialize(AggregationBits.serialize(bits)))).toEqual(sorted)
      }),
    )
  })

  it('an index at or past the limit is VALIDATOR_INDEX_OUT_OF_RANGE; not an index is INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(indexSet, fc.integer({ min: LIMIT, max: 2 ** 40 }), (set, far) => {
        throwsWith(() => aggregationBitsFromIndices([...set, far]), 'VALIDATOR_INDEX_OUT_OF_RANGE')
      }),
    )
    for (const bad of [-1, 1.5, Number.NaN, '3']) throwsWith(() => aggregationBitsFromIndices([bad as number]), 'INVALID_ARGUMENT')
    throwsWith(() => aggregationBitsFromIndices([]), 'EMPTY_GROUP')
    throwsWith(() => validatorIndices(BitArray.fromBitLen(12)), 'EMPTY_GROUP')
    throwsWith(() => validatorIndices(BitArray.fromSingleBit(LIMIT + 1, LIMIT)), 'VALIDATOR_INDEX_OUT_OF_RANGE')
  })
})

describe('ValidatorRegistry', () => {
  it('lookups: index to key, key to index, bitfield to keys in index order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 1000 }), (n, salt) => {
        const keys = keysFor(n, salt)
        const registry = ValidatorRegistry.fromPublicKeys(keys)
        expect(registry.size).toBe(n)
        const i = salt % n
        expect(registry.publicKey(i)).toEqual(keys[i])
        expect(registry.indexOf(keys[i]!)).toBe(i)
        expect(registry.has(n)).toBe(false)
        const picked = keys.map((_, j) => j).filter((j) => (j + salt) % 3 === 0)
        if (picked.length === 0) return
        expect(registry.publicKeysOf(aggregationBitsFromIndices([...picked].reverse()))).toEqual(picked.map((j) => keys[j]))
        expect(registry.indicesOf(picked.map((j) => keys[j]!).reverse())).toEqual(picked)
      }),
      { numRuns: 50 },
    )
  })

  it('an index outside the registry (but inside the limit) is VALIDATOR_INDEX_OUT_OF_RANGE', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: LIMIT - 1 }), (n, extra) => {
        const registry = ValidatorRegistry.fromPublicKeys(keysFor(n))
        const outside = n + (extra % (LIMIT - n))
        throwsWith(() => registry.publicKey(outside), 'VALIDATOR_INDEX_OUT_OF_RANGE')
        throwsWith(() => registry.publicKeysOf(aggregationBitsFromIndices([0, outside])), 'VALIDATOR_INDEX_OUT_OF_RANGE')
      }),
    )
  })

  it('is a copy: changing the input or an answer changes nothing', () => {
    const keys = keysFor(3)
    const registry = ValidatorRegistry.fromPublicKeys(keys)
    keys[0]!.fill(0)
    registry.publicKey(1).fill(0)
    expect(registry.publicKey(0)).toEqual(keyFor(0))
    expect(registry.publicKey(1)).toEqual(keyFor(1))
  })

  it('refuses duplicates, wrong sizes, non-canonical keys and more than the limit', () => {
    throwsWith(() => ValidatorRegistry.fromPublicKeys([keyFor(0), keyFor(1), keyFor(0)]), 'DUPLICATE_VALIDATOR')
    throwsWith(() => ValidatorRegistry.fromPublicKeys([new Uint8Array(52)]), 'INVALID_LENGTH')
    throwsWith(() => ValidatorRegistry.fromPublicKeys([new Uint8Array(PUBLIC_KEY_BYTES).fill(0xff)]), 'INVALID_ENCODING')
    throwsWith(() => ValidatorRegistry.fromPublicKeys(['x' as unknown as Uint8Array]), 'INVALID_ARGUMENT')
    throwsWith(() => ValidatorRegistry.fromPublicKeys(keysFor(LIMIT + 1)), 'TOO_LARGE')
    expect(ValidatorRegistry.fromPublicKeys(keysFor(LIMIT)).size).toBe(LIMIT)
  })

  it('from Validators bytes: the attestation keys; an index off its position or bad bytes is refused', () => {
    const validators = keysFor(5).map((k, index) => ({ attestationPublicKey: k, proposalPublicKey: keyFor(100 + index), index }))
    const registry = ValidatorRegistry.fromBytes(Validators.serialize(validators))
    expect(registry.size).toBe(5)
    expect(registry.publicKey(4)).toEqual(keyFor(4))
    const shuffled = [validators[1]!, validators[0]!]
    throwsWith(() => ValidatorRegistry.fromBytes(Validators.serialize(shuffled)), 'INVALID_ARGUMENT')
    throwsWith(() => ValidatorRegistry.fromBytes(new Uint8Array(PUBLIC_KEY_BYTES + 3)), 'INVALID_ENCODING')
  })
})
