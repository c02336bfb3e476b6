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
//
// This file runs the sections in order; each is a module of bench/run/ (setup, prove, batch,
// micro, loop, cancel) given the run's shared context (bench/run/context.mjs).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { machine, machineLine, machineSlug } from './lib/machine.mjs'
import { nativeAvailable } from './lib/native.mjs'
import { round } from './lib/stats.mjs'
import { batchSection } from './run/batch.mjs'
import { cancelSection } from './run/cancel.mjs'
import { startRun } from './run/context.mjs'
import { loopSection } from './run/loop.mjs'
import { microSection } from './run/micro.mjs'
import { config, opt, quick, root, simulated } from './run/options.mjs'
import { proveSection } from './run/prove.mjs'
import { publish } from './run/publish.mjs'
import { setupSection } from './run/setup.mjs'

const started = performance.now()
const log = (msg) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}\n`)
const has = (s) => config.sections.includes(s)
const notSelected = { skipped: 'not selected (--sections)' }

// --from <results.json>: render the chart, the tables and (--readme) the README from a past run.
if (opt.from) {
  const file = path.resolve(opt.from)
  await publish(JSON.parse(readFileSync(file, 'utf8')), file.replace(/\.json$/, ''), log)
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

// Setup first, in fresh processes, before this process holds a prover.
results.setup = has('setup') ? await setupSection({ config, log, useNative, nativeReason, root }) : notSelected

const ctx = { Prover, config, simulated, log, nativeReason, results, work, ...(await startRun({ Prover, log, useNative, results, work, cacheDir })) }
const { prover, natives, native } = ctx
if (has('prove')) {
  const p = await proveSection(ctx)
  ctx.lastAggs = p.lastAggs
  delete p.lastAggs
  results.prove = p
} else results.prove = notSelected
results.batch = has('batch') ? await batchSection(ctx) : notSelected
results.micro = has('micro') ? await microSection(ctx) : notSelected
results.eventLoop = has('loop') ? await loopSection(ctx) : notSelected
results.cancel = has('cancel') ? await cancelSection(ctx) : notSelected

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
await publish(results, base, log)
