/**
 * leanSpec's consensus containers (lstar fork) as @chainsafe/ssz types, under leanSpec's names and
 * bounds. Field names are camelCase (`validatorIndex` for `validator_index`); SSZ bytes and roots
 * do not depend on names. Key and signature sizes are the prover revision's (see revision.ts):
 * `containersFor(revision)` builds the set for another one; the exports are this revision's.
 */
import { BitListType, ByteListType, ByteVectorType, ContainerType, ListCompositeType, UintNumberType } from '@chainsafe/ssz'
import type { ValueOf } from '@chainsafe/ssz'
import { MESSAGE_BYTES } from '../limits.js'
import { MAX_SPEC_PROOF_BYTES, SPEC_REVISION, type SpecRevision, VALIDATOR_REGISTRY_LIMIT } from './revision.js'

export function containersFor(revision: SpecRevision) {
  // uint64 on the wire, a JS number in memory: slots and indices here stay far below 2^53.
  const Uint64 = new UintNumberType(8)
  const Bytes32 = new ByteVectorType(MESSAGE_BYTES, { typeName: 'Bytes32' })
  const PublicKey = new ByteVectorType(revision.publicKeyBytes, { typeName: 'PublicKey' })
  const Signature = new ByteVectorType(revision.signatureBytes, { typeName: 'Signature' })
  const ByteList512KiB = new ByteListType(MAX_SPEC_PROOF_BYTES, { typeName: 'ByteList512KiB' })
  const AggregationBits = new BitListType(VALIDATOR_REGISTRY_LIMIT, { typeName: 'AggregationBits' })

  const Checkpoint = new ContainerType({ root: Bytes32, slot: Uint64 }, { typeName: 'Checkpoint' })
  const AttestationData = new ContainerType({ slot: Uint64, head: Checkpoint, target: Checkpoint, source: Checkpoint }, { typeName: 'AttestationData' })
  const Attestation = new ContainerType({ validatorIndex: Uint64, data: AttestationData }, { typeName: 'Attestation' })
  const SignedAttestation = new ContainerType({ validatorIndex: Uint64, data: AttestationData, signature: Signature }, { typeName: 'SignedAttestation' })
  const AggregatedAttestation = new ContainerType({ aggregationBits: AggregationBits, data: AttestationData }, { typeName: 'AggregatedAttestation' })
  const AggregatedAttestations = new ListCompositeType(AggregatedAttestation, VALIDATOR_REGISTRY_LIMIT, { typeName: 'AggregatedAttestations' })
  const SingleMessageAggregate = new ContainerType({ participants: AggregationBits, proof: ByteList512KiB }, { typeName: 'SingleMessageAggregate' })
  const SignedAggregatedAttestation = new ContainerType({ data: AttestationData, proof: SingleMessageAggregate }, { typeName: 'SignedAggregatedAttestation' })
  const MultiMessageAggregate = new ContainerType({ proof: ByteList512KiB }, { typeName: 'MultiMessageAggregate' })
  const Validator = new ContainerType({ attestationPublicKey: PublicKey, proposalPublicKey: PublicKey, index: Uint64 }, { typeName: 'Validator' })
  const Validators = new ListCompositeType(Validator, VALIDATOR_REGISTRY_LIMIT, { typeName: 'Validators' })

  return {
    Bytes32,
    PublicKey,
    Signature,
    ByteList512KiB,
    AggregationBits,
    Checkpoint,
    AttestationData,
    Attestation,
    SignedAttestation,
    AggregatedAttestation,
    AggregatedAttestations,
    SingleMessageAggregate,
    SignedAggregatedAttestation,
    MultiMessageAggregate,
    Validator,
    Validators,
  }
}

export type SpecContainers = ReturnType<typeof containersFor>

/** This revision's containers, also one by one below. */
export const specContainers: SpecContainers = containersFor(SPEC_REVISION)

export const {
  AggregationBits,
  Checkpoint,
  AttestationData,
  Attestation,
  SignedAttestation,
  AggregatedAttestation,
  AggregatedAttestations,
  SingleMessageAggregate,
  SignedAggregatedAttestation,
  MultiMessageAggregate,
  Validator,
  Validators,
} = specContainers

// Each container's value type under the container's own name.
export type AggregationBits = ValueOf<SpecContainers['AggregationBits']>
export type Checkpoint = ValueOf<SpecContainers['Checkpoint']>
export type AttestationData = ValueOf<SpecContainers['AttestationData']>
export type Attestation = ValueOf<SpecContainers['Attestation']>
export type SignedAttestation = ValueOf<SpecContainers['SignedAttestation']>
export type AggregatedAttestation = ValueOf<SpecContainers['AggregatedAttestation']>
export type AggregatedAttestations = ValueOf<SpecContainers['AggregatedAttestations']>
export type SingleMessageAggregate = ValueOf<SpecContainers['SingleMessageAggregate']>
export type SignedAggregatedAttestation = ValueOf<SpecContainers['SignedAggregatedAttestation']>
export type MultiMessageAggregate = ValueOf<SpecContainers['MultiMessageAggregate']>
export type Validator = ValueOf<SpecContainers['Validator']>
export type Validators = ValueOf<SpecContainers['Validators']>

/** An attestation data's hash_tree_root: the 32-byte message its voters sign. */
export function attestationMessage(data: AttestationData): Uint8Array {
  return AttestationData.hashTreeRoot(data)
}
