/**
 * Block-level aggregates by validator index (leanSpec `MultiMessageAggregate`): merge a slot's
 * single-message aggregates into one proof, split one message back out, and verify every
 * component against registry-resolved keys and its own (message, slot) binding. Bindings and
 * bitfields are checked against the registry and the decoded proof before any proof runs.
 */
import type { BitArray } from '@chainsafe/ssz'
import type { MergedAggregate } from '../aggregate.js'
import { LeanAggError } from '../errors.js'
import type { Prover } from '../prover.js'
import type { AggregateOptions, OpOptions } from '../types.js'
import { checkMessage, checkSigners, specProof } from './claims.js'
import { type AggregatedAttestation, type MultiMessageAggregate, type SingleMessageAggregate, attestationMessage } from './containers.js'
import type { ValidatorRegistry } from './registry.js'
import { MAX_SPEC_PROOF_BYTES } from './revision.js'
import { type MessageBinding, resolveSingleMessageAggregate } from './single.js'

/** One component of a block proof: who (a bitfield) signed what (message, slot). */
export interface ComponentBinding extends MessageBinding {
  participants: BitArray
}

/** A slot's aggregate for one attestation data, as a block builder holds it. */
export interface BoundAggregate extends MessageBinding {
  aggregate: SingleMessageAggregate
}

/** A block body's attestations as component bindings, in body order (message: the data root). */
export function bindingsOf(attestations: readonly AggregatedAttestation[]): ComponentBinding[] {
  return attestations.map((a) => ({ participants: a.aggregationBits, message: attestationMessage(a.data), slot: a.data.slot }))
}

/** leanSpec `MultiMessageAggregate.aggregate`: each part checked against the registry and its binding, then merged. */
export async function mergeByIndex(
  prover: Prover,
  registry: ValidatorRegistry,
  parts: readonly BoundAggregate[],
  options: AggregateOptions = {},
): Promise<MultiMessageAggregate> {
  if (!Array.isArray(parts) || parts.length === 0) throw new LeanAggError('EMPTY_GROUP', 'a merge needs at least one single-message aggregate')
  // Every bitfield against the registry before any proof is decoded.
  for (const part of parts) registry.publicKeysOf(part.aggregate.participants)
  const aggregates = await Promise.all(
    parts.map(async (part, i) => (await resolveSingleMessageAggregate(prover, registry, part.aggregate, part, options, `part ${i}`)).aggregate),
  )
  const merged = await prover.merge(aggregates, options)
  return { proof: specProof(merged.toBytes(), 'merged aggregate') }
}

/**
 * leanSpec `MultiMessageAggregate.split_by_message`: the component for `binding` as a
 * SingleMessageAggregate with the binding's bitfield, which must name the component's signers.
 */
export async function splitByMessage(
  prover: Prover,
  registry: ValidatorRegistry,
  value: MultiMessageAggregate,
  binding: ComponentBinding,
  options: AggregateOptions = {},
): Promise<SingleMessageAggregate> {
  const publicKeys = registry.publicKeysOf(binding.participants)
  const merged = await decodeMerged(prover, value, options)
  const fields = prover.messageFields(binding.message)
  const index = merged.components.findIndex((c) => c.slot === binding.slot && c.messageFields.every((v, i) => v === fields[i]))
  if (index < 0) throw new LeanAggError('MESSAGE_MISMATCH', `no component of the merged aggregate is for this message at slot ${binding.slot}`)
  checkSigners(merged.components[index]!, publicKeys, `component ${index}`)
  const part = await prover.split(merged, index, options)
  return { participants: binding.participants, proof: specProof(part.toBytes(), `component ${index}`) }
}

/**
 * leanSpec `MultiMessageAggregate.verify`: bindings in component order, each naming its signers
 * by bitfield. Structure first (typed errors, no crypto), then the proof: resolves true or false.
 */
export async function verifyMultiByIndex(
  prover: Prover,
  registry: ValidatorRegistry,
  value: MultiMessageAggregate,
  bindings: readonly ComponentBinding[],
  options: OpOptions = {},
): Promise<boolean> {
  if (!Array.isArray(bindings)) throw new LeanAggError('INVALID_ARGUMENT', 'bindings must be an array')
  const keys = bindings.map((b) => registry.publicKeysOf(b.participants))
  const fields = bindings.map((b) => prover.messageFields(b.message))
  const merged = await decodeMerged(prover, value, options)
  if (merged.components.length !== bindings.length) {
    throw new LeanAggError('MESSAGE_MISMATCH', `the merged aggregate has ${merged.components.length} components, ${bindings.length} bindings were given`)
  }
  merged.components.forEach((component, i) => {
    checkMessage(component, fields[i]!, bindings[i]!.slot, `component ${i}`)
    checkSigners(component, keys[i]!, `component ${i}`)
  })
  return prover.verifyMerged(merged, options)
}

function decodeMerged(prover: Prover, value: MultiMessageAggregate, options: OpOptions): Promise<MergedAggregate> {
  if (typeof value !== 'object' || value === null) throw new LeanAggError('INVALID_ARGUMENT', 'not a MultiMessageAggregate')
  return prover.mergedFromBytes(specProof(value.proof, 'merged aggregate'), { maxBytes: MAX_SPEC_PROOF_BYTES, signal: options.signal })
}
