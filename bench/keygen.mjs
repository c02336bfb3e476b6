#!/usr/bin/env node
// Key generation for real key lifetimes (issue 16): time, memory and bytes at rest for keys of
// 2^10 .. 2^20 slots (2^20 is MAX_KEY_SLOTS, the largest range leanagg generates), each in a fresh
// process so one key's tree does not weigh on the next; and, for the largest, whether the event
// loop stays free meanwhile (monitorEventLoopDelay) and what an abort does.
//   node bench/keygen.mjs [--backend lean-multisig|simulated] [--from 10] [--to 20] [--rounds 1]
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string', default: 'lean-multisig' },
    from: { type: 'string', default: '10' },
    to: { type: 'string', default: '20' },
    step: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
    child: { type: 'string' },
    abort: { type: 'boolean', default: false },
    // The abort probe's key: its keygen runs to its end after the abort, so keep it moderate.
    'abort-log': { type: 'string', default: '16' },
  },
})

if (flags.child !== undefined) {
  // One key in this process: keygen time, event-loop delay while it runs, RSS growth, sizes.
  const { monitorEventLoopDelay } = await import('node:perf_hooks')
  const { Prover, encodeKeyFile } = await import('../dist/index.js')
  const prover = new Prover({ backend: flags.backend, signing: { unguardedForTests: true } })
  const slots = 2 ** Number(flags.child)
  // Peak resident memory (VmHWM, Linux), before and after: what building the key's tree takes.
  const { readFileSync } = await import('node:fs')
  const hwm = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? Number.NaN) / 1024
  const hwm0 = hwm()
  const loop = monitorEventLoopDelay({ resolution: 1 })
  let ticks = 0
  const ticker = setInterval(() => ticks++, 10)
  loop.enable()
  const ac = new AbortController()
  const t = performance.now()
  let result
  if (flags.abort) {
    setTimeout(() => ac.abort(), 200)
    const err = await prover.generateKey(new Uint8Array(32).fill(7), 0, slots - 1, { signal: ac.signal }).catch((e) => e)
    const settledMs = performance.now() - t - 200
    // The promise has settled; the native keygen has no stop hook: time until the pool is idle.
    const busy = performance.now()
    await prover.generateKey(new Uint8Array(32).fill(8), 0, 0)
    result = { slots, abort: err?.code, settledAfterAbortMs: settledMs, poolFreeAfterAbortMs: performance.now() - busy + 0 }
  } else {
    const key = await prover.generateKey(new Uint8Array(32).fill(7), 0, slots - 1)
    const ms = performance.now() - t
    const peak = hwm() - hwm0
    const file = await encodeKeyFile(key, { passphrase: 'bench' })
    result = { slots, keygenMs: ms, peakGrowthMB: peak, secretKeyBytes: key.toBytes().length, keyFileBytes: file.length }
  }
  loop.disable()
  clearInterval(ticker)
  result.loopP99Ms = loop.percentile(99) / 1e6
  result.loopMaxMs = loop.max / 1e6
  result.timerTicks = ticks
  await prover.close()
  process.stdout.write(JSON.stringify(result))
  process.exit(0)
}

const self = fileURLToPath(import.meta.url)
const run = (args) => {
  const r = spawnSync(process.execPath, [self, '--backend', flags.backend, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 })
  if (r.status !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout)
}
const f = (x, d = 0) => x.toFixed(d)
process.stdout.write(
  `backend ${flags.backend}\n\n| slots | keygen ms | peak RSS growth MB | event loop p99 / max ms | secret key bytes | key file bytes (encrypted) |\n| --- | --- | --- | --- | --- | --- |\n`,
)
for (let log = Number(flags.from); log <= Number(flags.to); log += Number(flags.step)) {
  for (let r = 0; r < Number(flags.rounds); r++) {
    const x = run(['--child', String(log)])
    process.stdout.write(
      `| 2^${log} | ${f(x.keygenMs)} | ${f(x.peakGrowthMB, 1)} | ${f(x.loopP99Ms, 1)} / ${f(x.loopMaxMs, 1)} | ${x.secretKeyBytes} | ${x.keyFileBytes} |\n`,
    )
  }
}
const a = run(['--child', flags['abort-log'], '--abort'])
process.stdout.write(
  `\nabort 200 ms into a keygen of 2^${flags['abort-log']} slots: rejected with ${a.abort} ${f(a.settledAfterAbortMs, 1)} ms after abort(); a 1-slot keygen started then finished ${f(a.poolFreeAfterAbortMs)} ms later (the native keygen has no stop hook: it runs to its end on the prover pool); event loop p99 / max meanwhile ${f(a.loopP99Ms, 1)} / ${f(a.loopMaxMs, 1)} ms\n`,
)
