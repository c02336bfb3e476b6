// Arrival workloads under every policy, on the simulated clock and prover: the snapshot policies
// (the clients', leanagg's snapshot default) take the votes that arrived by interval 2; leanagg's
// open session takes each vote as it arrives. All are scored by arrivals.mjs's tally.
import { AggregationEngine } from 'leanagg'
import { ARRIVAL_TIMING, arrivalTally, snapshotOf } from './arrivals.mjs'
import { replay } from './replay.mjs'
import { CpuProver, SIGNATURE, SimClock, keyOf, messageOf, publicKey } from './sim.mjs'

const silent = { debug() {}, warn() {} }

/** A snapshot policy (replay.mjs's) over the votes that arrived by interval 2; scored by arrival. */
export async function replaySnapshot(workload, makePolicy, { model, lanes, variant }) {
  const snaps = workload.map((w) => snapshotOf(w, ARRIVAL_TIMING.snapshotAt))
  const run = await replay(snaps, makePolicy, { model, lanes, variant })
  const { events, log, t0 } = run.trace
  const bySlot = new Map(snaps.map((s) => [s.slot, s]))
  const results = events
    .filter((e) => e.applied)
    .map((e) => {
      const snap = bySlot.get(e.slot)
      const g = snap.groups[e.index]
      return {
        slot: e.slot,
        index: snap.index[e.index],
        signers: g.raw.length,
        at: e.at,
        provedAt: e.at,
        key: keyOf(messageOf(e.slot, e.index, g.jitter), e.slot),
      }
    })
  const slotStartOf = (slot) => t0 + (slot - 1) * ARRIVAL_TIMING.slotMs
  return { name: run.name, ...arrivalTally(workload, results, log, model, { slotStartOf }) }
}

/**
 * leanagg's open session: one per slot, opened at slot start with the deadline at interval 2 +
 * 750 ms and late results delivered; each vote is added when it arrives (a vote arriving after
 * the cutoff, which defaults to the deadline, is refused and counted). One lane.
 */
export async function replayOpen(workload, { model, sessionOptions = {} }) {
  const clock = new SimClock()
  const t0 = clock.now()
  const slotStartOf = (slot) => t0 + (slot - 1) * ARRIVAL_TIMING.slotMs
  const prover = new CpuProver(clock, model, { lanes: 1 })
  const engine = new AggregationEngine({ prover, clock, logger: silent })
  const results = []
  const summaries = []
  const refused = {}
  for (const w of workload) {
    const start = slotStartOf(w.slot)
    clock.setTimeout(() => {
      const session = engine.openSession({ deadlineAt: start + ARRIVAL_TIMING.deadlineAt, late: 'deliver', ...sessionOptions })
      const indexOf = new Map()
      for (const [index, g] of w.groups.entries()) {
        const message = messageOf(w.slot, index, g.jitter)
        indexOf.set(keyOf(message, w.slot), index)
        for (const [k, id] of g.raw.entries()) {
          clock.setTimeout(
            () => {
              try {
                session.add({ message, slot: w.slot, signatures: [{ publicKey: publicKey(w.slot, id), signature: SIGNATURE }] })
              } catch (err) {
                refused[err.code ?? 'error'] = (refused[err.code ?? 'error'] ?? 0) + 1
              }
            },
            start + g.arrivals[k] - clock.now(),
          )
        }
      }
      session.on('result', (r) =>
        results.push({
          slot: w.slot,
          index: indexOf.get(r.key),
          signers: r.signerCount,
          at: r.finishedAt,
          provedAt: r.provedAt,
          key: r.key,
          seq: r.seq,
          improves: r.improves,
        }),
      )
      void session.done.then((s) => summaries.push({ slot: w.slot, ...s }))
    }, start - t0)
  }
  const last = workload.at(-1)?.slot ?? 0
  await clock.runUntil(slotStartOf(last) + 120_000)
  const row = { name: 'leanagg (open)', ...arrivalTally(workload, results, prover.log, model, { slotStartOf }) }
  return { ...row, refused, engine: engineView(summaries, results) }
}

/** What the engine itself reports (its coverage summary), to set beside the bench's own tally. */
export function engineView(summaries, results) {
  let coveredBeforeDeadline = 0
  let replacedProofMs = 0
  const outcomes = {}
  for (const s of summaries) {
    coveredBeforeDeadline += s.coverage?.coveredBeforeDeadline ?? 0
    replacedProofMs += s.coverage?.replacedProofMs ?? 0
    outcomes[s.outcome] = (outcomes[s.outcome] ?? 0) + 1
  }
  return {
    sessions: summaries.length,
    outcomes,
    coveredBeforeDeadline,
    replacedS: replacedProofMs / 1000,
    results: results.length,
    reproofs: results.filter((r) => r.improves !== undefined).length,
  }
}
