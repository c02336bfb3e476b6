// Process isolation against in-process proving, side by side in one run (A, B, A, B...):
//   node bench/isolation.mjs [--backend lean-multisig|simulated] [--sizes 1,8,32,128] [--rounds 3]
// Reports per-group prove latency in each mode and their ratio, the time from abort to the
// prover's CPU being free (in-process: the proof runs to its end; isolated: its process is
// killed), and the resident memory of the host, the prover server and a proof's process.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { Prover } from '../dist/index.js'
import { childrenOf } from './lib/machine.mjs'

const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string', default: 'lean-multisig' },
    sizes: { type: 'string', default: '1,8,32,128' },
    rounds: { type: 'string', default: '3' },
    'cancel-sizes': { type: 'string', default: '8,128' },
  },
})
const sizes = flags.sizes.split(',').map(Number)
const rounds = Number(flags.rounds)
const simulated = { proveBaseMs: 400, perSignerMs: 30, burnCpu: true }

const procStatus = (pid, field) => {
  try {
    const v = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return v === undefined ? undefined : Number(v) * 1024
  } catch {
    return undefined
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const mb = (b) => (b === undefined ? '-' : `${Math.round(b / 2 ** 20)} MB`)

// Throwaway keys sign every group at one slot (the groups differ in message): no signing guard.
const inProcess = new Prover({ backend: flags.backend, isolation: 'in-process', simulated, signing: { unguardedForTests: true } })
const isolated = new Prover({ backend: flags.backend, isolation: 'process', simulated })
let t = performance.now()
await inProcess.setup()
const setupIn = performance.now() - t
t = performance.now()
await isolated.setup()
const setupIso = performance.now() - t
const [server] = childrenOf(process.pid)
const idle = { host: procStatus(process.pid, 'VmRSS'), server: procStatus(server, 'VmRSS') }

const keys = []
for (let i = 0; i < Math.max(...sizes, ...flags['cancel-sizes'].split(',').map(Number)); i++) {
  const seed = new Uint8Array(32).fill(7)
  new DataView(seed.buffer).setUint32(0, i, true)
  keys.push(await inProcess.generateKey(seed, 0, 15))
}
const group = async (n, m) => {
  const message = new Uint8Array(32).fill(m)
  return {
    message,
    slot: 3,
    signatures: await Promise.all(keys.slice(0, n).map(async (k) => ({ publicKey: k.publicKey, signature: await inProcess.sign(k, message, 3) }))),
  }
}

const rows = []
let peakChild = 0
for (const n of sizes) {
  const g = await group(n, n)
  const a = []
  const b = []
  const timed = async (prover, into) => {
    const t0 = performance.now()
    await prover.aggregate(g)
    into.push(performance.now() - t0)
  }
  const watch = setInterval(() => {
    for (const c of childrenOf(server)) peakChild = Math.max(peakChild, procStatus(c, 'VmRSS') ?? 0)
  }, 20)
  // A, B, then B, A: neither side always runs first (turbo, caches, the other's leftovers).
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      await timed(inProcess, a)
      await timed(isolated, b)
    } else {
      await timed(isolated, b)
      await timed(inProcess, a)
    }
  }
  clearInterval(watch)
  const ratios = a.map((x, i) => b[i] / x)
  rows.push({
    signatures: n,
    'in-process ms': Math.round(median(a)),
    'isolated ms': Math.round(median(b)),
    'isolated/in-process': median(ratios).toFixed(3),
    'ratio min..max': `${Math.min(...ratios).toFixed(3)}..${Math.max(...ratios).toFixed(3)}`,
  })
}

const gone = (pid) => {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return true
  }
}
/** The server's child using the most CPU: the one proving. */
const provingWorker = () => {
  const busy = childrenOf(server).map((pid) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
      return { pid, ticks: Number(f[11]) + Number(f[12]) }
    } catch {
      return { pid, ticks: -1 }
    }
  })
  return busy.sort((a, b) => b.ticks - a.ticks)[0]?.pid
}

/**
 * From abort to the prover's CPU being free. In-process: until the native proof returns (it
 * cannot be stopped). Isolated: until the process proving it is gone (killed), polled every 1 ms.
 */
async function cancelToFree(prover, n, isolatedMode) {
  const ac = new AbortController()
  const proof = prover.aggregate(await group(n, 200 + n), { signal: ac.signal }).catch(() => undefined)
  await sleep(300)
  const worker = isolatedMode ? provingWorker() : undefined
  const aborted = performance.now()
  ac.abort()
  if (isolatedMode) while (!gone(worker)) await new Promise((r) => setImmediate(r))
  else await prover.idle()
  const freed = performance.now() - aborted
  await proof
  await prover.idle()
  return freed.toFixed(1)
}
const cancels = []
for (const n of flags['cancel-sizes'].split(',').map(Number)) {
  cancels.push({
    signatures: n,
    'in-process: abort to CPU free ms': await cancelToFree(inProcess, n, false),
    'isolated: abort to CPU free ms': await cancelToFree(isolated, n, true),
  })
}

const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1]
process.stdout.write(`backend ${flags.backend}, ${rounds} rounds, ${cpu}\n`)
process.stdout.write(
  `setup: in-process ${Math.round(setupIn)} ms, isolated ${Math.round(setupIso)} ms (the server's setup, beside the host's verifier setup)\n`,
)
console.table(rows)
console.table(cancels)
process.stdout.write(
  `memory: host ${mb(procStatus(process.pid, 'VmRSS'))} (after in-process setup and proofs), server idle ${mb(idle.server)}, ` +
    `largest proof process while proving ${mb(peakChild)} resident (shared copy-on-write with the server)\n`,
)
await Promise.all([inProcess.close(), isolated.close()])
