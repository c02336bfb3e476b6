/** The spec-shaped layer: leanSpec's containers, validators by index, a registry. */
export { aggregationBitsFromIndices, validatorIndices } from './bits.js'
export * from './containers.js'
export { type BoundAggregate, type ComponentBinding, bindingsOf, mergeByIndex, splitByMessage, verifyMultiByIndex } from './multi.js'
export { ValidatorRegistry } from './registry.js'
export {
  LEANSPEC_SNAPSHOT_PUBLIC_KEY_BYTES,
  MAX_ATTESTATIONS_DATA,
  MAX_SPEC_PROOF_BYTES,
  SPEC_REVISION,
  type SpecRevision,
  VALIDATOR_REGISTRY_LIMIT,
} from './revision.js'
export {
  aggregateByIndex,
  type IndexedGroup,
  type IndexedSignature,
  type MessageBinding,
  resolveSingleMessageAggregate,
  toSingleMessageAggregate,
  verifyByIndex,
} from './single.js'
export { attestationGroup, groupByIndex, type IndexedGroupInput, signedAggregatedAttestation } from './votes.js'
