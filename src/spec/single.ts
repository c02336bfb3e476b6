/**
 * Single-message aggregates by validator index (leanSpec `SingleMessageAggregate.aggregate` and
 * `.verify`): the registry resolves indices to keys, the bitfield is derived from the proof's
 * signers, and a bitfield that does not fit the registry or the proof fails typed before any proof
 * is verified.
 */
import type { Aggregate } from '../aggregate.js'
import { LeanAggError } from '../errors.js'
import type { Prover } from '../prover.js'
import type { AggregateOptions, OpOptions, SignedBy } from '../types.js'
import { aggregationBitsFromIndices, checkIndex } from './bits.js'
import { checkMessage, checkSigners, specProof } from './claims.js'
import type { SingleMessageAggregate } from './containers.js'
import type { ValidatorRegistry } from './registry.js'
import { MAX_SPEC_PROOF_BYTES } from './revision.js'

/** A fresh vote: a validator's raw signature. */
export interface IndexedSignature {
  validatorIndex: number
  signature: Uint8Array
}

/** One (message, slot) to aggregate: fresh votes by index and earlier aggregates as children. */
export interface IndexedGroup {
  /** 32 bytes: the AttestationData root (`attestationMessage(data)`). */
  message: Uint8Array
  slot: number
  signatures?: readonly IndexedSignature[]
  children?: readonly SingleMessageAggregate[]
}

/** The (message, slot) a proof must be bound to. */
export interface MessageBinding {
  message: Uint8Array
  slot: number
}

/** Votes by index as the prover's signatures, keys from the registry; a repeated index counts once. */
export function signaturesByIndex(registry: ValidatorRegistry, votes: readonly IndexedSignature[]): SignedBy[] {
  const seen = new Set<number>()
  const out: SignedBy[] = []
  votes.forEach((vote, i) => {
    const index = checkIndex(vote?.validatorIndex, `signature ${i}: validator index`)
    if (seen.has(index)) return
    seen.add(index)
    out.push({ publicKey: registry.publicKey(index), signature: vote.signature })
  })
  return out
}

/**
 * A prover's aggregate as a SingleMessageAggregate: the bitfield from its signers' indices in the
 * registry (PARTICIPANTS_MISMATCH for a signer the registry lacks), the proof within 512 KiB.
 */
export function toSingleMessageAggregate(registry: ValidatorRegistry, aggregate: Aggregate | { aggregate: Aggregate }): SingleMessageAggregate {
  const agg = 'aggregate' in aggregate ? aggregate.aggregate : aggregate
  const participants = aggregationBitsFromIndices(registry.indicesOf(agg.signers))
  return { participants, proof: specProof(agg.toBytes(), 'aggregate') }
}

/**
 * Decode a SingleMessageAggregate into the prover's aggregate, checked against the registry and
 * the binding: indices (VALIDATOR_INDEX_OUT_OF_RANGE), size (TOO_LARGE), the proof's signers
 * against the keys its bitfield names (PARTICIPANTS_MISMATCH), message and slot (MESSAGE_MISMATCH).
 * The proof itself is not verified: use it as a child, in a session, or in `batchVerify`.
 */
export async function resolveSingleMessageAggregate(
  prover: Prover,
  registry: ValidatorRegistry,
  value: SingleMessageAggregate,
  binding: MessageBinding,
  options: OpOptions = {},
  what = 'aggregate',
): Promise<{ aggregate: Aggregate; publicKeys: Uint8Array[] }> {
  if (typeof value !== 'object' || value === null) throw new LeanAggError('INVALID_ARGUMENT', `${what} is not a SingleMessageAggregate`)
  const publicKeys = registry.publicKeysOf(value.participants)
  const proof = specProof(value.proof, what)
  const fields = prover.messageFields(binding.message)
  const aggregate = await prover.aggregateFromBytes(proof, { maxBytes: MAX_SPEC_PROOF_BYTES, signal: options.signal })
  checkSigners(aggregate, publicKeys, what)
  checkMessage(aggregate, fields, binding.slot, what)
  return { aggregate, publicKeys }
}

/**
 * leanSpec `SingleMessageAggregate.aggregate`: fresh votes by index and child aggregates into one
 * aggregate whose bitfield is derived (the union of every contributor), never passed in.
 */
export async function aggregateByIndex(
  prover: Prover,
  registry: ValidatorRegistry,
  group: IndexedGroup,
  options: AggregateOptions = {},
): Promise<SingleMessageAggregate> {
  const signatures = signaturesByIndex(registry, group.signatures ?? [])
  const childValues = group.children ?? []
  // Every child's bitfield against the registry before any child is decoded.
  for (const child of childValues) registry.publicKeysOf(child.participants)
  const children = await Promise.all(
    childValues.map(async (child, i) => (await resolveSingleMessageAggregate(prover, registry, child, group, options, `child ${i}`)).aggregate),
  )
  const aggregate = await prover.aggregate({ message: group.message, slot: group.slot, signatures, children }, options)
  return toSingleMessageAggregate(registry, aggregate)
}

/**
 * leanSpec `SingleMessageAggregate.verify` against the receiver's own registry: structure first
 * (typed errors, no crypto), then the proof. Resolves true or false for the proof itself.
 */
export async function verifyByIndex(
  prover: Prover,
  registry: ValidatorRegistry,
  value: SingleMessageAggregate,
  binding: MessageBinding,
  options: OpOptions = {},
): Promise<boolean> {
  const { aggregate, publicKeys } = await resolveSingleMessageAggregate(prover, registry, value, binding, options)
  return prover.verifyAggregate(aggregate, { signal: options.signal, expected: { message: binding.message, slot: binding.slot, signers: publicKeys } })
}
