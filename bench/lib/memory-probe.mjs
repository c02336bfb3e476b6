// A node as an operator runs it, for bench/memory.mjs: a fresh Node process with one prover
// (process isolation) that sets up, proves one group per size, then idles. It names each phase on
// stdout (`@@mem {json}`) and waits for a line on stdin before it goes on, so the parent measures
// this process and its prover processes from outside, at that phase:
//   node memory-probe.mjs <backend> <inputs.json>
// inputs.json: { message, slot, sizes, signatures: [{ publicKey, signature }] } (base64 bytes).
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'

const [backend, inputsFile] = process.argv.slice(2)
const inputs = JSON.parse(readFileSync(inputsFile, 'utf8'))
const bytes = (s) => new Uint8Array(Buffer.from(s, 'base64'))
const message = bytes(inputs.message)
const signatures = inputs.signatures.map((s) => ({ publicKey: bytes(s.publicKey), signature: bytes(s.signature) }))

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
/** Say where we are; go on when the parent has measured. */
async function phase(name, extra = {}) {
  process.stdout.write(`@@mem ${JSON.stringify({ phase: name, ...extra })}\n`)
  await lines.next()
}

const { Prover } = await import('../../dist/index.js')
const prover = new Prover({ backend, isolation: 'process' })
await prover.setup()
await phase('setup')
for (const size of inputs.sizes) {
  await phase('prove', { size })
  const aggregate = await prover.aggregate({ message, slot: inputs.slot, signatures: signatures.slice(0, size) })
  await phase('proved', { size, signers: aggregate.signers.length })
}
await phase('idle')
await prover.close()
process.exit(0)
