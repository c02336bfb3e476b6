/** `AggregationBits` and validator indices, both ways, with leanSpec's rules and typed errors. */
import { BitArray } from '@chainsafe/ssz'
import { LeanAggError } from '../errors.js'
import { VALIDATOR_REGISTRY_LIMIT } from './revision.js'

/** A validator index: an integer in 0..VALIDATOR_REGISTRY_LIMIT-1 (else a typed error). */
export function checkIndex(index: unknown, what = 'validator index'): number {
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
    throw new LeanAggError('INVALID_ARGUMENT', `${what} must be a non-negative integer, got ${String(index)}`)
  }
  if (index >= VALIDATOR_REGISTRY_LIMIT) {
    throw new LeanAggError('VALIDATOR_INDEX_OUT_OF_RANGE', `${what} ${index} is not below VALIDATOR_REGISTRY_LIMIT (${VALIDATOR_REGISTRY_LIMIT})`)
  }
  return index
}

/**
 * leanSpec `AggregationBits.from_indices`: exactly these indices set, in a bitlist of length
 * highest index + 1. Repeats count once; no index is EMPTY_GROUP.
 */
export function aggregationBitsFromIndices(indices: Iterable<number>): BitArray {
  const set = new Set<number>()
  for (const index of indices) set.add(checkIndex(index))
  if (set.size === 0) throw new LeanAggError('EMPTY_GROUP', 'aggregation bits must name at least one validator')
  const bits = BitArray.fromBitLen(Math.max(...set) + 1)
  for (const index of set) bits.set(index, true)
  return bits
}

/** leanSpec `AggregationBits.to_validator_indices`: the set bits, ascending; none is EMPTY_GROUP. */
export function validatorIndices(bits: BitArray): number[] {
  if (!(bits instanceof BitArray)) throw new LeanAggError('INVALID_ARGUMENT', 'participants must be a BitArray (AggregationBits)')
  if (bits.bitLen > VALIDATOR_REGISTRY_LIMIT) {
    throw new LeanAggError('VALIDATOR_INDEX_OUT_OF_RANGE', `${bits.bitLen} bits, at most VALIDATOR_REGISTRY_LIMIT (${VALIDATOR_REGISTRY_LIMIT})`)
  }
  const indices = bits.getTrueBitIndexes()
  if (indices.length === 0) throw new LeanAggError('EMPTY_GROUP', 'aggregation bits name no validator')
  return indices
}
