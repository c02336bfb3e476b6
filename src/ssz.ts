/**
 * SSZ wire forms for aggregation inputs, so a snapshot can be stored, sent to another process,
 * or logged byte-exact.
 *
 * Shapes follow leanSpec where it has one: `PublicKey`/`Signature` are fixed byte vectors and an
 * aggregate proof is a `ByteList` of at most 1 MiB (leanSpec `ByteListMiB`). leanSpec's
 * `AggregatedSignatureProof { participants: Bitlist, proof_data: ByteListMiB }` names signers by
 * validator index in a bitlist; a snapshot is keyed by public keys instead, so a child travels as
 * its proof bytes alone (its signer public keys are inside the proof) and raw signatures carry
 * their public key. leanSpec's own containers, by validator index against a registry and with
 * its 512 KiB proof bound, are in src/spec/. `AggregationGroupSsz` has no leanSpec counterpart: it is this library's
 * snapshot of one (message, slot) before proving.
 */
import { ByteListType, ByteVectorType, ContainerType, ListCompositeType, UintNumberType } from '@chainsafe/ssz'
import type { ValueOf } from '@chainsafe/ssz'
import type { Aggregate } from './aggregate.js'
import { LeanAggError, isLeanAggError } from './errors.js'
import { messageOf } from './session/fail.js'
import { buildSnapshot, MAX_CHILDREN, MAX_SIGNERS, MESSAGE_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './session/snapshot.js'
import type { BuildSnapshotOptions, GroupInput, Snapshot, SnapshotGroup } from './session/snapshot.js'

/** leanSpec `ByteListMiB`: the bound on one aggregate proof's bytes. */
export const MAX_PROOF_BYTES = 1024 * 1024
/** Groups in one snapshot; leanSpec's VALIDATOR_REGISTRY_LIMIT bounds attestation data per block alike. */
export const MAX_GROUPS_PER_SNAPSHOT = 4096
/** Raw signatures per group: the prover's own limit, so every provable group encodes. */
export const MAX_SIGNATURES_PER_GROUP = MAX_SIGNERS

export const Bytes32Ssz = new ByteVectorType(MESSAGE_BYTES)
export const PublicKeySsz = new ByteVectorType(PUBLIC_KEY_BYTES)
export const SignatureSsz = new ByteVectorType(SIGNATURE_BYTES)
/** uint64 on the wire, a JS number in memory (slots stay below 2^32 here). */
export const SlotSsz = new UintNumberType(8)
/** An aggregate's `toBytes()`: leanSpec `proof_data`. */
export const AggregateProofSsz = new ByteListType(MAX_PROOF_BYTES)

export const SignedBySsz = new ContainerType({ publicKey: PublicKeySsz, signature: SignatureSsz }, { typeName: 'SignedBy' })

export const AggregationGroupSsz = new ContainerType(
  {
    message: Bytes32Ssz,
    slot: SlotSsz,
    signatures: new ListCompositeType(SignedBySsz, MAX_SIGNATURES_PER_GROUP),
    children: new ListCompositeType(AggregateProofSsz, MAX_CHILDREN),
  },
  { typeName: 'AggregationGroup' },
)

export const SnapshotSsz = new ContainerType(
  { groups: new ListCompositeType(AggregationGroupSsz, MAX_GROUPS_PER_SNAPSHOT) },
  { typeName: 'AggregationSnapshot' },
)

export type AggregationGroupValue = ValueOf<typeof AggregationGroupSsz>

/** Decodes one child proof; it needs the prover, so the caller supplies it. */
export type DecodeAggregate = (proof: Uint8Array) => Aggregate
/** Async form, e.g. `(proof) => prover.aggregateFromBytes(proof)`. */
export type DecodeAggregateAsync = (proof: Uint8Array) => Aggregate | Promise<Aggregate>

/**
 * Encode the groups a snapshot will prove, in proving order. Groups dropped at build time and
 * caller priorities are not encoded (decoding preserves the order instead).
 */
export function snapshotToBytes(snapshot: Snapshot): Uint8Array {
  if (snapshot.groups.length > MAX_GROUPS_PER_SNAPSHOT) {
    throw new LeanAggError('TOO_LARGE', `${snapshot.groups.length} groups, at most ${MAX_GROUPS_PER_SNAPSHOT} encode`)
  }
  return SnapshotSsz.serialize({ groups: snapshot.groups.map(groupValue) })
}

/**
 * Decode and rebuild a snapshot (validated, deduped, frozen like any other). Trivial groups are
 * kept, since the encoder chose to include them; order is kept by renumbering priorities.
 */
export function snapshotFromBytes(
  bytes: Uint8Array,
  decodeAggregate: DecodeAggregate,
  options: BuildSnapshotOptions = { includeTrivial: true },
  /** @internal already-decoded value, from the async form */
  decoded?: ValueOf<typeof SnapshotSsz>,
): Snapshot {
  const value = decoded ?? decode(() => SnapshotSsz.deserialize(bytes), 'snapshot')
  const n = value.groups.length
  return buildSnapshot(
    value.groups.map((g, i) => ({ ...groupInput(g, decodeAggregate, i), priority: n - i })),
    options,
  )
}

/** `snapshotFromBytes` for an async decoder such as `Prover.aggregateFromBytes`. */
export async function snapshotFromBytesAsync(
  bytes: Uint8Array,
  decodeAggregate: DecodeAggregateAsync,
  options: BuildSnapshotOptions = { includeTrivial: true },
): Promise<Snapshot> {
  const value = decode(() => SnapshotSsz.deserialize(bytes), 'snapshot')
  const decoded = new Map<Uint8Array, Aggregate>()
  await Promise.all(value.groups.flatMap((g, gi) => g.children.map(async (proof, ci) => decoded.set(proof, await decodeChild(decodeAggregate, proof, gi, ci)))))
  return snapshotFromBytes(bytes, (proof) => decoded.get(proof)!, options, value)
}

export function groupToBytes(group: SnapshotGroup | GroupInput): Uint8Array {
  return AggregationGroupSsz.serialize(groupValue(group))
}

/** Decode one group; run it through `buildSnapshot` before proving. */
export function groupFromBytes(bytes: Uint8Array, decodeAggregate: DecodeAggregate): GroupInput {
  return groupInput(
    decode(() => AggregationGroupSsz.deserialize(bytes), 'group'),
    decodeAggregate,
    0,
  )
}

function groupValue(group: SnapshotGroup | GroupInput): AggregationGroupValue {
  const children = (group.children ?? []).map((child, i) => {
    const proof = child.toBytes()
    if (proof.length > MAX_PROOF_BYTES) {
      throw new LeanAggError('TOO_LARGE', `child ${i} proof is ${proof.length} bytes, at most ${MAX_PROOF_BYTES} encode`)
    }
    return proof
  })
  return {
    message: group.message,
    slot: group.slot,
    signatures: group.signatures.map((s) => ({ publicKey: s.publicKey, signature: s.signature })),
    children,
  }
}

function groupInput(g: AggregationGroupValue, decodeAggregate: DecodeAggregate, index: number): GroupInput {
  const children = g.children.map((proof, i) => {
    try {
      return decodeAggregate(proof)
    } catch (err) {
      throw childError(err, index, i)
    }
  })
  return { message: g.message, slot: g.slot, signatures: g.signatures, children }
}

async function decodeChild(fn: DecodeAggregateAsync, proof: Uint8Array, group: number, child: number): Promise<Aggregate> {
  try {
    return await fn(proof)
  } catch (err) {
    throw childError(err, group, child)
  }
}

function childError(err: unknown, group: number, child: number): Error {
  return isLeanAggError(err) ? err : new LeanAggError('INVALID_CHILD', `group ${group} child ${child}: ${messageOf(err)}`)
}

function decode<T>(fn: () => T, what: string): T {
  try {
    return fn()
  } catch (err) {
    throw new LeanAggError('INVALID_ENCODING', `${what}: ${messageOf(err)}`)
  }
}
