// @ts-check
/**
 * The demo in leanSpec's terms: validators by index in a registry built from the state's
 * `Validators` bytes, AttestationData roots as messages, votes and aggregates on gossip as SSZ
 * bytes, and blocks: a builder merges a slot's aggregates into one MultiMessageAggregate, which a
 * second node checks against its own registry.
 */
import { createHash } from 'node:crypto'
import {
  AggregatedAttestations,
  MultiMessageAggregate,
  SignedAggregatedAttestation,
  SignedAttestation,
  ValidatorRegistry,
  Validators,
  attestationGroup,
  attestationMessage,
  bindingsOf,
  mergeByIndex,
  signedAggregatedAttestation,
  verifyMultiByIndex,
} from 'leanagg'

/** @typedef {import('leanagg').AttestationData} AttestationData */
/** @typedef {import('leanagg').GroupResult} GroupResult */
/** @typedef {import('leanagg').Prover} Prover */
/** @typedef {import('./workload.mjs').DataName} DataName */

/** The state's validator list as SSZ bytes: every node builds its registry from these. */
export function validatorsBytes(/** @type {readonly Uint8Array[]} */ publicKeys) {
  return Validators.serialize(publicKeys.map((k, index) => ({ attestationPublicKey: k, proposalPublicKey: k, index })))
}

export function registryOf(/** @type {Uint8Array} */ stateBytes) {
  return ValidatorRegistry.fromBytes(stateBytes)
}

/**
 * Attestation data `name` of `slot`: the head vote and two forks differ in their head root; all
 * share the target (the previous slot) and the source (genesis). Roots stand in for block roots.
 * @param {number} slot
 * @param {DataName} name
 * @returns {AttestationData}
 */
export function attestationData(slot, name) {
  const root = (/** @type {string} */ what) => new Uint8Array(createHash('sha256').update(`leanagg-demo/${what}`).digest())
  return {
    slot,
    head: { root: root(`block/${slot}/${name}`), slot },
    target: { root: root(`block/${slot - 1}/head`), slot: slot - 1 },
    source: { root: root('block/0'), slot: 0 },
  }
}

/** The message validators sign for `data`: its hash_tree_root. */
export const messageOf = attestationMessage

/** A vote as it travels on gossip. */
export function voteBytes(/** @type {number} */ validatorIndex, /** @type {AttestationData} */ data, /** @type {Uint8Array} */ signature) {
  return SignedAttestation.serialize({ validatorIndex, data, signature })
}

/** A vote received from gossip, as a session group (keys from the registry). */
export function receivedVote(/** @type {ValidatorRegistry} */ registry, /** @type {Uint8Array} */ bytes, /** @type {number} */ priority) {
  return attestationGroup(registry, SignedAttestation.deserialize(bytes), priority)
}

/**
 * What the aggregator publishes for a session result, and its gossip bytes. The proof is encoded
 * once, here; a block later takes the same SingleMessageAggregate.
 */
export function publish(/** @type {ValidatorRegistry} */ registry, /** @type {AttestationData} */ data, /** @type {GroupResult} */ result) {
  const signed = signedAggregatedAttestation(registry, data, result)
  return { signed, bytes: SignedAggregatedAttestation.serialize(signed).length }
}

/**
 * @typedef {object} BlockReport
 * @property {number} slot
 * @property {number} attestations aggregates merged into the block
 * @property {number} signers
 * @property {number} bytes the block's attestations: MultiMessageAggregate plus the AggregatedAttestations body
 * @property {number} mergeMs
 * @property {boolean | string} verified the verifying node's answer, or the error code it raised
 * @property {number} verifyMs
 */

/**
 * Build a slot's block from the widest aggregate of each of its attestation data, and have the
 * verifying node check it from the bytes alone, against its own registry.
 * @param {{ prover: Prover, registry: ValidatorRegistry }} builder
 * @param {{ prover: Prover, registry: ValidatorRegistry }} verifier
 * @param {number} slot
 * @param {{ signed: import('leanagg').SignedAggregatedAttestation, signers: number }[]} best as published
 * @returns {Promise<BlockReport>}
 */
export async function buildAndVerifyBlock(builder, verifier, slot, best) {
  const parts = best.map(({ signed }) => ({ data: signed.data, aggregate: signed.proof }))
  const started = performance.now()
  const multi = await mergeByIndex(
    builder.prover,
    builder.registry,
    parts.map((p) => ({ aggregate: p.aggregate, message: messageOf(p.data), slot: p.data.slot })),
  )
  const mergeMs = performance.now() - started
  const proofBytes = MultiMessageAggregate.serialize(multi)
  const bodyBytes = AggregatedAttestations.serialize(parts.map((p) => ({ aggregationBits: p.aggregate.participants, data: p.data })))
  const checking = performance.now()
  /** @type {boolean | string} */
  let verified
  try {
    const body = AggregatedAttestations.deserialize(bodyBytes)
    verified = await verifyMultiByIndex(verifier.prover, verifier.registry, MultiMessageAggregate.deserialize(proofBytes), bindingsOf(body))
  } catch (err) {
    verified = /** @type {{ code?: string }} */ (err).code ?? String(err)
  }
  return {
    slot,
    attestations: parts.length,
    signers: best.reduce((n, b) => n + b.signers, 0),
    bytes: proofBytes.length + bodyBytes.length,
    mergeMs,
    verified,
    verifyMs: performance.now() - checking,
  }
}
