// Scheduling benchmark: replays the same seeded slots under the clients' aggregation policies and
// leanagg's default, on a simulated prover whose times follow leanMultisig's measured curve, and
// reports per policy: signers aggregated before the deadline and late, slots that aggregated
// nothing while work waited, prover time spent after the deadline and on results never applied.
//
//   node bench/sessions.mjs                      every workload, 200 slots (a few seconds)
//   node bench/sessions.mjs --quick              two short workloads, devnet and arrival-gossip (CI)
//   node bench/sessions.mjs --lanes 1,2          also leanagg with 2 lanes (simulated)
//   node bench/sessions.mjs --live [--slots 4]   leanagg's open session on the real prover, votes fed
//                                                as they arrive (arrival-gossip; needs the real-prover build)
//   node bench/sessions.mjs --live --mode snapshot [--workload arrival-uniform]   leanagg's snapshot
//                                                default live (devnet-like slots unless an arrival workload is named)
//   node bench/sessions.mjs --live --lanes 1,2 --threads 1,2   lanes x pool sweep, one process per combination
// Arrival workloads (names say "arrival"): votes sent at interval 1 with arrival times; the snapshot
// policies take what arrived by interval 2, leanagg (open) each vote as it arrives, and a last row
// gives the offline bound (one prover knowing every arrival and proof time in advance).
// Options: --seed N, --slots N, --workload devnet|small|heavy|arrival-gossip|arrival-uniform (or a
//          comma list), --mode open|snapshot (live), --curve 1:280,8:500,32:900,128:2300,
//          --child-ms 2100-2300, --shared 0.82, --json (one JSON document on stdout).
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { liveArrivalRun, liveRun } from './sessions/live.mjs'
import { CHILD_MS, MEASURED_CURVE, SHARED_SLOWDOWN, parseCurve, proveModel } from './sessions/model.mjs'
import { ARRIVAL_TIMING, ARRIVAL_WORKLOADS, GOSSIP, boundRow, isArrivalWorkload, makeArrivalWorkload } from './sessions/arrivals.mjs'
import { replayOpen, replaySnapshot } from './sessions/open.mjs'
import { ethlambda, gean, leanagg, zeam } from './sessions/policies.mjs'
import { arrivalTable, arrivalVerdict, markdown, policyTable, share, verdict } from './sessions/report.mjs'
import { replay } from './sessions/replay.mjs'
import { WORKLOADS, makeWorkload } from './sessions/workload.mjs'

const args = parseArgs(process.argv.slice(2))
const list = (v, fallback) => (v === undefined ? fallback : String(v).split(',').map(Number))

if (args.live) await live()
else await simulate()

async function simulate() {
  const quick = Boolean(args.quick)
  const slots = Number(args.slots ?? (quick ? 12 : 200))
  const seed = Number(args.seed ?? 1)
  const all = { ...WORKLOADS, ...ARRIVAL_WORKLOADS }
  const names = args.workload ? String(args.workload).split(',') : quick ? ['devnet', 'arrival-gossip'] : Object.keys(all)
  const lanes = list(args.lanes, [1])
  const [lo, hi] = String(args['child-ms'] ?? `${CHILD_MS.min}-${CHILD_MS.max}`)
    .split('-')
    .map(Number)
  const model = proveModel({
    curve: args.curve ? parseCurve(args.curve) : MEASURED_CURVE,
    childMs: { min: lo, max: hi },
    shared: Number(args.shared ?? SHARED_SLOWDOWN),
  })
  const clients = [ethlambda, zeam, gean]
  const runs = [...clients.map((p) => [p, {}]), ...lanes.map((n) => [leanagg, { lanes: n, variant: { lanes: n } }])]
  const report = { mode: 'simulated', seed, slots, model: { curve: model.curve, childMs: model.childMs, shared: model.shared }, gossip: GOSSIP, workloads: [] }
  for (const name of names) {
    if (!all[name]) throw new Error(`unknown workload ${name}; one of ${Object.keys(all).join(', ')}`)
    const rows = []
    if (isArrivalWorkload(name)) {
      // One prover lane for leanagg here: the bound is one prover's.
      const work = makeArrivalWorkload({ seed, slots, ...ARRIVAL_WORKLOADS[name] })
      for (const policy of clients) rows.push(await replaySnapshot(work, policy, { model }))
      rows.push(await replaySnapshot(work, leanagg, { model, lanes: 1, variant: { lanes: 1, label: 'leanagg (snapshot)' } }))
      rows.push(await replayOpen(work, { model }))
      rows.push(await replayOpen(work, { model, expectVotes: true }))
      rows.push(boundRow(work, model))
      report.workloads.push({ name, arrivals: true, rows, verdict: arrivalVerdict(rows) })
      continue
    }
    const work = makeWorkload({ seed, slots, ...WORKLOADS[name] })
    for (const [policy, opts] of runs) {
      const { policy: _p, trace: _t, ...row } = await replay(work, policy, { model, ...opts })
      rows.push(row)
    }
    report.workloads.push({ name, rows, verdict: verdict(rows) })
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`)
    return
  }
  const curve = model.curve.map(([n, ms]) => `${n}:${ms}`).join(',')
  console.log(
    `Simulated prover: ${curve} ms (signatures:ms), +${model.childMs.min}-${model.childMs.max} ms per child, shared slowdown ${model.shared}; seed ${seed}, ${slots} slots of 4 s, deadline 750 ms after interval 2.\n`,
  )
  for (const w of report.workloads) {
    const offered = w.rows[0].offered
    console.log(`### ${w.name} (${offered} signers offered, ${w.rows[0].waitingSlots} slots with work)\n`)
    if (w.arrivals) {
      const how =
        ARRIVAL_WORKLOADS[w.name].arrivals === 'gossip'
          ? `votes sent at ${ARRIVAL_TIMING.sendAt} ms + 0-${GOSSIP.signJitterMs} ms, log-normal gossip delay (median ${GOSSIP.medianMs} ms, sigma ${GOSSIP.sigma})`
          : `arrivals uniform over interval 1 (${ARRIVAL_TIMING.sendAt}-${ARRIVAL_TIMING.snapshotAt} ms)`
      console.log(
        `${how}; snapshot policies at ${ARRIVAL_TIMING.snapshotAt} ms, leanagg (open) from slot start, deadline ${ARRIVAL_TIMING.deadlineAt} ms. Head eligible: a proof of all its votes started at the last one's arrival ends by the deadline. bound: one prover, every arrival and proof time known in advance.\n`,
      )
      console.log(arrivalTable(w.rows))
      console.log(`\n${w.verdict}\n`)
      const open = w.rows.find((r) => r.name === 'leanagg (open)')
      if (open?.missedHead.length) console.log(`${missLine(open)}\n`)
      continue
    }
    console.log(policyTable(w.rows))
    console.log(`\n${w.verdict}\n`)
  }
}

async function live() {
  const slots = Number(args.slots ?? 4)
  const seed = Number(args.seed ?? 1)
  const mode = String(args.mode ?? 'open')
  if (mode !== 'open' && mode !== 'snapshot') throw new Error(`--mode is open or snapshot, got ${mode}`)
  // The open mode needs arrival times; --mode snapshot alone is the older devnet-like run.
  const workloadName = String(args.workload ?? (mode === 'open' ? 'arrival-gossip' : 'devnet'))
  const arrival = isArrivalWorkload(workloadName)
  if (!arrival && !WORKLOADS[workloadName]) throw new Error(`unknown workload ${workloadName}`)
  if (mode === 'open' && !arrival) throw new Error(`--mode open needs an arrival workload (${Object.keys(ARRIVAL_WORKLOADS).join(', ')})`)
  // --backend simulated checks the live path end to end without the real prover.
  const backend = String(args.backend ?? 'lean-multisig')
  const lanes = list(args.lanes, [1])
  const threads = args.threads === undefined ? [undefined] : list(args.threads)
  const runOne = (l, t) =>
    arrival
      ? liveArrivalRun({ slots, seed, lanes: l, threads: t, workload: ARRIVAL_WORKLOADS[workloadName], workloadName, mode, backend })
      : liveRun({ slots, seed, lanes: l, threads: t, workload: WORKLOADS[workloadName], backend })
  if (args.child || (lanes.length === 1 && threads.length === 1)) {
    const row = await runOne(lanes[0], threads[0])
    if (args.json || args.child) process.stdout.write(`${JSON.stringify(row)}\n`)
    else print([row], arrival)
    return
  }
  // The prover pool is sized once per process: one child process per combination.
  const rows = []
  const self = fileURLToPath(import.meta.url)
  for (const l of lanes) {
    for (const t of threads) {
      const argv = [
        self,
        '--live',
        '--child',
        '--backend',
        backend,
        '--mode',
        mode,
        '--lanes',
        String(l),
        '--slots',
        String(slots),
        '--seed',
        String(seed),
        '--workload',
        workloadName,
      ]
      if (t !== undefined) argv.push('--threads', String(t))
      const out = spawnSync(process.execPath, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
      if (out.status !== 0) throw new Error(`live run lanes=${l} threads=${t} failed (exit ${out.status})`)
      rows.push(JSON.parse(out.stdout.trim().split('\n').at(-1)))
    }
  }
  if (args.json) process.stdout.write(`${JSON.stringify(rows)}\n`)
  else print(rows, arrival)
}

function print(rows, arrival) {
  const proveMs = (r) =>
    Object.values(r.proveMs)
      .map((b) => `${b.medianMs} (${b.meanSigners})`)
      .join(', ') || 'n/a'
  if (arrival) {
    const r0 = rows[0]
    console.log(
      `${r0.backend === 'lean-multisig' ? 'Real prover' : `Backend ${r0.backend}`}, ${r0.workload}, mode ${r0.mode}, seed ${seed()}, ${r0.slots} slots of 4 s, deadline ${ARRIVAL_TIMING.deadlineAt} ms into the slot (${r0.offered} signers offered).\n`,
    )
    const head = [
      'lanes',
      'threads',
      'signers before deadline',
      'signers late',
      'head in full before deadline',
      'head aggregated before deadline (of eligible)',
      'head in full (of eligible)',
      'slots starved',
      'busy s after deadline',
      'prover s replaced',
      'median prove ms (signers)',
    ]
    const body = rows.map((r) => [
      r.lanes,
      r.threads ?? 'all',
      r.before,
      r.late,
      `${r.headCovered}/${r.slots}`,
      share(r.headAggregated, r.headEligible),
      share(r.headHit, r.headEligible),
      `${r.starved}/${r.waitingSlots}`,
      r.afterDeadlineS.toFixed(1),
      Number.isFinite(r.wastedS) ? r.wastedS.toFixed(1) : 'n/a',
      proveMs(r),
    ])
    console.log(markdown(head, body))
    for (const r of rows) {
      const refused = Object.entries(r.refused).map(([k, v]) => `${k} ${v}`)
      console.log(
        `\nlanes ${r.lanes}: ${r.engine.results} results (${r.engine.reproofs} re-proofs), sessions ${JSON.stringify(r.engine.outcomes)}, votes refused: ${refused.join(', ') || 'none'}` +
          (r.feedLateMs ? `, votes fed late by ${r.feedLateMs.median} ms median, ${r.feedLateMs.max} ms max` : '') +
          `; head missed in eligible slots ${r.missedHead.join(', ') || 'none'}`,
      )
    }
    return
  }
  console.log(`Real prover, seed ${seed()}, ${rows[0].slots} slots of 4 s, deadline 750 ms after interval 2.\n`)
  const head = [
    'lanes',
    'threads',
    'signers before deadline',
    'signers late',
    'slots starved',
    'busy s after deadline',
    'admitted',
    'median prove ms (signers)',
  ]
  const body = rows.map((r) => [
    r.lanes,
    r.threads ?? 'all',
    r.before,
    r.late,
    `${r.starved}/${r.waitingSlots}`,
    r.afterDeadlineS.toFixed(1),
    Object.entries(r.admitted)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
    proveMs(r),
  ])
  console.log(markdown(head, body))
}

/** Where leanagg (open) missed the head group, and what it did there. */
function missLine(r) {
  const m = r.headMisses
  const kinds = Object.entries(m.kinds).map(([k, v]) => `${k} ${v}`)
  const ms = (x) => (x ? `median ${x.median} ms (${x.min}..${x.max})` : 'n/a')
  const slots = r.missedHead.length > 12 ? `${r.missedHead.slice(0, 12).join(', ')}, ...` : r.missedHead.join(', ')
  return `leanagg (open) missed the head in eligible slots ${slots}: ${kinds.join(', ')}; full proofs ended past the deadline by ${ms(m.fullLateMs)}, started after the head's last vote by ${ms(m.fullStartAfterLastVoteMs)}.`
}

function seed() {
  return Number(args.seed ?? 1)
}

function parseArgs(argv) {
  const out = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`)
    const key = a.slice(2)
    const next = argv[i + 1]
    if (next === undefined || next.startsWith('--')) out[key] = true
    else {
      out[key] = next
      i++
    }
  }
  return out
}
