/**
 * Sessions by validator index: votes map to the session's `GroupInput` through the registry, and
 * results convert to leanSpec containers with `toSingleMessageAggregate` (single.ts). Snapshot
 * and open sessions alike take these groups; groups of one (message, slot) merge in the session.
 */
import type { Aggregate } from '../aggregate.js'
import type { GroupInput } from '../session/snapshot.js'
import { type AttestationData, type SignedAggregatedAttestation, type SignedAttestation, attestationMessage } from './containers.js'
import type { ValidatorRegistry } from './registry.js'
import { type IndexedSignature, type MessageBinding, signaturesByIndex, toSingleMessageAggregate } from './single.js'

/** A session group by index: its votes' keys come from the registry. */
export interface IndexedGroupInput extends MessageBinding {
  signatures: readonly IndexedSignature[]
  /** Earlier aggregates (the prover's; `resolveSingleMessageAggregate` decodes a SingleMessageAggregate). */
  children?: readonly Aggregate[]
  priority?: number
}

/** The session group for votes by index (VALIDATOR_INDEX_OUT_OF_RANGE for an index outside the registry). */
export function groupByIndex(registry: ValidatorRegistry, group: IndexedGroupInput): GroupInput {
  const { message, slot, children, priority } = group
  return { message, slot, children, priority, signatures: signaturesByIndex(registry, group.signatures) }
}

/** The session group of one gossip vote: its message is the hash_tree_root of its data. */
export function attestationGroup(registry: ValidatorRegistry, vote: SignedAttestation, priority?: number): GroupInput {
  return groupByIndex(registry, {
    message: attestationMessage(vote.data),
    slot: vote.data.slot,
    signatures: [{ validatorIndex: vote.validatorIndex, signature: vote.signature }],
    priority,
  })
}

/** What an aggregator publishes for a session result (or an aggregate) of `data`. */
export function signedAggregatedAttestation(
  registry: ValidatorRegistry,
  data: AttestationData,
  result: Aggregate | { aggregate: Aggregate },
): SignedAggregatedAttestation {
  return { data, proof: toSingleMessageAggregate(registry, result) }
}
