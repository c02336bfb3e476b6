// Does setup leave the prover warm? For each mode, a fresh prover: setup time (and, with warm-up,
// the part of it the warm-up took), then the first proofs of `size` signatures one after another
// (each of its own message). Modes alternate, `runs` times each; `modes` off or on runs one only,
// e.g. in a fresh process each time (the first prover of a process runs colder than later ones).
//   node bench/lib/warmup-probe.mjs [lean-multisig|simulated] [size=27] [proofs=3] [runs=1] [both|off|on]
// Prints one JSON line per run: { warmUp, setupMs, warmUpMs, proveMs: [...] }.
import { Prover } from 'leanagg'

const backend = process.argv[2] ?? 'lean-multisig'
const size = Number(process.argv[3] ?? 27)
const proofs = Number(process.argv[4] ?? 3)
const runs = Number(process.argv[5] ?? 1)
const modes = { both: [false, true], off: [false], on: [true] }[process.argv[6] ?? 'both']

for (let run = 0; run < runs; run++) {
  for (const warmUp of modes) {
    let warmUpMs
    const logger = {
      debug: (msg, fields) => {
        if (msg === 'prover warmed up') warmUpMs = fields?.ms
      },
      warn: (msg, fields) => process.stderr.write(`${msg} ${JSON.stringify(fields)}\n`),
    }
    const prover = new Prover({ backend, logger })
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
    process.stdout.write(`${JSON.stringify({ backend, isolation: prover.capabilities.isolation, warmUp, setupMs, warmUpMs, size, proveMs })}\n`)
  }
}
