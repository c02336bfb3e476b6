/**
 * Aggregation by validator index, end to end: an aggregator proves from (index, signature) votes,
 * sends SSZ bytes, and a second prover with its own registry (built from Validators bytes)
 * verifies them; the block-level merge likewise. Runs on either backend.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  AggregatedAttestations,
  type AttestationData,
  aggregateByIndex,
  aggregationBitsFromIndices,
  attestationMessage,
  bindingsOf,
  MAX_SPEC_PROOF_BYTES,
  MultiMessageAggregate,
  mergeByIndex,
  type Prover,
  type SecretKey,
  SignedAggregatedAttestation,
  type SingleMessageAggregate,
  splitByMessage,
  ValidatorRegistry,
  Validators,
  validatorIndices,
  verifyByIndex,
  verifyMultiByIndex,
} from '../../../src/index.js'
import { bytes, keys, makeProver, REAL, rejectsWith } from '../../support/helpers.js'

const SLOT = 6
const checkpoint = (n: number) => ({ root: bytes(32, n), slot: n })
const head: AttestationData = { slot: SLOT, head: checkpoint(6), target: checkpoint(4), source: checkpoint(2) }
const fork: AttestationData = { ...head, head: checkpoint(5) }
const bind = (data: AttestationData) => ({ message: attestationMessage(data), slot: data.slot })

let aggregator: Prover
let verifier: Prover
let validators: SecretKey[]
let registry: ValidatorRegistry
/** The verifying node's own registry, decoded from the state's Validators bytes. */
let theirs: ValidatorRegistry
let headAggregate: SingleMessageAggregate
let forkAggregate: SingleMessageAggregate

async function votes(data: AttestationData, indices: number[]) {
  const { message, slot } = bind(data)
  return Promise.all(indices.map(async (validatorIndex) => ({ validatorIndex, signature: await aggregator.sign(validators[validatorIndex]!, message, slot) })))
}

beforeAll(async () => {
  aggregator = makeProver()
  verifier = makeProver({ isolation: 'in-process' })
  await Promise.all([aggregator.setup({ warmUp: false }), verifier.setup({ warmUp: false })])
  validators = await keys(aggregator, 6, 40, 0, 15)
  registry = ValidatorRegistry.fromPublicKeys(validators.map((k) => k.publicKey))
  const state = Validators.serialize(validators.map((k, index) => ({ attestationPublicKey: k.publicKey, proposalPublicKey: bytes(32, 100 + index), index })))
  theirs = ValidatorRegistry.fromBytes(state)
  headAggregate = await aggregateByIndex(aggregator, registry, { ...bind(head), signatures: await votes(head, [3, 0, 2, 3]) })
  forkAggregate = await aggregateByIndex(aggregator, registry, { ...bind(fork), signatures: await votes(fork, [5, 1]) })
}, 600_000)

afterAll(async () => {
  await Promise.all([aggregator?.close(), verifier?.close()])
})

describe('gossip: SignedAggregatedAttestation bytes, verified by a second prover', () => {
  it('the bitfield is derived from the votes (a repeated index once) and the bytes verify there', async () => {
    expect(validatorIndices(headAggregate.participants)).toEqual([0, 2, 3])
    const wire = SignedAggregatedAttestation.serialize({ data: head, proof: headAggregate })
    const received = SignedAggregatedAttestation.deserialize(wire)
    expect(await verifyByIndex(verifier, theirs, received.proof, bind(received.data))).toBe(true)
  })

  it('children: their bitfields join the union; the result verifies', async () => {
    const both = await aggregateByIndex(aggregator, registry, { ...bind(fork), signatures: await votes(fork, [4]), children: [forkAggregate] })
    expect(validatorIndices(both.participants)).toEqual([1, 4, 5])
    expect(await verifyByIndex(verifier, theirs, both, bind(fork))).toBe(true)
  })

  it('a proof with another message or slot is MESSAGE_MISMATCH, found before verification', async () => {
    const verify = vi.spyOn(verifier, 'verifyAggregate')
    await rejectsWith(verifyByIndex(verifier, theirs, headAggregate, bind(fork)), 'MESSAGE_MISMATCH')
    await rejectsWith(verifyByIndex(verifier, theirs, headAggregate, { ...bind(head), slot: SLOT + 1 }), 'MESSAGE_MISMATCH')
    expect(verify).not.toHaveBeenCalled()
    verify.mockRestore()
  })
})

describe('typed errors before the expensive work', () => {
  it('a bitfield naming an index outside the registry: VALIDATOR_INDEX_OUT_OF_RANGE, the proof is not even decoded', async () => {
    const small = ValidatorRegistry.fromPublicKeys(validators.slice(0, 3).map((k) => k.publicKey))
    const decode = vi.spyOn(verifier, 'aggregateFromBytes')
    await rejectsWith(verifyByIndex(verifier, small, headAggregate, bind(head)), 'VALIDATOR_INDEX_OUT_OF_RANGE')
    expect(decode).not.toHaveBeenCalled()
    decode.mockRestore()
  })

  it('a bitfield that is not the proof signer set: PARTICIPANTS_MISMATCH, never verified', async () => {
    const verify = vi.spyOn(verifier, 'verifyAggregate')
    for (const indices of [
      [0, 2],
      [0, 2, 3, 4],
      [1, 2, 3],
    ]) {
      const forged = { ...headAggregate, participants: aggregationBitsFromIndices(indices) }
      await rejectsWith(verifyByIndex(verifier, theirs, forged, bind(head)), 'PARTICIPANTS_MISMATCH')
    }
    // The same bitfield against a registry whose validator 3 has another key.
    const swapped = ValidatorRegistry.fromPublicKeys(validators.map((k, i) => (i === 3 ? validators[4]! : i === 4 ? validators[3]! : k).publicKey))
    await rejectsWith(verifyByIndex(verifier, swapped, headAggregate, bind(head)), 'PARTICIPANTS_MISMATCH')
    expect(verify).not.toHaveBeenCalled()
    verify.mockRestore()
  })

  it('a vote by an index outside the registry: VALIDATOR_INDEX_OUT_OF_RANGE, nothing proved', async () => {
    const prove = vi.spyOn(aggregator, 'aggregate')
    const signature = (await votes(head, [0]))[0]!.signature
    await rejectsWith(aggregateByIndex(aggregator, registry, { ...bind(head), signatures: [{ validatorIndex: 6, signature }] }), 'VALIDATOR_INDEX_OUT_OF_RANGE')
    await rejectsWith(
      aggregateByIndex(aggregator, registry, { ...bind(head), signatures: [{ validatorIndex: 4096, signature }] }),
      'VALIDATOR_INDEX_OUT_OF_RANGE',
    )
    const outside = { ...forkAggregate, participants: aggregationBitsFromIndices([1, 9]) }
    await rejectsWith(aggregateByIndex(aggregator, registry, { ...bind(fork), children: [outside] }), 'VALIDATOR_INDEX_OUT_OF_RANGE')
    expect(prove).not.toHaveBeenCalled()
    prove.mockRestore()
  })

  it('proof bytes over ByteList512KiB: TOO_LARGE before decoding', async () => {
    const decode = vi.spyOn(verifier, 'aggregateFromBytes')
    const huge = { ...headAggregate, proof: new Uint8Array(MAX_SPEC_PROOF_BYTES + 1) }
    await rejectsWith(verifyByIndex(verifier, theirs, huge, bind(head)), 'TOO_LARGE')
    expect(decode).not.toHaveBeenCalled()
    decode.mockRestore()
  })
})

describe('block: one MultiMessageAggregate, verified by a second prover against its registry', () => {
  let body: Uint8Array
  let proof: Uint8Array

  beforeAll(async () => {
    const merged = await mergeByIndex(aggregator, registry, [
      { aggregate: headAggregate, ...bind(head) },
      { aggregate: forkAggregate, ...bind(fork) },
    ])
    body = AggregatedAttestations.serialize([
      { aggregationBits: headAggregate.participants, data: head },
      { aggregationBits: forkAggregate.participants, data: fork },
    ])
    proof = MultiMessageAggregate.serialize(merged)
  }, 600_000)

  it('verifies against per-component keys and (message, slot) bindings', async () => {
    const bindings = bindingsOf(AggregatedAttestations.deserialize(body))
    expect(await verifyMultiByIndex(verifier, theirs, MultiMessageAggregate.deserialize(proof), bindings)).toBe(true)
  })

  it('bindings out of order, missing or with another bitfield are typed errors, never verified', async () => {
    const verify = vi.spyOn(verifier, 'verifyMerged')
    const bindings = bindingsOf(AggregatedAttestations.deserialize(body))
    const multi = MultiMessageAggregate.deserialize(proof)
    await rejectsWith(verifyMultiByIndex(verifier, theirs, multi, [...bindings].reverse()), 'MESSAGE_MISMATCH')
    await rejectsWith(verifyMultiByIndex(verifier, theirs, multi, bindings.slice(0, 1)), 'MESSAGE_MISMATCH')
    const forged = [bindings[0]!, { ...bindings[1]!, participants: aggregationBitsFromIndices([1]) }]
    await rejectsWith(verifyMultiByIndex(verifier, theirs, multi, forged), 'PARTICIPANTS_MISMATCH')
    expect(verify).not.toHaveBeenCalled()
    verify.mockRestore()
  })

  it('split by message: the fork component, as a SingleMessageAggregate that verifies', async () => {
    const multi = MultiMessageAggregate.deserialize(proof)
    const part = await splitByMessage(verifier, theirs, multi, { participants: forkAggregate.participants, ...bind(fork) })
    expect(validatorIndices(part.participants)).toEqual([1, 5])
    expect(await verifyByIndex(verifier, theirs, part, bind(fork))).toBe(true)
    const other = { ...bind(head), message: bytes(32, 9) }
    await rejectsWith(splitByMessage(verifier, theirs, multi, { participants: forkAggregate.participants, ...other }), 'MESSAGE_MISMATCH')
  })

  it(`proof sizes (${REAL ? 'leanMultisig' : 'simulated'}) stay within ByteList512KiB`, () => {
    expect(headAggregate.proof.length).toBeLessThanOrEqual(MAX_SPEC_PROOF_BYTES)
    expect(MultiMessageAggregate.deserialize(proof).proof.length).toBeLessThanOrEqual(MAX_SPEC_PROOF_BYTES)
  })
})
