/**
 * leanSpec's consensus containers (lstar fork) as @chainsafe/ssz types, under leanSpec's names and
 * bounds. Field names are camelCase (`validatorIndex` for `validator_index`); SSZ bytes and roots
 * do not depend on names. The containers that hold a key or a signature take their sizes from the
 * prover revision (see revision.ts): `containersFor(revision)` builds them for another one; the
 * exports are this revision's.
 */
import { BitListType, ByteListType, ByteVectorType, ContainerType, ListCompositeType, UintNumberType } from '@chainsafe/ssz'
import type { ValueOf } from '@chainsafe/ssz'
import { MESSAGE_BYTES } from '../limits.js'
import { MAX_SPEC_PROOF_BYTES, SPEC_REVISION, type SpecRevision, VALIDATOR_REGISTRY_LIMIT } from './revision.js'

// uint64 on the wire, a JS number in memory: slots and indices here stay far below 2^53.
const Uint64 = new UintNumberType(8)
const Bytes32 = new ByteVectorType(MESSAGE_BYTES, { typeName: 'Bytes32' })
const ByteList512KiB = new ByteListType(MAX_SPEC_PROOF_BYTES, { typeName: 'ByteList512KiB' })

export const AggregationBits = new BitListType(VALIDATOR_REGISTRY_LIMIT, { typeName: 'AggregationBits' })
export const Checkpoint = new ContainerType({ root: Bytes32, slot: Uint64 }, { typeName: 'Checkpoint' })
export const AttestationData = new ContainerType({ slot: Uint64, head: Checkpoint, target: Checkpoint, source: Checkpoint }, { typeName: 'AttestationData' })
export const Attestation = new ContainerType({ validatorIndex: Uint64, data: AttestationData }, { typeName: 'Attestation' })
export const AggregatedAttestation = new ContainerType({ aggregationBits: AggregationBits, data: AttestationData }, { typeName: 'AggregatedAttestation' })
export const AggregatedAttestations = new ListCompositeType(AggregatedAttestation, VALIDATOR_REGISTRY_LIMIT, { typeName: 'AggregatedAttestations' })
export const SingleMessageAggregate = new ContainerType({ participants: AggregationBits, proof: ByteList512KiB }, { typeName: 'SingleMessageAggregate' })
export const SignedAggregatedAttestation = new ContainerType(
  { data: AttestationData, proof: SingleMessageAggregate },
  { typeName: 'SignedAggregatedAttestation' },
)
export const MultiMessageAggregate = new ContainerType({ proof: ByteList512KiB }, { typeName: 'MultiMessageAggregate' })

/** The containers whose bytes depend on the revision's key and signature sizes. */
export function containersFor(revision: SpecRevision) {
  const PublicKey = new ByteVectorType(revision.publicKeyBytes, { typeName: 'PublicKey' })
  const Signature = new ByteVectorType(revision.signatureBytes, { typeName: 'Signature' })
  const SignedAttestation = new ContainerType({ validatorIndex: Uint64, data: AttestationData, signature: Signature }, { typeName: 'SignedAttestation' })
  const Validator = new ContainerType({ attestationPublicKey: PublicKey, proposalPublicKey: PublicKey, index: Uint64 }, { typeName: 'Validator' })
  const Validators = new ListCompositeType(Validator, VALIDATOR_REGISTRY_LIMIT, { typeName: 'Validators' })
  return { SignedAttestation, Validator, Validators }
}

export type RevisionContainers = ReturnType<typeof containersFor>
export const { SignedAttestation, Validator, Validators }: RevisionContainers = containersFor(SPEC_REVISION)

// Each container's value type under the container's own name.
export type AggregationBits = ValueOf<typeof AggregationBits>
export type Checkpoint = ValueOf<typeof Checkpoint>
export type AttestationData = ValueOf<typeof AttestationData>
export type Attestation = ValueOf<typeof Attestation>
export type AggregatedAttestation = ValueOf<typeof AggregatedAttestation>
export type AggregatedAttestations = ValueOf<typeof AggregatedAttestations>
export type SingleMessageAggregate = ValueOf<typeof SingleMessageAggregate>
export type SignedAggregatedAttestation = ValueOf<typeof SignedAggregatedAttestation>
export type MultiMessageAggregate = ValueOf<typeof MultiMessageAggregate>
export type SignedAttestation = ValueOf<typeof SignedAttestation>
export type Validator = ValueOf<typeof Validator>
export type Validators = ValueOf<typeof Validators>

/** An attestation data's hash_tree_root: the 32-byte message its voters sign. */
export function attestationMessage(data: AttestationData): Uint8Array {
  return AttestationData.hashTreeRoot(data)
}
