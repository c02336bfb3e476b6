// Cold setup in a fresh Node process: `node setup-probe.mjs <backend> <threads>`. Prints one
// line, `@@bench {json}` (leanMultisig may print lines of its own).
import { childrenOf, memoryKb, treePss } from './machine.mjs'

const [backend, threads] = process.argv.slice(2)
const { Prover } = await import('../../dist/index.js')
const before = memoryKb()
const t = performance.now()
const prover = new Prover({ backend, threads: Number(threads) })
await prover.setup()
const setupMs = performance.now() - t
const after = memoryKb()
// With process isolation the prover's setup lives in the prover server (this process's child); a
// worker forked from it shares it copy-on-write, so the RSS sum counts only the server (PSS counts
// every process, shared pages once).
const server = childrenOf()
const serverRssKb = server.reduce((n, pid) => n + (memoryKb(pid).rssKb || 0), 0)
// PSS counts the pages the server's workers share with it once (RSS sums count them twice).
const pssKb = Math.round(treePss() / 1024)
await prover.close()
const result = { setupMs, rssBeforeKb: before.rssKb, rssKb: after.rssKb + serverRssKb, pssKb, hostRssKb: after.rssKb, serverRssKb, peakRssKb: after.peakRssKb }
process.stdout.write(`@@bench ${JSON.stringify(result)}\n`)
