// leanagg's default on the real prover: the same seeded slots, signed with real XMSS keys,
// proved by leanMultisig in real time (4 s slots, sessions at interval 2, 750 ms deadlines).
// The prover pool is sized once per process, so a lanes x threads sweep runs each combination
// in its own child process (see sessions.mjs --live --lanes 1,2 --threads 1,2).
import { Prover } from 'leanagg'
import { TIMING, tally } from './replay.mjs'
import { makeWorkload } from './workload.mjs'
import { messageOf } from './sim.mjs'

const silent = { debug() {}, warn() {} }
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

/** One live run; returns the tally row plus measured prove times. Progress goes to stderr. */
export async function liveRun({ slots = 4, seed = 1, lanes = 1, threads, workload, backend = 'lean-multisig' }) {
  const note = (msg) => process.stderr.write(`[live lanes=${lanes} threads=${threads ?? 'all'}] ${msg}\n`)
  const prover = new Prover({ backend, logger: silent, maxConcurrentProofs: lanes, ...(threads !== undefined && { threads }) })
  let t = Date.now()
  await prover.setup()
  note(`setup ${Date.now() - t} ms`)

  const work = makeWorkload({ seed, slots, ...workload })
  t = Date.now()
  const inputs = await prepare(prover, work)
  note(`signed ${work.length} slots and proved their children in ${Date.now() - t} ms`)

  const t0 = Date.now() + 1000
  const tickOf = (slot) => t0 + (slot - 1) * TIMING.slotMs + TIMING.intervalMs
  const events = []
  const proofs = []
  const sessions = []
  for (const [i, w] of work.entries()) {
    await sleep(tickOf(w.slot) - Date.now())
    const session = prover.startSession(inputs[i], { deadlineMs: TIMING.deadlineMs, ...(lanes > 1 && { concurrency: lanes }) })
    const index = new Map(inputs[i].map((g, k) => [`${Buffer.from(g.message).toString('hex')}:${g.slot}`, k]))
    session.on('result', (r) => {
      events.push({ slot: w.slot, index: index.get(r.key), at: r.finishedAt, applied: true })
      proofs.push({ slot: w.slot, raw: r.signatureCount, children: r.childCount, startedAt: r.startedAt, provedAt: r.provedAt })
    })
    sessions.push(session.done)
  }
  const summaries = await Promise.all(sessions)
  await prover.idle()
  await prover.close()
  const deadlineOf = (slot) => tickOf(slot) + TIMING.deadlineMs
  const row = tally(work, events, [], deadlineOf)
  row.afterDeadlineS = busyAfterDeadline(proofs, deadlineOf) / 1000
  row.wastedS = Number.NaN // abandoned native proofs are not visible from JS
  return {
    name: `leanagg live (lanes ${lanes}, threads ${threads ?? 'all'})`,
    lanes,
    threads: threads ?? null,
    ...row,
    admitted: summaries.reduce((acc, s) => {
      for (const [k, v] of Object.entries(s.admitted)) acc[k] = (acc[k] ?? 0) + v
      return acc
    }, {}),
    proveMs: proveTimes(proofs, lanes),
  }
}

/** Real keys and signatures for every group, and real child aggregates (proved now, untimed). */
async function prepare(prover, work) {
  const maxId = Math.max(...work.flatMap((w) => w.groups.flatMap((g) => [...g.raw, ...g.children.flat()])))
  const lastSlot = Math.max(...work.map((w) => w.slot)) + 1
  const keys = []
  for (let id = 0; id <= maxId; id++) {
    const seed = new Uint8Array(32)
    new DataView(seed.buffer).setUint32(0, id + 1, true)
    keys.push(await prover.generateKey(seed, 0, lastSlot))
  }
  const signed = async (message, slot, ids) =>
    Promise.all(ids.map(async (id) => ({ publicKey: keys[id].publicKey, signature: await prover.sign(keys[id], message, slot) })))
  const out = []
  for (const w of work) {
    const groups = []
    for (const [index, g] of w.groups.entries()) {
      const message = messageOf(w.slot, index, g.jitter)
      const children = []
      for (const ids of g.children) children.push(await prover.aggregate({ message, slot: w.slot, signatures: await signed(message, w.slot, ids) }))
      groups.push({ message, slot: w.slot, signatures: await signed(message, w.slot, g.raw), children })
    }
    out.push(groups)
  }
  return out
}

/** Wall seconds during which some proof ran after its slot's deadline (union of intervals). */
function busyAfterDeadline(proofs, deadlineOf) {
  const spans = proofs
    .map((p) => [Math.max(p.startedAt, deadlineOf(p.slot)), p.provedAt])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0])
  let total = 0
  let end = -Infinity
  for (const [a, b] of spans) {
    if (a > end) total += b - a
    else if (b > end) total += b - end
    end = Math.max(end, b)
  }
  return total
}

/** Median prove time per size bucket, from proofs that did not wait for another (one lane only). */
function proveTimes(proofs, lanes) {
  const sorted = [...proofs].sort((a, b) => a.provedAt - b.provedAt)
  const buckets = new Map()
  let prev = -Infinity
  for (const p of sorted) {
    const start = Math.max(p.startedAt, prev)
    prev = p.provedAt
    if (lanes !== 1 || p.children > 0) continue
    const bucket = p.raw <= 1 ? '1' : p.raw <= 8 ? '2-8' : p.raw <= 32 ? '9-32' : '33-128'
    if (!buckets.has(bucket)) buckets.set(bucket, [])
    buckets.get(bucket).push([p.raw, p.provedAt - start])
  }
  const out = {}
  for (const [bucket, xs] of buckets) {
    const ms = xs.map((x) => x[1]).sort((a, b) => a - b)
    out[bucket] = { n: xs.length, meanSigners: Math.round(xs.reduce((s, x) => s + x[0], 0) / xs.length), medianMs: Math.round(ms[Math.floor(ms.length / 2)]) }
  }
  return out
}
