// Per-group prove latency, verify latency and proof size through leanagg, with the host's
// event-loop delay measured while proving. Usage (after `npm run build` or build:lean-multisig):
//   node bench/prove-latency.mjs [lean-multisig|simulated] [sizes, e.g. 1,8,32] [rounds]
// Reports medians of one run; compare numbers measured in the same run only.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Prover } from '../dist/index.js'

const backend = process.argv[2] ?? 'lean-multisig'
const sizes = (process.argv[3] ?? '1,8,32').split(',').map(Number)
const rounds = Number(process.argv[4] ?? 3)

const prover = new Prover({ backend, simulated: { proveBaseMs: 50, perSignerMs: 2 } })
let t = performance.now()
await prover.setup()
const setupMs = performance.now() - t

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const keys = []
for (let i = 0; i < Math.max(...sizes); i++) keys.push(await prover.generateKey(new Uint8Array(32).fill(i + 1), 0, 63))

const rows = []
for (const n of sizes) {
  const message = new Uint8Array(32).fill(n)
  const signatures = await Promise.all(
    keys.slice(0, n).map(async (k) => ({ publicKey: k.publicKey, signature: await prover.sign(k, message, 7) })),
  )
  const prove = []
  const verify = []
  let size = 0
  const loop = monitorEventLoopDelay({ resolution: 5 })
  loop.enable()
  for (let r = 0; r < rounds; r++) {
    t = performance.now()
    const agg = await prover.aggregate({ message, slot: 7, signatures })
    prove.push(performance.now() - t)
    size = agg.proofSize
    t = performance.now()
    await prover.verifyAggregate(agg)
    verify.push(performance.now() - t)
  }
  loop.disable()
  rows.push({
    signatures: n,
    proveMsMedian: Math.round(median(prove)),
    verifyMsMedian: Math.round(median(verify)),
    proofBytes: size,
    eventLoopDelayP99Ms: Math.round(loop.percentile(99) / 1e6),
  })
}
process.stderr.write(`backend ${backend}, setup ${Math.round(setupMs)} ms, ${rounds} rounds\n`)
console.table(rows)
await prover.close()
