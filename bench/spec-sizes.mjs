#!/usr/bin/env node
// @ts-check
/**
 * How large the spec-shaped payloads get on this revision, against leanSpec's ByteList512KiB:
 *   node bench/spec-sizes.mjs [--backend lean-multisig] [--signers 1,32,256,1024] [--children 16]
 *                             [--child-signers 8] [--max-proof-memory-gb 12]
 * 1. a ladder of single-message aggregates by signer count (proof bytes, and how much of them
 *    are the signers' public keys, which proofs carry at this revision);
 * 2. one aggregate of MAX_CHILDREN children (recursion adds proof bytes of its own);
 * 3. a typical slot: gossip (SignedAggregatedAttestation) per attestation data, and the block's
 *    MultiMessageAggregate with its AggregatedAttestations body.
 * Prints a Markdown table per part. Needs a built package (`npm run build` or build:lean-multisig).
 */
import { parseArgs } from 'node:util'
import {
  AggregatedAttestations,
  aggregateByIndex,
  attestationMessage,
  MAX_CHILDREN,
  MAX_SPEC_PROOF_BYTES,
  MultiMessageAggregate,
  mergeByIndex,
  Prover,
  PUBLIC_KEY_BYTES,
  SignedAggregatedAttestation,
  ValidatorRegistry,
} from 'leanagg'

const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string', default: 'lean-multisig' },
    signers: { type: 'string', default: '1,32,256,1024' },
    children: { type: 'string', default: String(MAX_CHILDREN) },
    'child-signers': { type: 'string', default: '8' },
    'max-proof-memory-gb': { type: 'string', default: '12' },
  },
})
const ladder = flags.signers.split(',').map(Number)
const childCount = Number(flags.children)
const childSigners = Number(flags['child-signers'])
const out = (/** @type {string} */ line) => void process.stdout.write(`${line}\n`)
const kib = (/** @type {number} */ n) => `${(n / 1024).toFixed(1)} KiB`
const fits = (/** @type {number} */ n) => (n <= MAX_SPEC_PROOF_BYTES ? 'yes' : 'NO')

const prover = new Prover({
  backend: /** @type {'lean-multisig' | 'simulated'} */ (flags.backend),
  maxProofMemoryBytes: Number(flags['max-proof-memory-gb']) * 2 ** 30,
})
await prover.setup({ warmUp: false })
const validatorCount = Math.max(...ladder, childCount * childSigners, 32)
const keys = await Promise.all(Array.from({ length: validatorCount }, (_, i) => prover.generateKey(seed(i), 0, 3)))
const registry = ValidatorRegistry.fromPublicKeys(keys.map((k) => k.publicKey))

/** @param {number} i */
function seed(i) {
  const s = new Uint8Array(32)
  new DataView(s.buffer).setUint32(0, i + 1, true)
  return s
}
/** @param {number} n */
function checkpoint(n) {
  return { root: new Uint8Array(32).fill(n), slot: n }
}
/** @param {number} slot @param {number} headFill */
function data(slot, headFill) {
  return { slot, head: checkpoint(headFill), target: checkpoint(1), source: checkpoint(0) }
}
/** Votes of validators `from..from+count-1` for `d`; each slot of a key signs one message. */
/** @param {ReturnType<typeof data>} d @param {number} from @param {number} count */
async function votes(d, from, count) {
  const message = attestationMessage(d)
  return Promise.all(
    Array.from({ length: count }, async (_, k) => ({
      validatorIndex: from + k,
      signature: await prover.sign(/** @type {import('leanagg').SecretKey} */ (keys[from + k]), message, d.slot),
    })),
  )
}
/** @param {() => Promise<any>} fn */
async function timed(fn) {
  const start = performance.now()
  try {
    return { value: await fn(), ms: performance.now() - start }
  } catch (error) {
    return { error: /** @type {any} */ (error).code ?? String(error), ms: performance.now() - start }
  }
}

out(`backend ${flags.backend}; bound: ByteList512KiB = ${MAX_SPEC_PROOF_BYTES} bytes; public keys in a proof: ${PUBLIC_KEY_BYTES} bytes each`)
out('')
out('| signers | proof bytes | of which public keys | rest | fits 512 KiB | prove ms |')
out('| --- | --- | --- | --- | --- | --- |')
const ladderData = data(0, 10)
const ladderVotes = await votes(ladderData, 0, Math.max(...ladder))
for (const n of ladder) {
  const r = await timed(() => aggregateByIndex(prover, registry, { message: attestationMessage(ladderData), slot: 0, signatures: ladderVotes.slice(0, n) }))
  const bytes = r.value?.proof.length
  out(
    bytes === undefined
      ? `| ${n} | ${r.error} | | | | ${r.ms.toFixed(0)} |`
      : `| ${n} | ${bytes} (${kib(bytes)}) | ${n * PUBLIC_KEY_BYTES} | ${bytes - n * PUBLIC_KEY_BYTES} | ${fits(bytes)} | ${r.ms.toFixed(0)} |`,
  )
}

out('')
out('| children x signers | proof bytes | of which public keys | rest | fits 512 KiB | prove ms (children first) |')
out('| --- | --- | --- | --- | --- | --- |')
const childData = data(1, 11)
const message = attestationMessage(childData)
/** @type {import('leanagg').SingleMessageAggregate[]} */
const children = []
for (let c = 0; c < childCount; c++) {
  children.push(await aggregateByIndex(prover, registry, { message, slot: 1, signatures: await votes(childData, c * childSigners, childSigners) }))
}
const parent = await timed(() => aggregateByIndex(prover, registry, { message, slot: 1, children }))
const total = childCount * childSigners
const pb = parent.value?.proof.length
out(
  pb === undefined
    ? `| ${childCount} x ${childSigners} | ${parent.error} | | | | ${parent.ms.toFixed(0)} |`
    : `| ${childCount} x ${childSigners} | ${pb} (${kib(pb)}) | ${total * PUBLIC_KEY_BYTES} | ${pb - total * PUBLIC_KEY_BYTES} | ${fits(pb)} | ${parent.ms.toFixed(0)} |`,
)

// A typical slot (the demo's shape): a head vote of 24 validators and two forks of 4.
out('')
out('| typical slot payload | bytes |')
out('| --- | --- |')
const groups = [
  { d: data(2, 20), from: 0, count: 24 },
  { d: data(2, 21), from: 24, count: 4 },
  { d: data(2, 22), from: 28, count: 4 },
]
/** @type {import('leanagg').BoundAggregate[]} */
const aggregates = []
let gossip = 0
for (const g of groups) {
  const a = await aggregateByIndex(prover, registry, { message: attestationMessage(g.d), slot: 2, signatures: await votes(g.d, g.from, g.count) })
  const size = SignedAggregatedAttestation.serialize({ data: g.d, proof: a }).length
  gossip += size
  aggregates.push({ aggregate: a, message: attestationMessage(g.d), slot: 2 })
  out(`| gossip: SignedAggregatedAttestation, ${g.count} signers | ${size} (${kib(size)}) |`)
}
out(`| gossip: all ${groups.length} of the slot | ${gossip} (${kib(gossip)}) |`)
const merged = await mergeByIndex(prover, registry, aggregates)
const block = MultiMessageAggregate.serialize(merged).length
const body = AggregatedAttestations.serialize(
  groups.map((g, i) => ({ aggregationBits: /** @type {import('leanagg').BoundAggregate} */ (aggregates[i]).aggregate.participants, data: g.d })),
).length
out(`| block: MultiMessageAggregate of ${groups.length} (${fits(merged.proof.length)} within 512 KiB) | ${block} (${kib(block)}) |`)
out(`| block: AggregatedAttestations body | ${body} |`)
await prover.close()
