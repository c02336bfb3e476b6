// Cold setup in a fresh Node process: `node setup-probe.mjs <backend> <threads>`. Prints one
// line, `@@bench {json}` (leanMultisig may print lines of its own).
import { memoryKb } from './machine.mjs'

const [backend, threads] = process.argv.slice(2)
const { Prover } = await import('../../dist/index.js')
const before = memoryKb()
const t = performance.now()
const prover = new Prover({ backend, threads: Number(threads) })
await prover.setup()
const setupMs = performance.now() - t
const after = memoryKb()
await prover.close()
process.stdout.write(`@@bench ${JSON.stringify({ setupMs, rssBeforeKb: before.rssKb, rssKb: after.rssKb, peakRssKb: after.peakRssKb })}\n`)
