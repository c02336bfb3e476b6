// leanagg's benchmark suite: leanagg against leanMultisig called directly from Rust, in one run.
//
//   npm run bench                       the real prover (after `npm run build:lean-multisig`);
//                                       builds the native program first
//   npm run bench -- --sizes 1,8,32 --rounds 3 --sections prove,loop
//   npm run bench:quick                 the harness on the simulated backend (what CI runs)
//
// Options (defaults for the full run; --quick picks small ones):
//   --backend lean-multisig|simulated   --sizes 1,2,...,256   --children 2,4   --child-size 8
//   --rounds 5   --threads <cores>   --sections setup,prove,batch,micro,loop,cancel
//   --setup-rounds 2   --loop-size 32 --loop-proofs 4   --cancel-size 32 --cancel-after 300
//   --cancel-rounds 2   --batch-reps 3   --micro-ms 1000   --native auto|off   --native-modes pool,caller
//   --out bench/results   --readme   --from <results.json> (only render a past run's outputs)
//
// The native program calls upstream from a worker of its own rayon pool (`pool`, as leanagg does:
// the headline ratio) and, as a third side, from its main thread with rayon's global pool
// (`caller`, as upstream's tests do). --native-modes pool keeps only the first.
//
// Writes <out>/<date>-<machine>.json and .svg, prints the tables. --readme also copies the chart
// to bench/latest.svg and rewrites the README's benchmark section from this run.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Bench } from 'tinybench'
import { renderSvg } from './lib/chart.mjs'
import { children as childAggregates, groupFileBytes, MESSAGE, SLOT, signatures as makeSignatures } from './lib/inputs.mjs'
import { descendants, machine, machineLine, machineSlug, memoryKb, resetPeakMemory } from './lib/machine.mjs'
import { NativeBench, nativeAvailable, nativeBinPath } from './lib/native.mjs'
import { CpuSampler, LoopProbe } from './lib/probes.mjs'
import { report } from './lib/report.mjs'
import { round, summary } from './lib/stats.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const SECTIONS = ['setup', 'prove', 'batch', 'micro', 'loop', 'cancel']

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backend: { type: 'string' },
    sizes: { type: 'string' },
    children: { type: 'string' },
    'child-size': { type: 'string' },
    rounds: { type: 'string' },
    threads: { type: 'string' },
    sections: { type: 'string' },
    'setup-rounds': { type: 'string' },
    'loop-size': { type: 'string' },
    'loop-proofs': { type: 'string' },
    'cancel-size': { type: 'string' },
    'cancel-after': { type: 'string' },
    'cancel-rounds': { type: 'string' },
    'batch-reps': { type: 'string' },
    'micro-ms': { type: 'string' },
    native: { type: 'string', default: 'auto' },
    'native-modes': { type: 'string' },
    out: { type: 'string' },
    readme: { type: 'boolean', default: false },
    from: { type: 'string' },
  },
})

const quick = opt.quick
const list = (s) => s.split(',').filter(Boolean).map(Number)
const num = (s, full, fast) => (s === undefined ? (quick ? fast : full) : Number(s))
const config = {
  backend: opt.backend ?? (quick ? 'simulated' : 'lean-multisig'),
  sizes: list(opt.sizes ?? (quick ? '1,2,4' : '1,2,4,8,16,32,64,128,256')),
  children: list(opt.children ?? '2,4'),
  childSize: num(opt['child-size'], 8, 2),
  rounds: num(opt.rounds, 5, 2),
  threads: num(opt.threads, os.availableParallelism(), os.availableParallelism()),
  sections: opt.sections ? opt.sections.split(',') : SECTIONS,
  setupRounds: num(opt['setup-rounds'], 2, 1),
  loopSize: num(opt['loop-size'], 32, 4),
  loopProofs: num(opt['loop-proofs'], 4, 3),
  cancelSize: num(opt['cancel-size'], 32, 4),
  cancelAfterMs: num(opt['cancel-after'], 300, 4),
  cancelRounds: num(opt['cancel-rounds'], 2, 1),
  batchReps: num(opt['batch-reps'], 3, 2),
  microMs: num(opt['micro-ms'], 1000, 50),
  nativeModes: (opt['native-modes'] ?? 'pool,caller').split(',').filter(Boolean),
  logInvRate: 2,
  revision: readFileSync(path.join(root, 'native/lean-multisig/Cargo.toml'), 'utf8').match(/rev = "([0-9a-f]{40})"/)?.[1] ?? 'unknown',
}
// Simulated proofs of a few ms: the quick mode checks the harness, not the prover.
const simulated = { setupMs: 5, proveBaseMs: 8, perSignerMs: 1, perChildMs: 2, verifyMs: 1 }
for (const s of config.sections) if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}; sections: ${SECTIONS.join(',')}`)
if (!config.nativeModes.includes('pool')) throw new Error('--native-modes must include pool (the baseline)')
/** Result keys of the native sides: `native` (pool, the baseline) and `nativeCaller`. */
const NATIVE_SIDES = { pool: 'native', caller: 'nativeCaller' }

const started = performance.now()
const log = (msg) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}\n`)
const has = (s) => config.sections.includes(s)
const notSelected = { skipped: 'not selected (--sections)' }

// --from <results.json>: render the chart, the tables and (--readme) the README from a past run.
if (opt.from) {
  const file = path.resolve(opt.from)
  await publish(JSON.parse(readFileSync(file, 'utf8')), file.replace(/\.json$/, ''))
  process.exit(0)
}

const { Prover, availableBackends } = await import('../dist/index.js')
if (!availableBackends().includes(config.backend)) {
  console.error(
    `The loaded addon has no '${config.backend}' backend (it has ${availableBackends().join(', ')}). Build the real prover with \`npm run build:lean-multisig\`, or run the harness on the simulated backend with \`npm run bench:quick\`.`,
  )
  process.exit(2)
}

// The native side: leanMultisig from Rust. Only meaningful against the same prover.
let nativeReason = null
if (opt.native === 'off') nativeReason = 'turned off (--native off)'
else if (config.backend !== 'lean-multisig') nativeReason = `the native program runs leanMultisig and this run uses the ${config.backend} backend`
else if (!nativeAvailable(root)) nativeReason = 'the native program is not built (`npm run bench:native`, which needs the real-prover build)'
const useNative = nativeReason === null
log(`${machineLine(machine())}; ${config.backend} backend, ${config.threads} threads; native side: ${useNative ? 'on' : `skipped: ${nativeReason}`}`)

const date = new Date().toISOString()
const args = process.argv.slice(2).map((a, i, all) => (all[i - 1] === '--out' ? '<dir>' : a))
const results = {
  schema: 1,
  date,
  mode: quick ? 'quick' : 'full',
  command: process.env.npm_lifecycle_event?.startsWith('bench')
    ? `npm run ${process.env.npm_lifecycle_event}${args.length ? ` -- ${args.join(' ')}` : ''}`
    : `node bench/run.mjs${args.length ? ` ${args.join(' ')}` : ''}`,
  machine: machine(),
  config,
  native: useNative ? { available: true } : { available: false, skipped: nativeReason },
}

const work = mkdtempSync(path.join(os.tmpdir(), 'leanagg-bench-'))
const cacheDir = path.join(root, 'bench', 'results', 'cache')

// ---------------------------------------------------------------- setup (fresh processes)
async function setupSection() {
  const probeLeanagg = () => {
    const out = execFileSync(process.execPath, [path.join(root, 'bench/lib/setup-probe.mjs'), config.backend, String(config.threads)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    return JSON.parse(
      out
        .split('\n')
        .find((l) => l.startsWith('@@bench '))
        .slice(8),
    )
  }
  const probeNative = async (runOn) => {
    const nb = await NativeBench.start(nativeBinPath(root), config.threads, runOn)
    const r = await nb.request('setup')
    await nb.close()
    return { setupMs: r.setupMs, rssBeforeKb: nb.info.rssKb, rssKb: r.rssKb, peakRssKb: r.peakRssKb }
  }
  const sides = ['leanagg', ...(useNative ? config.nativeModes : [])]
  const runs = Object.fromEntries(sides.map((x) => [x, []]))
  for (let r = 0; r < config.setupRounds; r++) {
    for (const side of rotate(sides, r)) {
      log(`setup: round ${r + 1}/${config.setupRounds}, ${side === 'leanagg' ? side : `native (${side})`} (fresh process)`)
      runs[side].push(side === 'leanagg' ? probeLeanagg() : await probeNative(side))
    }
  }
  const sum = (xs) => ({
    setupMs: summary(xs.map((x) => x.setupMs)),
    rssKb: summary(xs.map((x) => x.rssKb)),
    serverRssKb: summary(xs.map((x) => x.serverRssKb ?? 0)),
    rssBeforeKb: summary(xs.map((x) => x.rssBeforeKb)),
    peakRssKb: summary(xs.map((x) => x.peakRssKb)),
  })
  const out = { rounds: config.setupRounds, leanagg: sum(runs.leanagg), native: useNative ? sum(runs.pool) : { skipped: nativeReason } }
  if (runs.caller) out.nativeCaller = sum(runs.caller)
  return out
}

/** `xs` rotated left by `r`: the order of the sides in round `r`. */
function rotate(xs, r) {
  const k = r % xs.length
  return [...xs.slice(k), ...xs.slice(0, k)]
}

results.setup = has('setup') ? await setupSection() : notSelected

// ---------------------------------------------------------------- the provers of this run
log('starting the leanagg prover and the native program')
const prover = new Prover({ backend: config.backend, threads: config.threads, simulated })
await prover.setup()
// The package's default: proofs in prover processes for the real prover where available.
results.isolation = prover.capabilities.isolation
/** One native program per mode; `native` (pool) also serves the other sections. */
const natives = {}
if (useNative) {
  for (const mode of config.nativeModes) {
    const nb = await NativeBench.start(nativeBinPath(root), config.threads, mode)
    await nb.request('setup')
    natives[NATIVE_SIDES[mode]] = nb
  }
  const nb = natives.native
  results.native = { available: true, modes: config.nativeModes, threads: nb.info.threads, avx2: nb.info.avx2, avx512f: nb.info.avx512f }
}
const native = natives.native ?? null

const maxSize = Math.max(...config.sizes, config.loopSize, config.cancelSize, 1)
const needSigs = Math.max(maxSize, Math.max(0, ...config.children) * config.childSize)
const sigs = await makeSignatures(prover, needSigs, cacheDir, log)
results.inputs = { signatures: needSigs, cached: sigs.cached, keygenAndSignMsPerKey: round(sigs.keygenMs) }
const kids = config.children.length ? await childAggregates(prover, sigs.signatures, Math.max(...config.children), config.childSize, cacheDir, log) : []

const groupOf = (n) => ({ message: MESSAGE, slot: SLOT, signatures: sigs.signatures.slice(0, n) })
const signersOf = (g) => [...g.signatures.map((s) => s.publicKey), ...(g.children ?? []).flatMap((c) => c.signers)]

/** Hand a group to the native program (same bytes). */
async function loadNative(id, group) {
  if (!native) return
  const file = path.join(work, `${id}.bin`)
  writeFileSync(file, groupFileBytes(group, config.logInvRate))
  for (const nb of Object.values(natives)) await nb.request(`load ${id} ${file}`)
}

// ---------------------------------------------------------------- prove latency, side by side
async function leanaggRound(group) {
  // With process isolation the proof runs in a worker of the prover server: its peak is measured
  // on its own (it includes the setup state it shares with the server, as native's peak does).
  const provers = descendants()
  const peakReset = resetPeakMemory() && provers.every((pid) => resetPeakMemory(pid))
  const rssBeforeKb = memoryKb().rssKb
  let t = performance.now()
  const agg = await prover.aggregate(group, { logInvRate: config.logInvRate })
  const proveMs = performance.now() - t
  const peakRssKb = peakReset ? memoryKb().peakRssKb : null
  const proverPeaks = peakReset ? provers.map((pid) => memoryKb(pid).peakRssKb).filter((kb) => kb > 0) : []
  const proverPeakRssKb = proverPeaks.length ? Math.max(...proverPeaks) : null
  t = performance.now()
  const valid = await prover.verifyAggregate(agg)
  const verifyMs = performance.now() - t
  t = performance.now()
  const proofBytes = agg.proofSize // serialises (compresses) on the JS thread, once
  const toBytesMs = performance.now() - t
  if (!valid) throw new Error('a leanagg aggregate does not verify')
  return { agg, proveMs, verifyMs, toBytesMs, proofBytes, rssBeforeKb, peakRssKb, proverPeakRssKb }
}

async function proveSection() {
  const groups = [
    ...config.sizes.map((n) => ({ id: `s${n}`, label: `${n} signature${n === 1 ? '' : 's'}`, signatures: n, children: 0, group: groupOf(n) })),
    ...config.children.map((k) => ({
      id: `c${k}`,
      label: `${k} children of ${config.childSize}`,
      signatures: k * config.childSize,
      children: k,
      group: { message: MESSAGE, slot: SLOT, signatures: [], children: kids.slice(0, k) },
    })),
  ]
  for (const g of groups) {
    await loadNative(g.id, g.group)
    g.precheckMs = native ? (await native.request(`precheck ${g.id}`)).precheckMs : null
    g.runs = Object.fromEntries(['leanagg', ...Object.keys(natives)].map((x) => [x, []]))
  }
  log('prove: warm-up (one untimed proof per side)')
  await prover.aggregate(groups[0].group)
  for (const nb of Object.values(natives)) await nb.request(`prove ${groups[0].id} - -`)
  const sides = ['leanagg', ...Object.keys(natives)]

  const proofFiles = new Map()
  const lastAggs = []
  for (let r = 0; r < config.rounds; r++) {
    for (const g of groups) {
      for (const side of rotate(sides, r + groups.indexOf(g))) {
        if (side === 'leanagg') {
          const run = await leanaggRound(g.group)
          g.runs.leanagg.push(run)
          if (r === config.rounds - 1) lastAggs.push(run.agg)
        } else {
          const out = r === 0 && side === 'native' ? path.join(work, `${g.id}.proof`) : '-'
          const reply = await natives[side].request(`prove ${g.id} - ${out}`)
          if (!reply.valid) throw new Error('a native proof does not verify')
          if (out !== '-') proofFiles.set(g.id, out)
          g.runs[side].push(reply)
        }
      }
      const times = sides.map((x) => `${x} ${g.runs[x].at(-1).proveMs.toFixed(0)} ms`).join(', ')
      log(`prove: round ${r + 1}/${config.rounds}, ${g.label}: ${times}`)
    }
  }

  // Same work: each native proof must verify in leanagg, for the group's message, slot and signers.
  let sameInputs = null
  if (native) {
    sameInputs = true
    for (const g of groups) {
      const agg = await prover.aggregateFromBytes(readFileSync(proofFiles.get(g.id)))
      const ok = await prover.verifyAggregate(agg, { expected: { message: MESSAGE, slot: SLOT, signers: signersOf(g.group) } })
      sameInputs &&= ok
    }
  }

  const nativeSummary = (N, g) => ({
    proveMs: summary(N.map((x) => x.proveMs)),
    verifyMs: summary(N.map((x) => x.verifyMs)),
    peakRssKb: summary(N.map((x) => x.peakRssKb)),
    rssBeforeKb: summary(N.map((x) => x.rssBeforeKb)),
    proofBytes: N[0].proofBytes,
    precheckMs: round(g.precheckMs),
  })
  // Per round: leanagg's time over the native time measured next to it.
  const ratio = (L, N) =>
    N?.length
      ? summary(
          L.map((l, i) => l.proveMs / N[i].proveMs),
          4,
        )
      : null
  const out = groups.map((g) => {
    const L = g.runs.leanagg
    const N = g.runs.native
    return {
      id: g.id,
      label: g.label,
      signatures: g.signatures,
      children: g.children,
      proofBytes: L[0].proofBytes,
      leanagg: {
        proveMs: summary(L.map((x) => x.proveMs)),
        verifyMs: summary(L.map((x) => x.verifyMs)),
        toBytesMs: summary(L.map((x) => x.toBytesMs)),
        peakRssKb: summary(L.map((x) => x.peakRssKb).filter((x) => x != null)),
        proverPeakRssKb: summary(L.map((x) => x.proverPeakRssKb).filter((x) => x != null)),
        rssBeforeKb: summary(L.map((x) => x.rssBeforeKb)),
      },
      native: N?.length ? nativeSummary(N, g) : null,
      nativeCaller: g.runs.nativeCaller?.length ? nativeSummary(g.runs.nativeCaller, g) : null,
      ratio: ratio(L, N),
      ratioCaller: ratio(L, g.runs.nativeCaller),
    }
  })
  return {
    groups: out,
    lastAggs,
    sameInputs,
    nativeSkipped: native ? undefined : nativeReason,
    peakMethod:
      results.isolation === 'process'
        ? 'peak RSS (VmHWM) during the proof, reset before it with /proc/<pid>/clear_refs: leanagg’s host process (Node, V8, the addon) and the prover process that proved (it shares the setup state with the prover server copy-on-write), and native’s whole process'
        : 'peak RSS (VmHWM) of each side’s whole process during the proof, reset before it with /proc/self/clear_refs',
  }
}

let lastAggs = []
if (has('prove')) {
  const p = await proveSection()
  lastAggs = p.lastAggs
  delete p.lastAggs
  results.prove = p
} else results.prove = notSelected

// ---------------------------------------------------------------- batch verification
async function batchSection() {
  let aggs = lastAggs
  if (aggs.length === 0) {
    log('batch: proving aggregates to verify')
    for (const n of config.sizes) aggs.push(await prover.aggregate(groupOf(n)))
  }
  aggs = [...aggs, ...kids.slice(0, Math.max(0, ...config.children))]
  const sigItems = sigs.signatures.slice(0, needSigs)
  const cases = [
    {
      name: 'aggregates',
      items: aggs.map((a) => ({ kind: 'aggregate', aggregate: a })),
      seq: async () => {
        for (const a of aggs) if (!(await prover.verifyAggregate(a))) throw new Error('invalid')
      },
    },
    {
      name: 'signatures',
      items: sigItems.map((s) => ({ kind: 'signature', publicKey: s.publicKey, message: MESSAGE, signature: s.signature, slot: SLOT })),
      seq: async () => {
        for (const s of sigItems) if (!(await prover.verify(s.publicKey, MESSAGE, s.signature, SLOT))) throw new Error('invalid')
      },
    },
  ]
  cases.push({
    name: 'aggregates + signatures',
    items: [...cases[0].items, ...cases[1].items],
    seq: async () => {
      await cases[0].seq()
      await cases[1].seq()
    },
  })
  const out = []
  for (const c of cases) {
    const batch = []
    const seq = []
    for (let r = 0; r < config.batchReps; r++) {
      const runBatch = async () => {
        const t = performance.now()
        const res = await prover.batchVerify(c.items)
        batch.push(performance.now() - t)
        if (!res.every((x) => x.valid)) throw new Error('batchVerify: an item is invalid')
      }
      const runSeq = async () => {
        const t = performance.now()
        await c.seq()
        seq.push(performance.now() - t)
      }
      if (r % 2 === 0) {
        await runBatch()
        await runSeq()
      } else {
        await runSeq()
        await runBatch()
      }
    }
    const b = summary(batch)
    const s = summary(seq)
    out.push({ name: c.name, items: c.items.length, batchMs: b, sequentialMs: s, speedup: round(s.median / b.median) })
    log(`batch: ${c.name} (${c.items.length}): batch ${b.median.toFixed(1)} ms, sequential ${s.median.toFixed(1)} ms`)
  }
  return { reps: config.batchReps, cases: out }
}

results.batch = has('batch') ? await batchSection() : notSelected

// ---------------------------------------------------------------- sub-millisecond to millisecond calls (tinybench)
async function microSection() {
  const s = sigs.signatures[0]
  const agg = lastAggs.find((a) => a.signerCount === config.loopSize) ?? (await prover.aggregate(groupOf(config.loopSize)))
  const bytes = agg.toBytes()
  const bench = new Bench({ time: config.microMs, warmupTime: Math.min(200, config.microMs), iterations: 10, throws: true })
  bench
    .add('verifySync: 1 signature (JS thread)', () => {
      if (!prover.verifySync(s.publicKey, MESSAGE, s.signature, SLOT)) throw new Error('invalid')
    })
    .add('verify: 1 signature (async)', async () => {
      if (!(await prover.verify(s.publicKey, MESSAGE, s.signature, SLOT))) throw new Error('invalid')
    })
    .add(`verifyAggregate: ${agg.signerCount} signers (async)`, async () => {
      if (!(await prover.verifyAggregate(agg))) throw new Error('invalid')
    })
    .add(`aggregateFromBytes + toBytes: ${(bytes.length / 1024).toFixed(0)} KiB (parse async, serialise on the JS thread)`, async () => {
      const a = await prover.aggregateFromBytes(bytes)
      if (a.toBytes().length !== bytes.length) throw new Error('round trip')
    })
    .add('messageFields: 32-byte message (JS thread)', () => {
      prover.messageFields(MESSAGE)
    })
  log('micro: tinybench')
  await bench.run()
  return {
    tool: 'tinybench',
    timeMs: config.microMs,
    tasks: bench.tasks.map((t) => {
      const r = t.result
      if (r.state !== 'completed') return { name: t.name, error: r.error?.message ?? r.state }
      return {
        name: t.name,
        samples: r.latency.samplesCount ?? r.latency.samples?.length ?? null,
        meanMs: round(r.latency.mean, 4),
        p50Ms: round(r.latency.p50, 4),
        p99Ms: round(r.latency.p99, 4),
        opsPerS: round(r.throughput.mean, 1),
      }
    }),
  }
}

results.micro = has('micro') ? await microSection() : notSelected

// ---------------------------------------------------------------- event-loop delay
async function loopSection() {
  const group = groupOf(config.loopSize)
  await loadNative('loop', group)
  let syncMethod
  let fifo
  if (native) {
    fifo = path.join(work, 'done.fifo')
    execFileSync('mkfifo', [fifo])
    syncMethod =
      'the same proof by the native program, the JS thread blocked (a synchronous FIFO read) from the request until the proof returns, as a synchronous binding call would block it'
  } else {
    syncMethod = 'Atomics.wait on the JS thread for the time the leanagg proof just before took (no native program in this run)'
  }
  // One phase after the other, each with its own probe histogram (an event-loop histogram that
  // is disabled and enabled again records the gap as one interval): proofs back to back.
  const probe = new LoopProbe()
  const blocker = new Int32Array(new SharedArrayBuffer(4))
  const blocked = []
  const durations = []
  log(`event loop: ${config.loopProofs} leanagg proofs back to back`)
  probe.phase('leanagg (async, off the JS thread)')
  await sleep(5)
  for (let i = 0; i < config.loopProofs; i++) {
    const t = performance.now()
    await prover.aggregate(group)
    durations.push(performance.now() - t)
  }
  await sleep(5)
  log(`event loop: ${config.loopProofs} proofs blocking the JS thread`)
  probe.phase('synchronous baseline (JS thread blocked)')
  await sleep(5)
  for (let i = 0; i < config.loopProofs; i++) {
    if (native) blocked.push((await native.proveBlocking('loop', fifo)).blockedMs)
    else {
      const t0 = performance.now()
      Atomics.wait(blocker, 0, 0, durations[i])
      blocked.push(performance.now() - t0)
    }
    await sleep(1) // back to the loop between proofs, as a caller of a synchronous API would be
  }
  await sleep(5)
  log('event loop: idle')
  probe.phase('idle')
  await sleep(durations.reduce((x, y) => x + y, 0))
  probe.stop()
  const names = ['idle', 'leanagg (async, off the JS thread)', 'synchronous baseline (JS thread blocked)']
  return {
    signatures: config.loopSize,
    proofs: config.loopProofs,
    syncMethod,
    syncBlockedMs: summary(blocked),
    conditions: Object.fromEntries(names.map((n) => [n, probe.report(n)])),
  }
}

results.eventLoop = has('loop') ? await loopSection() : notSelected

// ---------------------------------------------------------------- cancellation
/** Both isolation modes where this build and platform can run proofs in processes. */
function isolationModes() {
  return prover.capabilities.processIsolationAvailable ? ['in-process', 'process'] : ['in-process']
}

async function cancelSection() {
  const group = groupOf(config.cancelSize)
  // Sessions need a second group (another message) so the first one is not the only work.
  const group2 = { message: new Uint8Array(32).fill(0xc3), slot: SLOT, signatures: [] }
  for (let i = 0; i < config.cancelSize; i++) {
    const seed = new Uint8Array(32).fill(0xc0)
    new DataView(seed.buffer).setUint32(0, i, true)
    const key = await prover.generateKey(seed, 0, 15)
    group2.signatures.push({ publicKey: key.publicKey, signature: await prover.sign(key, group2.message, SLOT) })
  }
  const t = performance.now()
  await prover.aggregate(group)
  const proofMs = performance.now() - t
  const idleCores = 0.2
  const after = config.cancelAfterMs

  // Each scenario calls mark.start(t) at the cancel, abort or deadline, and mark.settled() when
  // the caller's promise settles; it returns whether its own proof was running at that moment.
  // "Without a proof in flight": the work waits behind another proof (started first, never
  // cancelled), so its CPU is that other proof's and "CPU free" does not apply.
  const scenarios = (p) => [
    {
      name: 'aggregate(): abort() during the proof',
      cpu: true,
      run: async (mark) => {
        const ac = new AbortController()
        const pr = p.aggregate(group, { signal: ac.signal }).catch(() => undefined)
        await sleep(after)
        const inFlight = p.load.running > 0
        mark.start(performance.now())
        ac.abort()
        await pr
        mark.settled()
        return inFlight
      },
    },
    {
      name: 'session: cancel() during a proof',
      cpu: true,
      run: async (mark) => {
        const s = p.startSession([group, group2], { admission: false })
        await sleep(after)
        const inFlight = p.load.running > 0
        mark.start(performance.now())
        s.cancel('bench')
        await s.done
        mark.settled()
        return inFlight
      },
    },
    {
      name: 'session: deadline during a proof',
      cpu: true,
      run: async (mark) => {
        const t0 = performance.now()
        const s = p.startSession([group, group2], { admission: false, deadlineMs: after, late: 'drop' })
        mark.start(t0 + after)
        await sleep(Math.max(0, after - 2))
        const inFlight = p.load.running > 0
        await s.done
        mark.settled()
        return inFlight
      },
    },
    {
      name: 'aggregate(): abort() while queued behind another proof',
      cpu: false,
      run: async (mark) => {
        const other = p.aggregate(group)
        await sleep(after / 2)
        const ac = new AbortController()
        const pr = p.aggregate(group, { signal: ac.signal }).catch(() => undefined)
        await sleep(after / 2)
        const queued = p.load.queued > 0
        mark.start(performance.now())
        ac.abort()
        await pr
        mark.settled()
        await other
        return !queued
      },
    },
    {
      name: 'session: cancel() while its group waits behind another proof',
      cpu: false,
      run: async (mark) => {
        const other = p.aggregate(group)
        await sleep(after / 2)
        const s = p.startSession([group2], { admission: false })
        await sleep(after / 2)
        const queued = p.load.queued > 0
        mark.start(performance.now())
        s.cancel('bench')
        await s.done
        mark.settled()
        await other
        return !queued
      },
    },
    {
      name: 'session: deadline while its group waits behind another proof',
      cpu: false,
      run: async (mark) => {
        const other = p.aggregate(group)
        await sleep(after / 2)
        const t0 = performance.now()
        const s = p.startSession([group2], { admission: false, deadlineMs: after / 2, late: 'drop' })
        mark.start(t0 + after / 2)
        await sleep(Math.max(0, after / 2 - 2))
        const queued = p.load.queued > 0
        await s.done
        mark.settled()
        await other
        return !queued
      },
    },
  ]

  const modes = isolationModes()
  const out = []
  for (const isolation of modes) {
    const p = prover.capabilities.isolation === isolation ? prover : new Prover({ backend: config.backend, threads: config.threads, simulated, isolation })
    if (p !== prover) await p.setup()
    for (const d of scenarios(p)) {
      const runs = []
      for (let r = 0; r < config.cancelRounds; r++) {
        await p.idle()
        await sleep(100)
        const cpu = new CpuSampler(10).start()
        let t0 = 0
        let settledAt = 0
        const inFlight = await d.run({ start: (t) => (t0 = t), settled: () => (settledAt = performance.now()) })
        await p.idle()
        const laneFreeMs = performance.now() - t0
        await sleep(300) // watch the CPU after the lane is free
        cpu.stop()
        runs.push({
          inFlight,
          settleMs: settledAt - t0,
          laneFreeMs: d.cpu ? laneFreeMs : null,
          cpuStoppedMs: d.cpu ? cpu.freeAfter(t0, 50, idleCores, { forGood: false }) : null,
          cpuFreeMs: d.cpu ? cpu.freeAfter(t0, 50, idleCores) : null,
        })
      }
      const first = runs[0]
      log(`cancel: ${d.name} (${isolation}): settled ${first.settleMs.toFixed(1)} ms${d.cpu ? `, CPU free ${first.cpuFreeMs?.toFixed(0)} ms` : ''}`)
      out.push({
        name: d.name,
        isolation,
        proofInFlight: runs.every((x) => x.inFlight) ? true : runs.every((x) => !x.inFlight) ? false : null,
        settleMs: summary(runs.map((x) => x.settleMs)),
        laneFreeMs: summary(runs.map((x) => x.laneFreeMs).filter((x) => x != null)),
        cpuStoppedMs: summary(runs.map((x) => x.cpuStoppedMs).filter((x) => x != null)),
        cpuFreeMs: summary(runs.map((x) => x.cpuFreeMs).filter((x) => x != null)),
      })
    }
    if (p !== prover) await p.close()
  }
  return {
    rounds: config.cancelRounds,
    signatures: config.cancelSize,
    cancelAfterMs: after,
    proofMs: round(proofMs),
    cpuIdleCores: idleCores,
    isolationNote: modes.includes('process')
      ? 'With isolation: "process" the proof\'s process is killed, so its CPU stops at once; the prover server then forks a replacement worker once it has been idle for 100 ms (tens of ms of one core, off every proof\'s path): that is the gap between "CPU stopped" and "CPU idle for good".'
      : 'Only in-process: process isolation is not available in this build or on this platform (`prover.capabilities`).',
    scenarios: out,
  }
}

results.cancel = has('cancel') ? await cancelSection() : notSelected

// ---------------------------------------------------------------- outputs
if (native) {
  results.native.discardedStdoutLines = Object.values(natives).reduce((a, nb) => a + nb.otherLines, 0)
  for (const nb of Object.values(natives)) await nb.close()
}
await prover.close()
rmSync(work, { recursive: true, force: true })
results.durationS = round((performance.now() - started) / 1000, 1)

results.machine.loadAverageEnd = os.loadavg().map((x) => round(x, 2))
const outDir = opt.out ? path.resolve(opt.out) : path.join(root, 'bench', 'results')
mkdirSync(outDir, { recursive: true })
const base = path.join(outDir, `${date.slice(0, 16).replace(':', '-')}-${machineSlug(results.machine)}`)
writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`)
await publish(results, base)

/** Write the chart beside `base`.json, print the tables, and with --readme update the README. */
async function publish(results, base) {
  const svg = results.prove.skipped ? null : await renderSvg(results)
  if (svg) writeFileSync(`${base}.svg`, svg)
  const text = report(results)
  process.stdout.write(`\n${text}\n`)
  log(`wrote ${path.relative(process.cwd(), `${base}.json`)}${svg ? ` and ${path.relative(process.cwd(), `${base}.svg`)}` : ''}`)
  if (!opt.readme) return
  if (!svg) throw new Error('--readme needs the prove section')
  copyFileSync(`${base}.svg`, path.join(root, 'bench', 'latest.svg'))
  const readmePath = path.join(root, 'README.md')
  const readme = readFileSync(readmePath, 'utf8')
  const begin = '<!-- bench:begin -->'
  const end = '<!-- bench:end -->'
  const i = readme.indexOf(begin)
  const j = readme.indexOf(end)
  if (i < 0 || j < i) throw new Error('README.md has no bench:begin/bench:end markers')
  const block = `${begin}\n![Per-group prove latency, leanagg against leanMultisig from Rust](bench/latest.svg)\n\n${text}\n${end}`
  writeFileSync(readmePath, readme.slice(0, i) + block + readme.slice(j + end.length))
  log('updated README.md and bench/latest.svg')
}
