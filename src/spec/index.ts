/** The spec-shaped layer: leanSpec's containers, validators by index, a registry. */
export * from './containers.js'
export {
  LEANSPEC_SNAPSHOT_PUBLIC_KEY_BYTES,
  MAX_ATTESTATIONS_DATA,
  MAX_SPEC_PROOF_BYTES,
  SPEC_REVISION,
  type SpecRevision,
  VALIDATOR_REGISTRY_LIMIT,
} from './revision.js'
