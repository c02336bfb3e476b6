// Workloads with arrival times: per slot a few groups (one per attestation data), each vote with
// the time it reaches the aggregator, in ms from slot start. Votes are sent at interval 1 (800 ms
// into the 4 s slot); snapshot policies see the votes that arrived by interval 2 (1600 ms), an
// open session sees each one as it arrives. Also: the offline bound (the best one prover could do
// knowing every arrival and proof time in advance) and the tally every policy is scored with.
import { TIMING } from './replay.mjs'
import { jitterOf, messageOf } from './sim.mjs'
import { seededRandom } from 'leanagg'
import { isTrivial } from './workload.mjs'

/** Slot timing of the arrival workloads, in ms from slot start. */
export const ARRIVAL_TIMING = Object.freeze({
  slotMs: TIMING.slotMs,
  /** Validators sign and send their vote at the start of interval 1. */
  sendAt: 800,
  /** Snapshot policies aggregate at interval 2. */
  snapshotAt: TIMING.intervalMs,
  /** interval 2 + 750 ms. */
  deadlineAt: TIMING.intervalMs + TIMING.deadlineMs,
})

/**
 * Gossip delay, log-normal. Public measurements are of mainnet (about a million validators, 64
 * subnets, several hops): "An analysis of attestation timings in a 6 s slot" (ethresear.ch
 * t/23016, Aug 2025, Xatu data) finds attestations of missed slots, i.e. pure propagation,
 * arriving on average 831 ms after they are due, the 95th percentile at 1962 ms; ProbeLab's
 * "Gossipsub Message Propagation Latency" (ethresear.ch t/19982, 2024) finds blocks to have
 * similar sub-second medians with long tails. A lean devnet has a handful of nodes one or two
 * hops apart, so this takes a devnet-sized assumption instead: median 150 ms, sigma 0.66 (p95
 * ~445 ms, p99 ~700 ms). The arrival-uniform workload covers the pessimistic end (mainnet-like
 * spread over the whole interval).
 */
export const GOSSIP = Object.freeze({ medianMs: 150, sigma: 0.66, signJitterMs: 50 })

export const ARRIVAL_WORKLOADS = Object.freeze({
  /** Sent at 800 ms plus up to 50 ms of signing and clock skew, arriving after a gossip delay. */
  'arrival-gossip': { arrivals: 'gossip', minGroups: 1, maxGroups: 6, minHead: 8, maxHead: 128 },
  /** Pessimistic: arrivals uniform over interval 1 (800-1600 ms). */
  'arrival-uniform': { arrivals: 'uniform', minGroups: 1, maxGroups: 6, minHead: 8, maxHead: 128 },
})

export const isArrivalWorkload = (name) => Object.hasOwn(ARRIVAL_WORKLOADS, name)

/**
 * Slots `{ slot, head, groups: [{ id, raw: [ids], arrivals: [ms], children: [], jitter }] }`:
 * 1-6 groups; the head group (index `head`) holds 8-128 signers (log-uniform), each fork at most
 * a quarter of it. A group's `raw` is sorted by arrival (`arrivals[i]` is when `raw[i]` arrives);
 * groups are in order of their first arrival (the order an open session indexes them by). No
 * children: recursion is far slower than re-proving at this revision.
 */
export function makeArrivalWorkload({ seed = 1, slots = 100, arrivals = 'gossip', minGroups = 1, maxGroups = 6, minHead = 8, maxHead = 128 } = {}) {
  const rand = seededRandom(seed ^ 0x5eed)
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1))
  const logUniform = (lo, hi) => Math.max(lo, Math.min(hi, Math.round(2 ** (Math.log2(lo) + rand() * (Math.log2(hi) - Math.log2(lo))))))
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
  const arrival = () => {
    if (arrivals === 'uniform') return ARRIVAL_TIMING.sendAt + rand() * (ARRIVAL_TIMING.snapshotAt - ARRIVAL_TIMING.sendAt)
    if (arrivals === 'gossip') return ARRIVAL_TIMING.sendAt + rand() * GOSSIP.signJitterMs + GOSSIP.medianMs * Math.exp(GOSSIP.sigma * normal())
    throw new Error(`unknown arrivals ${arrivals}`)
  }
  const out = []
  for (let s = 0; s < slots; s++) {
    const headSize = logUniform(minHead, maxHead)
    const sizes = [headSize]
    for (let g = int(minGroups, maxGroups) - 1; g > 0; g--) sizes.push(logUniform(1, Math.max(1, Math.floor(headSize / 4))))
    let next = 0
    const groups = sizes.map((size, g) => {
      const votes = Array.from({ length: size }, (_, i) => [next + i, arrival()]).sort((a, b) => a[1] - b[1])
      next += size
      return { id: g, raw: votes.map((v) => v[0]), arrivals: votes.map((v) => v[1]), children: [], jitter: rand() * 2 - 1 }
    })
    groups.sort((a, b) => a.arrivals[0] - b.arrivals[0])
    const head = groups.findIndex((g) => g.id === 0)
    out.push({ slot: s + 1, head, groups: groups.map((g, i) => ({ ...g, id: `${s + 1}/${i}` })) })
  }
  return out
}

/**
 * What a snapshot policy receives at `atMs` into the slot: the groups made of the votes that had
 * arrived by then (groups still empty dropped), and `index[i]`: group i's index in `work`.
 */
export function snapshotOf(work, atMs) {
  const groups = []
  const index = []
  for (const [i, g] of work.groups.entries()) {
    const n = countBy(g.arrivals, atMs)
    if (n === 0) continue
    groups.push({ ...g, raw: g.raw.slice(0, n), arrivals: g.arrivals.slice(0, n) })
    index.push(i)
  }
  return { slot: work.slot, groups, index }
}

/** Votes of sorted `arrivals` that came by `atMs`. */
export function countBy(arrivals, atMs) {
  let n = 0
  while (n < arrivals.length && arrivals[n] <= atMs) n++
  return n
}

/** Solo ms of a proof of the first n votes of group `index` of `work`: the simulated prover's own time. */
export function proofMs(model, work, index, n) {
  const g = work.groups[index]
  return model.soloMs(n, [], jitterOf(messageOf(work.slot, index, g.jitter)))
}

/** The head group can be covered in full before the deadline: a proof of all its votes, started at the last one's arrival, ends by then. */
export function headEligible(work, model, deadlineAt = ARRIVAL_TIMING.deadlineAt) {
  return headSlackMs(work, model, deadlineAt) >= 0
}

/** What a proof of all the head's votes, started at the last one's arrival, leaves to spare before the deadline. */
export function headSlackMs(work, model, deadlineAt = ARRIVAL_TIMING.deadlineAt) {
  const head = work.groups[work.head]
  return deadlineAt - head.arrivals.at(-1) - proofMs(model, work, work.head, head.raw.length)
}

/**
 * Eligible with room to spare: the slack is at least this share of the head's proof time, twice
 * the simulated prover's own noise (+-5%). With less, no scheduler that must wait to learn that
 * the votes stopped and cannot know a proof's time to better than its noise can count on it.
 */
export const CLEAR_SLACK = 0.1

function headClear(work, model, deadlineAt) {
  const head = work.groups[work.head]
  return headSlackMs(work, model, deadlineAt) >= CLEAR_SLACK * proofMs(model, work, work.head, head.raw.length)
}

/**
 * The offline bound for one slot: the most signers one prover can cover by the deadline knowing
 * every arrival and proof time (the model's, with the simulated prover's jitter) in advance.
 * Offline only a group's final proof matters, so a schedule picks a set of groups, an order and
 * for each a prefix of n votes (its first n arrivals); a proof of n votes starts at the later of
 * the previous proof's end and the n-th arrival, runs T(n) alone, and counts if it ends by the
 * deadline. Exact: a DP over subsets of groups keeping, per subset, the Pareto front of (covered,
 * earliest end); ties on covered go to the schedule that covers the head group in full. It
 * ignores work left over from the previous slot and any verification time, so it can only
 * overestimate what a policy on one prover can reach. Trivial (1-vote) groups count, as they do
 * for the clients' policies. Returns { covered, headFull }.
 */
export function boundSlot(work, model, deadlineAt = ARRIVAL_TIMING.deadlineAt) {
  const G = work.groups.length
  if (G > 12) throw new Error(`bound: ${G} groups is too many for the subset DP`)
  const sizes = work.groups.map((g) => g.raw.length)
  const total = sizes.reduce((a, b) => a + b, 0)
  const T = work.groups.map((g, i) => Array.from({ length: g.raw.length + 1 }, (_, n) => (n === 0 ? 0 : proofMs(model, work, i, n))))
  // front[mask][key] = earliest end of a schedule of exactly the groups in mask; key = 2*covered + (head in full).
  const width = 2 * total + 2
  const front = Array.from({ length: 1 << G }, () => new Float64Array(width).fill(Infinity))
  front[0][0] = -Infinity
  let best = 0
  for (let mask = 0; mask < 1 << G; mask++) {
    const f = front[mask]
    let floor = Infinity // earliest end among larger keys: an entry ending no earlier is dominated
    for (let key = width - 1; key >= 0; key--) {
      const end = f[key]
      if (!(end < floor)) continue
      floor = end
      if (key > best) best = key
      for (let g = 0; g < G; g++) {
        if (mask & (1 << g)) continue
        const arr = work.groups[g].arrivals
        const to = front[mask | (1 << g)]
        for (let n = 1; n <= sizes[g]; n++) {
          const fin = Math.max(end, arr[n - 1]) + T[g][n]
          if (fin > deadlineAt) break // later prefixes end later still
          const k = key + 2 * n + (g === work.head && n === sizes[g] ? 1 : 0)
          if (fin < to[k]) to[k] = fin
        }
      }
    }
  }
  return { covered: best >> 1, headFull: (best & 1) === 1 }
}

/**
 * Score one policy on an arrival workload. `results`: every result it applied, as
 * `{ slot, index, signers, at, key, provedAt }` (index into the slot's groups; `at` when it was
 * applied). `log`: the simulated prover's proofs `{ slot, key, startedAt, endedAt }` (or, live,
 * `proofs` with the same fields). A group's coverage before the deadline is the signers of its
 * best result applied by then; late coverage what its best result overall adds to that. Prover
 * time counts as replaced/wasted unless it produced one of those two results of its group.
 */
export function arrivalTally(workload, results, log, model, { deadlineAt = ARRIVAL_TIMING.deadlineAt, slotStartOf } = {}) {
  const deadlineOf = (slot) => slotStartOf(slot) + deadlineAt
  const best = new Map() // `${slot}/${index}` -> { before, overall }
  for (const r of results) {
    const id = `${r.slot}/${r.index}`
    const b = best.get(id) ?? { before: undefined, overall: undefined }
    const better = (cur) => !cur || r.signers > cur.signers || (r.signers === cur.signers && r.at < cur.at)
    if (r.at <= deadlineOf(r.slot) && better(b.before)) b.before = r
    if (better(b.overall)) b.overall = r
    best.set(id, b)
  }
  const useful = new Set()
  for (const b of best.values()) for (const r of [b.before, b.overall]) if (r) useful.add(`${r.key}@${r.provedAt}`)
  let offered = 0
  let before = 0
  let late = 0
  let waitingSlots = 0
  let starved = 0
  let headCovered = 0
  let headEligibleSlots = 0
  let headHit = 0
  let headAggregated = 0
  let headClearSlots = 0
  let headClearHit = 0
  const missedHead = []
  for (const w of workload) {
    let served = false
    for (const [i, g] of w.groups.entries()) {
      offered += g.raw.length
      const b = best.get(`${w.slot}/${i}`)
      if (!b) continue
      served = true
      const on = b.before?.signers ?? 0
      before += on
      late += Math.max(0, (b.overall?.signers ?? 0) - on)
    }
    if (w.groups.some((g) => !isTrivial(g))) {
      waitingSlots++
      if (!served) starved++
    }
    const head = w.groups[w.head]
    const onTime = best.get(`${w.slot}/${w.head}`)?.before?.signers ?? 0
    const covered = onTime >= head.raw.length
    const eligible = headEligible(w, model, deadlineAt)
    if (covered) headCovered++
    if (eligible) headEligibleSlots++
    if (eligible && onTime > 0) headAggregated++
    if (eligible && covered) headHit++
    if (eligible && !covered) missedHead.push(w.slot)
    if (eligible && headClear(w, model, deadlineAt)) {
      headClearSlots++
      if (covered) headClearHit++
    }
  }
  let afterDeadlineMs = 0
  let wastedMs = 0
  for (const p of log) {
    if (p.startedAt === undefined || p.endedAt === undefined) continue
    afterDeadlineMs += Math.max(0, p.endedAt - Math.max(p.startedAt, deadlineOf(p.slot)))
    if (!useful.has(`${p.key}@${p.endedAt}`)) wastedMs += p.endedAt - p.startedAt
  }
  return {
    slots: workload.length,
    waitingSlots,
    offered,
    before,
    late,
    groupsApplied: best.size,
    starved,
    headCovered,
    headEligible: headEligibleSlots,
    headHit,
    headRatio: ratio(headHit, headEligibleSlots),
    headAggregated,
    headAggregatedRatio: ratio(headAggregated, headEligibleSlots),
    headClear: headClearSlots,
    headClearHit,
    missedHead,
    afterDeadlineS: afterDeadlineMs / 1000,
    wastedS: wastedMs / 1000,
  }
}

/** The bound's row: signers, head slots it can cover (the eligible ones), for the same columns. */
export function boundRow(workload, model, deadlineAt = ARRIVAL_TIMING.deadlineAt) {
  let before = 0
  let headCovered = 0
  let headEligibleSlots = 0
  let headClearSlots = 0
  let offered = 0
  let waitingSlots = 0
  for (const w of workload) {
    const b = boundSlot(w, model, deadlineAt)
    before += b.covered
    if (b.headFull) headCovered++
    if (headEligible(w, model, deadlineAt)) headEligibleSlots++
    if (headEligible(w, model, deadlineAt) && headClear(w, model, deadlineAt)) headClearSlots++
    offered += w.groups.reduce((s, g) => s + g.raw.length, 0)
    if (w.groups.some((g) => !isTrivial(g))) waitingSlots++
  }
  return {
    name: 'bound',
    slots: workload.length,
    waitingSlots,
    offered,
    before,
    late: 0,
    groupsApplied: 0,
    starved: 0,
    headCovered,
    headEligible: headEligibleSlots,
    headHit: headCovered,
    headRatio: ratio(headCovered, headEligibleSlots),
    headAggregated: headCovered,
    headAggregatedRatio: ratio(headCovered, headEligibleSlots),
    headClear: headClearSlots,
    headClearHit: headClearSlots,
    missedHead: [],
    afterDeadlineS: 0,
    wastedS: 0,
  }
}

const ratio = (hit, of) => (of === 0 ? 1 : hit / of)
