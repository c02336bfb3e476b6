/** Sessions by validator index: SignedAttestation votes in, SingleMessageAggregate results out. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AttestationData,
  attestationGroup,
  attestationMessage,
  buildSnapshot,
  groupByIndex,
  type Prover,
  type SecretKey,
  SignedAggregatedAttestation,
  type SignedAttestation,
  signedAggregatedAttestation,
  toSingleMessageAggregate,
  ValidatorRegistry,
  validatorIndices,
  verifyByIndex,
} from '../../../src/index.js'
import { bytes, keys, makeProver, throwsWith } from '../../support/helpers.js'

const checkpoint = (n: number) => ({ root: bytes(32, n), slot: n })
const data: AttestationData = { slot: 3, head: checkpoint(3), target: checkpoint(2), source: checkpoint(0) }
const binding = { message: attestationMessage(data), slot: data.slot }

let prover: Prover
let validators: SecretKey[]
let registry: ValidatorRegistry

async function signed(indices: number[]): Promise<SignedAttestation[]> {
  return Promise.all(
    indices.map(async (validatorIndex) => ({ validatorIndex, data, signature: await prover.sign(validators[validatorIndex]!, binding.message, data.slot) })),
  )
}

beforeAll(async () => {
  prover = makeProver({ isolation: 'in-process', simulated: { proveBaseMs: 5 } })
  await prover.setup({ warmUp: false })
  validators = await keys(prover, 5, 70, 0, 7)
  registry = ValidatorRegistry.fromPublicKeys(validators.map((k) => k.publicKey))
}, 600_000)

afterAll(() => prover?.close())

describe('sessions by validator index', () => {
  it('a snapshot session over gossip votes: one group per data, results convert to SingleMessageAggregate', async () => {
    const groups = (await signed([4, 1, 2])).map((vote) => attestationGroup(registry, vote))
    const session = prover.startSession(buildSnapshot(groups), { deadlineMs: 600_000 })
    const results = []
    for await (const result of session) results.push(result)
    expect(results).toHaveLength(1)
    const gossip = signedAggregatedAttestation(registry, data, results[0]!)
    expect(validatorIndices(gossip.proof.participants)).toEqual([1, 2, 4])
    const received = SignedAggregatedAttestation.deserialize(SignedAggregatedAttestation.serialize(gossip))
    expect(await verifyByIndex(prover, registry, received.proof, binding)).toBe(true)
  })

  it('an open session takes votes by index as they arrive', async () => {
    const session = prover.openSession({ deadlineMs: 600_000 })
    for (const vote of await signed([0, 3])) session.add(attestationGroup(registry, vote))
    session.add(groupByIndex(registry, { ...binding, signatures: [{ validatorIndex: 2, signature: (await signed([2]))[0]!.signature }] }))
    session.seal()
    let last: SignedAggregatedAttestation | undefined
    for await (const result of session) last = signedAggregatedAttestation(registry, data, result)
    expect(validatorIndices(last!.proof.participants)).toEqual([0, 2, 3])
    expect(await verifyByIndex(prover, registry, last!.proof, binding)).toBe(true)
  })

  it('a vote by an index the registry lacks is refused when it is mapped; a result with a stranger is PARTICIPANTS_MISMATCH', async () => {
    const [vote] = await signed([0])
    throwsWith(() => attestationGroup(registry, { ...vote!, validatorIndex: 5 }), 'VALIDATOR_INDEX_OUT_OF_RANGE')
    const aggregate = await prover.aggregate({ ...binding, signatures: [{ publicKey: validators[0]!.publicKey, signature: vote!.signature }] })
    const fewer = ValidatorRegistry.fromPublicKeys(validators.slice(1).map((k) => k.publicKey))
    throwsWith(() => toSingleMessageAggregate(fewer, aggregate), 'PARTICIPANTS_MISMATCH')
  })
})
