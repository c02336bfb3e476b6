// leanagg on the real prover: the same seeded slots, signed with real XMSS keys, proved by
// leanMultisig in real time (4 s slots, 750 ms deadlines after interval 2). `liveArrivalRun`
// replays an arrival workload: each vote is fed at its arrival time into an open session opened
// at slot start (mode 'open'), or the votes that arrived by interval 2 go to a snapshot session
// then (mode 'snapshot'). `liveRun` is the older snapshot run of the devnet-like workloads.
// The prover pool is sized once per process, so a lanes x threads sweep runs each combination
// in its own child process (see sessions.mjs --live --lanes 1,2 --threads 1,2).
import { Prover, groupKey, noopLogger } from 'leanagg'
import { ARRIVAL_TIMING, arrivalTally, makeArrivalWorkload, snapshotOf } from './arrivals.mjs'
import { proveModel } from './model.mjs'
import { engineView } from './open.mjs'
import { TIMING, tally } from './replay.mjs'
import { messageOf } from './sim.mjs'
import { makeWorkload } from './workload.mjs'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

/** One live run; returns the tally row plus measured prove times. Progress goes to stderr. */
export async function liveRun({ slots = 4, seed = 1, lanes = 1, threads, workload, backend = 'lean-multisig' }) {
  const note = (msg) => process.stderr.write(`[live lanes=${lanes} threads=${threads ?? 'all'}] ${msg}\n`)
  const prover = new Prover({ backend, logger: noopLogger, maxConcurrentProofs: lanes, ...(threads !== undefined && { threads }) })
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

/**
 * An arrival workload on the real prover, in real time. Votes are signed up front; slot s starts
 * at t0 + (s-1) * 4 s. Mode 'open': an open session per slot, opened at slot start (deadline at
 * interval 2 + 750 ms, late results delivered), each vote added at its arrival time. Mode
 * 'snapshot': a snapshot session at interval 2 with the votes that had arrived by then. Scored
 * like the simulation (arrivals.mjs's tally; head eligibility from the simulated model's curve),
 * plus measured prove times. Prover time on replaced proofs is the engine's own count (open mode;
 * abandoned native work is not visible from JS otherwise).
 */
export async function liveArrivalRun({
  slots = 4,
  seed = 1,
  lanes = 1,
  threads,
  workload,
  workloadName,
  mode = 'open',
  backend = 'lean-multisig',
  model = proveModel(),
}) {
  const note = (msg) => process.stderr.write(`[live ${mode} ${workloadName} lanes=${lanes} threads=${threads ?? 'all'}] ${msg}\n`)
  const prover = new Prover({ backend, logger: noopLogger, maxConcurrentProofs: lanes, ...(threads !== undefined && { threads }) })
  let t = Date.now()
  await prover.setup()
  note(`setup ${Date.now() - t} ms`)

  const work = makeArrivalWorkload({ seed, slots, ...workload })
  t = Date.now()
  const inputs = await prepare(prover, work)
  note(`signed ${work.reduce((n, w) => n + w.groups.reduce((m, g) => m + g.raw.length, 0), 0)} votes of ${work.length} slots in ${Date.now() - t} ms`)

  // The engine's timers are unref'd (a pending deadline never keeps Node alive): keep it alive
  // while sessions wait for their deadline with nothing else pending.
  const keepAlive = setInterval(() => {}, 1000)
  const t0 = Date.now() + 1500
  const slotStartOf = (slot) => t0 + (slot - 1) * ARRIVAL_TIMING.slotMs
  const results = []
  const proofs = []
  const sessions = []
  const refused = {}
  const feeds = [] // votes still to be fed (a late one may land after the next slot's start)
  const lateness = [] // how late each vote was fed against its planned arrival (event-loop delay)
  const onResult = (w, indexOf) => (r) => {
    const index = indexOf.get(r.key)
    results.push({ slot: w.slot, index, signers: r.signerCount, at: r.finishedAt, provedAt: r.provedAt, key: r.key })
    proofs.push({ slot: w.slot, key: r.key, raw: r.signatureCount, children: r.childCount, startedAt: r.startedAt, provedAt: r.provedAt, endedAt: r.provedAt })
  }
  for (const [i, w] of work.entries()) {
    const start = slotStartOf(w.slot)
    const deadlineAt = start + ARRIVAL_TIMING.deadlineAt
    const indexOf = new Map(w.groups.map((g, index) => [groupKey(messageOf(w.slot, index, g.jitter), w.slot), index]))
    if (mode === 'open') {
      await sleep(start - Date.now())
      const session = prover.openSession({ deadlineAt, cutoffAt: start + ARRIVAL_TIMING.snapshotAt, late: 'deliver', ...(lanes > 1 && { concurrency: lanes }) })
      session.on('result', onResult(w, indexOf))
      sessions.push(session.done.then((s) => ({ slot: w.slot, ...s })))
      for (const [index, g] of w.groups.entries()) {
        for (const [k, at] of g.arrivals.entries()) {
          feeds.push(
            new Promise((resolve) =>
              setTimeout(
                () => {
                  lateness.push(Date.now() - (start + at))
                  try {
                    session.add({ ...inputs[i][index], signatures: [inputs[i][index].signatures[k]] })
                  } catch (err) {
                    refused[err.code ?? 'error'] = (refused[err.code ?? 'error'] ?? 0) + 1
                  }
                  resolve()
                },
                Math.max(0, start + at - Date.now()),
              ),
            ),
          )
        }
      }
    } else {
      await sleep(start + ARRIVAL_TIMING.snapshotAt - Date.now())
      const snap = snapshotOf(w, ARRIVAL_TIMING.snapshotAt)
      const groups = snap.index.map((index, j) => ({ ...inputs[i][index], signatures: inputs[i][index].signatures.slice(0, snap.groups[j].raw.length) }))
      const session = prover.startSession(groups, { deadlineAt, ...(lanes > 1 && { concurrency: lanes }) })
      session.on('result', onResult(w, indexOf))
      sessions.push(session.done.then((s) => ({ slot: w.slot, ...s })))
    }
  }
  await Promise.all(feeds)
  const summaries = await Promise.all(sessions)
  await prover.idle()
  await prover.close()
  clearInterval(keepAlive)
  const row = arrivalTally(work, results, [], model, { slotStartOf })
  row.afterDeadlineS = busyAfterDeadline(proofs, (slot) => slotStartOf(slot) + ARRIVAL_TIMING.deadlineAt) / 1000
  const engine = engineView(summaries, results)
  row.wastedS = mode === 'open' ? engine.replacedS : Number.NaN
  lateness.sort((a, b) => a - b)
  return {
    name: `leanagg live ${mode} (lanes ${lanes}, threads ${threads ?? 'all'})`,
    mode,
    backend,
    workload: workloadName,
    lanes,
    threads: threads ?? null,
    ...row,
    refused,
    engine,
    feedLateMs: lateness.length ? { median: Math.round(lateness[Math.floor(lateness.length / 2)]), max: Math.round(lateness.at(-1)) } : null,
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
