// What a node pays in memory, counted as the kernel counts it, and what verification costs with
// process isolation against in-process, in one run:
//   node bench/memory.mjs [--backend lean-multisig|simulated] [--sizes 8,32,128] [--rounds 2]
//                         [--verify-rounds 30] [--idle-ms 2000] [--json FILE]
// Memory is PSS (/proc/<pid>/smaps_rollup: a page shared by n processes counts 1/n in each),
// summed over a fresh Node host and every prover process below it (the server and its workers),
// after setup, at peak during one proof per size, and idle after the proofs (the gap between
// slots). The native program (leanMultisig called from Rust, `npm run bench:native`) is measured
// the same way, in the same run, rounds alternating. Targets: after setup and idle at most 1.10x
// the native program after setup; peak at most 1.10x native's peak at the same size.
// Verification: verifyAggregate, batchVerify (8 aggregates), verifyMerged and aggregateFromBytes,
// in-process against isolated, alternating call by call; p50 and p99.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { groupFileBytes, MESSAGE, SLOT, signatures as benchSignatures } from './lib/inputs.mjs'
import { childrenOf, machine, machineLine, pss, treePss } from './lib/machine.mjs'
import { NativeBench, nativeAvailable, nativeBinPath } from './lib/native.mjs'
import { quantile } from './lib/stats.mjs'

const root = path.resolve(import.meta.dirname, '..')
const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string', default: 'lean-multisig' },
    sizes: { type: 'string', default: '8,32,128' },
    rounds: { type: 'string', default: '2' },
    'verify-rounds': { type: 'string', default: '30' },
    'idle-ms': { type: 'string', default: '2000' },
    json: { type: 'string' },
  },
})
const sizes = flags.sizes.split(',').map(Number)
const rounds = Number(flags.rounds)
const verifyRounds = Number(flags['verify-rounds'])
const idleMs = Number(flags['idle-ms'])
const real = flags.backend === 'lean-multisig'
const log = (m) => process.stderr.write(`[memory] ${m}\n`)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const MB = 2 ** 20
const mb = (b) => (b === undefined ? '-' : `${Math.round(b / MB)}`)
const median = (xs) => quantile(xs, 0.5)

/** The host, its prover server and the server's workers, apart. */
function parts(pid) {
  const servers = childrenOf(pid)
  const workers = servers.flatMap((s) => childrenOf(s))
  const sum = (pids) => pids.reduce((n, p) => n + pss(p), 0)
  return { host: pss(pid), server: sum(servers), workers: sum(workers), workerCount: workers.length }
}

/** Sample `pid`'s tree every 10 ms while `work` runs; the largest sum. */
async function peakWhile(pid, work) {
  let peak = treePss(pid)
  const timer = setInterval(() => {
    peak = Math.max(peak, treePss(pid))
  }, 10)
  try {
    await work()
  } finally {
    clearInterval(timer)
  }
  return Math.max(peak, treePss(pid))
}

const { Prover } = await import('../dist/index.js')
const scratch = mkdtempSync(path.join(os.tmpdir(), 'leanagg-memory-'))
const inputsProver = new Prover({ backend: flags.backend, isolation: 'in-process' })
const { signatures } = await benchSignatures(inputsProver, Math.max(...sizes), path.join(root, 'bench', 'results', 'cache'), log)
const b64 = (u8) => Buffer.from(u8).toString('base64')
const inputsFile = path.join(scratch, 'inputs.json')
writeFileSync(
  inputsFile,
  JSON.stringify({
    message: b64(MESSAGE),
    slot: SLOT,
    sizes,
    signatures: signatures.map((s) => ({ publicKey: b64(s.publicKey), signature: b64(s.signature) })),
  }),
)

/** One fresh leanagg node: PSS after setup, at peak per size, idle after the proofs. */
async function leanaggRound() {
  const child = spawn(process.execPath, [path.join(root, 'bench/lib/memory-probe.mjs'), flags.backend, inputsFile], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const out = { peak: {} }
  let proving
  for await (const line of createInterface({ input: child.stdout })) {
    if (!line.startsWith('@@mem ')) continue
    const { phase, size } = JSON.parse(line.slice(6))
    if (phase === 'setup') {
      await sleep(500) // the server forks its first worker right after setup
      out.setup = treePss(child.pid)
      out.setupParts = parts(child.pid)
    } else if (phase === 'prove') {
      proving = peakWhile(child.pid, () => new Promise((resolve) => child.stdout.once('data', resolve)))
    } else if (phase === 'proved') {
      out.peak[size] = await proving
    } else if (phase === 'idle') {
      await sleep(idleMs)
      out.idle = treePss(child.pid)
      out.idleParts = parts(child.pid)
    }
    child.stdin.write('go\n')
  }
  await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r()))
  return out
}

/** The native program: PSS after setup, at peak per size, and after the proofs. */
async function nativeRound() {
  const nb = await NativeBench.start(nativeBinPath(root), os.availableParallelism())
  await nb.request('setup')
  const out = { setup: pss(nb.pid), peak: {} }
  for (const size of sizes) {
    const file = path.join(scratch, `group-${size}.bin`)
    writeFileSync(file, groupFileBytes({ message: MESSAGE, slot: SLOT, signatures: signatures.slice(0, size) }, 2))
    await nb.request(`load g${size} ${file}`)
    out.peak[size] = await peakWhile(nb.pid, () => nb.request(`prove g${size} - -`))
  }
  await sleep(idleMs)
  out.idle = pss(nb.pid)
  await nb.close()
  return out
}

const useNative = real && nativeAvailable(root)
if (real && !useNative) log('the native program is missing (`npm run bench:native`): leanagg only')
const runs = { leanagg: [], native: [] }
for (let r = 0; r < rounds; r++) {
  for (const side of r % 2 === 0 ? ['leanagg', 'native'] : ['native', 'leanagg']) {
    if (side === 'native' && !useNative) continue
    log(`round ${r + 1}/${rounds}: ${side}`)
    runs[side].push(side === 'leanagg' ? await leanaggRound() : await nativeRound())
  }
}

// Verification: the same proofs on both sides, alternating call by call.
log('verification: in-process against isolated')
const inProcess = new Prover({ backend: flags.backend, isolation: 'in-process' })
const isolated = new Prover({ backend: flags.backend, isolation: 'process' })
await Promise.all([inProcess.setup(), isolated.setup()])
const group = { message: MESSAGE, slot: SLOT, signatures: signatures.slice(0, Math.min(32, signatures.length)) }
const aggregate = await isolated.aggregate(group)
const bytes = aggregate.toBytes()
const other = await isolated.aggregate({ ...group, signatures: group.signatures.slice(0, Math.max(1, group.signatures.length >> 1)) })
const sides = await Promise.all(
  [inProcess, isolated].map(async (prover) => {
    const a = await prover.aggregateFromBytes(bytes)
    const b = await prover.aggregateFromBytes(other.toBytes())
    return { prover, a, b }
  }),
)
// A merged aggregate needs aggregates of different messages.
const message2 = MESSAGE.map((x) => x ^ 0xff)
const key = await inProcess.generateKey(new Uint8Array(32).fill(3), 0, 15)
const lone = await isolated.aggregate({
  message: message2,
  slot: SLOT,
  signatures: [{ publicKey: key.publicKey, signature: await inProcess.sign(key, message2, SLOT) }],
})
const merged = await isolated.merge([aggregate, lone])
const mergedBytes = merged.toBytes()
for (const side of sides) side.merged = await side.prover.mergedFromBytes(mergedBytes)

const ops = {
  verifyAggregate: (s) => s.prover.verifyAggregate(s.a),
  'batchVerify (8)': (s) => s.prover.batchVerify(Array.from({ length: 8 }, (_, i) => ({ kind: 'aggregate', aggregate: i % 2 ? s.b : s.a }))),
  verifyMerged: (s) => s.prover.verifyMerged(s.merged),
  aggregateFromBytes: (s) => s.prover.aggregateFromBytes(bytes),
}
const latency = {}
for (const [name, op] of Object.entries(ops)) {
  const t = { 'in-process': [], isolated: [] }
  for (let r = 0; r < verifyRounds; r++) {
    for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const t0 = performance.now()
      const result = await op(sides[i])
      const ms = performance.now() - t0
      if (result === false || (Array.isArray(result) && !result.every((x) => x.valid !== false))) throw new Error(`${name}: a valid proof did not verify`)
      t[i === 0 ? 'in-process' : 'isolated'].push(ms)
    }
  }
  latency[name] = Object.fromEntries(Object.entries(t).map(([k, xs]) => [k, { p50: median(xs), p99: quantile(xs, 0.99) }]))
}
await Promise.all([inProcess.close(), isolated.close(), inputsProver.close()])
rmSync(scratch, { recursive: true, force: true })

// Report.
const med = (list, f) => (list.length ? median(list.map(f)) : undefined)
const summary = (list) => ({
  setup: med(list, (x) => x.setup),
  idle: med(list, (x) => x.idle),
  peak: Object.fromEntries(sizes.map((n) => [n, med(list, (x) => x.peak[n])])),
})
const result = { machine: machine(), backend: flags.backend, rounds, sizes, leanagg: summary(runs.leanagg), native: summary(runs.native), runs, latency }
const l = result.leanagg
const n = result.native
const ratio = (a, b) => (a && b ? (a / b).toFixed(3) : '-')
console.log(`${machineLine(result.machine)}; backend ${flags.backend}, ${rounds} rounds, PSS medians (MB)`)
console.table([
  { phase: 'after setup', leanagg: mb(l.setup), native: mb(n.setup), 'leanagg / native after setup': ratio(l.setup, n.setup), target: '≤ 1.10' },
  {
    phase: `idle (${idleMs} ms after the proofs)`,
    leanagg: mb(l.idle),
    native: mb(n.idle),
    'leanagg / native after setup': ratio(l.idle, n.setup),
    target: '≤ 1.10',
  },
  ...sizes.map((s) => ({
    phase: `peak, ${s} signatures`,
    leanagg: mb(l.peak[s]),
    native: mb(n.peak[s]),
    'leanagg / native at the same size': ratio(l.peak[s], n.peak[s]),
    target: '≤ 1.10',
  })),
])
const part = (list, key) => ['host', 'server', 'workers'].map((k) => `${k} ${mb(med(list, (x) => x[key]?.[k]))}`).join(', ')
if (runs.leanagg.length) {
  console.log(
    `leanagg after setup: ${part(runs.leanagg, 'setupParts')} MB; idle: ${part(runs.leanagg, 'idleParts')} MB (workers: ${runs.leanagg.map((x) => x.idleParts?.workerCount).join(', ')})`,
  )
}
console.log(`verification, ${verifyRounds} calls a side, alternating (ms)`)
console.table(
  Object.entries(latency).map(([name, t]) => ({
    operation: name,
    'in-process p50': t['in-process'].p50.toFixed(1),
    'isolated p50': t.isolated.p50.toFixed(1),
    'p50 ratio': ratio(t.isolated.p50, t['in-process'].p50),
    'in-process p99': t['in-process'].p99.toFixed(1),
    'isolated p99': t.isolated.p99.toFixed(1),
    'p99 ratio': ratio(t.isolated.p99, t['in-process'].p99),
  })),
)
if (flags.json) writeFileSync(flags.json, `${JSON.stringify(result, null, 2)}\n`)
