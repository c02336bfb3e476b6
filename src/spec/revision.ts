/**
 * What the spec-shaped layer takes from leanSpec and what from this prover revision. leanSpec
 * fixes the bounds; the pinned leanMultisig revision fixes the byte sizes of keys and signatures,
 * so those come from the addon (one source of truth) and change with the revision, not here.
 */
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../limits.js'

/** leanSpec `VALIDATOR_REGISTRY_LIMIT` (lstar config): validators, and bits of `AggregationBits`. */
export const VALIDATOR_REGISTRY_LIMIT = 4096
/** leanSpec `ByteList512KiB`: the bound on `SingleMessageAggregate.proof` and `MultiMessageAggregate.proof`. */
export const MAX_SPEC_PROOF_BYTES = 512 * 1024
/** leanSpec `MAX_ATTESTATIONS_DATA`: distinct attestation data per block. */
export const MAX_ATTESTATIONS_DATA = 8

/**
 * leanSpec's public key at its June 2026 snapshot: a Poseidon XMSS `root + parameter`, 52 bytes
 * (`Bytes52` in `Validator`). This revision's key is 32 bytes, as leanVM's and the devnets'
 * (leanSpec#1210), so containers here use `SPEC_REVISION.publicKeyBytes`, never this number.
 */
export const LEANSPEC_SNAPSHOT_PUBLIC_KEY_BYTES = 52

/** The byte sizes a set of containers is built for: one prover revision's. */
export interface SpecRevision {
  readonly publicKeyBytes: number
  readonly signatureBytes: number
}

/** The pinned revision this package proves with (README: "Pinned upstream"). */
export const SPEC_REVISION: SpecRevision = Object.freeze({
  publicKeyBytes: PUBLIC_KEY_BYTES,
  signatureBytes: SIGNATURE_BYTES,
})
