// Does setup leave the prover warm? For each mode, a fresh prover: setup time, then the first
// proofs of `size` signatures one after another (each of its own message).
//   node bench/lib/warmup-probe.mjs [lean-multisig|simulated] [size=27] [proofs=3]
// Prints one JSON line per mode: { warmUp, setupMs, proveMs: [...] }.
import { Prover } from 'leanagg'

const backend = process.argv[2] ?? 'lean-multisig'
const size = Number(process.argv[3] ?? 27)
const proofs = Number(process.argv[4] ?? 3)

for (const warmUp of [false, true]) {
  const prover = new Prover({ backend })
  let t = performance.now()
  await prover.setup({ warmUp })
  const setupMs = Math.round(performance.now() - t)
  const keys = await Promise.all(Array.from({ length: size }, (_, i) => prover.generateKey(new Uint8Array(32).fill(i + 10), 0, proofs)))
  const proveMs = []
  for (let p = 0; p < proofs; p++) {
    const message = new Uint8Array(32).fill(p + 1)
    const signatures = await Promise.all(keys.map(async (k) => ({ publicKey: k.publicKey, signature: await prover.sign(k, message, p) })))
    t = performance.now()
    await prover.aggregate({ message, slot: p, signatures })
    proveMs.push(Math.round(performance.now() - t))
  }
  await prover.close()
  process.stdout.write(`${JSON.stringify({ backend, warmUp, setupMs, size, proveMs })}\n`)
}
