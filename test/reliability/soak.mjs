// Soak: thousands of sessions on the simulated backend (cancels, supersedes, deadlines, panics,
// closes), or a short run on the real prover. Prints one JSON line: resident-memory slope per
// thousand sessions, native memory reported to V8 at the start and the end (handles collected give
// theirs back), handles still active at the end. The process must then exit by itself.
//   node --expose-gc test/reliability/soak.mjs [--sessions N] [--real]
import { parseArgs } from 'node:util'
import { Prover, buildSnapshot, reportedExternalMemory } from '../../dist/index.js'

const { values } = parseArgs({ options: { sessions: { type: 'string', default: '2000' }, real: { type: 'boolean', default: false } } })
const total = Number(values.sessions)
const backend = values.real ? 'lean-multisig' : 'simulated'
const gc = globalThis.gc ?? (() => {})

const message = (n) => {
  const m = new Uint8Array(32)
  new DataView(m.buffer).setUint32(0, n, true)
  return m
}
const PANIC = message(0xdead)
const newProver = () =>
  new Prover({
    backend,
    simulated: { proveBaseMs: 0.3, perSignerMs: 0.05, panicOn: [PANIC] },
    sessions: { busy: 'cancel-previous', prior: { baseMs: 0.3, perSignerMs: 0, perChildMs: 0 } },
    // Four keys sign every group of a slot (and slots wrap at 1024): a test's reuse, on purpose.
    signing: { unguardedForTests: true },
  })

let prover = newProver()
await prover.setup()
const keys = await Promise.all([1, 2, 3, 4].map((i) => prover.generateKey(new Uint8Array(32).fill(i), 0, 1023)))
const signed = new Map()
async function groupsFor(slot, n) {
  const out = []
  for (let g = 0; g < n; g++) {
    const msg = g === 0 && slot % 7 === 0 ? PANIC : message(slot * 8 + g)
    const k = `${slot}:${g}`
    if (!signed.has(k))
      signed.set(k, await Promise.all(keys.map(async (key) => ({ publicKey: key.publicKey, signature: await prover.sign(key, msg, slot % 1024) }))))
    out.push({ message: msg, slot: slot % 1024, signatures: signed.get(k) })
  }
  if (signed.size > 400) signed.clear()
  return out
}

/** Collect, and let the finalizers that give native memory back run (they follow the GC). */
async function collect() {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((r) => setImmediate(r))
  }
}
// Measured after a few sessions: the last results stay referenced from this module's frames (a
// bounded few, whatever the count), so the start must include them as the end does.
const WARM_UP = Math.min(5, total - 1)
// About 40 memory samples whatever the count, so a short run on the real prover has a slope too.
const SAMPLE_EVERY = Math.max(1, Math.floor(total / 40))
let externalStart = 0
const samples = []
const outcomes = {}
let proofs = 0
const started = Date.now()
for (let i = 0; i < total; i++) {
  if (i === WARM_UP) {
    await collect()
    externalStart = reportedExternalMemory()
  }
  const kind = i % 5 // 0: plain, 1: cancel, 2: superseded, 3: tight deadline, 4: abort signal
  const ac = new AbortController()
  const session = prover.startSession(buildSnapshot(await groupsFor(i, 1 + (i % 3))), {
    deadlineMs: kind === 3 ? 1 : 5_000,
    late: kind === 3 ? 'drop' : 'deliver',
    signal: ac.signal,
  })
  if (kind === 1) setImmediate(() => session.cancel('soak'))
  if (kind === 4) queueMicrotask(() => ac.abort())
  if (kind === 2) {
    const next = prover.startSession(buildSnapshot(await groupsFor(i + 100_000, 1)), { deadlineMs: 5_000 })
    for await (const _ of next) proofs++
    const s = await next.done
    outcomes[s.outcome] = (outcomes[s.outcome] ?? 0) + 1
  }
  for await (const _ of session) proofs++
  const summary = await session.done
  outcomes[summary.outcome] = (outcomes[summary.outcome] ?? 0) + 1
  if (i % 500 === 499) {
    // Close and replace the prover, as a client restarting its aggregator would.
    await prover.close({ timeoutMs: 1_000 })
    prover = newProver()
    await prover.setup()
  }
  if (i % SAMPLE_EVERY === 0) {
    gc()
    samples.push([i, process.memoryUsage().rss])
  }
}
await prover.close({ timeoutMs: 1_000 })
// The signature cache is the soak's own (Buffers count toward V8's external memory too).
signed.clear()
await collect()
samples.push([total, process.memoryUsage().rss])
const externalEnd = reportedExternalMemory()

// Least-squares slope over the second half (after warm-up), bytes per session.
const tail = samples.slice(Math.floor(samples.length / 2))
const mx = tail.reduce((a, [x]) => a + x, 0) / tail.length
const my = tail.reduce((a, [, y]) => a + y, 0) / tail.length
const slope =
  tail.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) /
  Math.max(
    1,
    tail.reduce((a, [x]) => a + (x - mx) ** 2, 0),
  )
await new Promise((r) => setTimeout(r, 50))
const handles = process.getActiveResourcesInfo().filter((h) => !['TTYWrap', 'PipeWrap', 'FSReqCallback'].includes(h))
process.stdout.write(
  `${JSON.stringify({
    backend,
    sessions: total,
    proofs,
    outcomes,
    seconds: (Date.now() - started) / 1000,
    rssStartMB: samples[0][1] / 2 ** 20,
    rssEndMB: samples.at(-1)[1] / 2 ** 20,
    rssSlopeKBPer1000Sessions: (slope * 1000) / 1024,
    rssSlopeKBPer100Proofs: proofs ? (slope * total * 100) / proofs / 1024 : 0,
    externalStartKB: externalStart / 1024,
    externalEndKB: externalEnd / 1024,
    handles,
  })}\n`,
)
