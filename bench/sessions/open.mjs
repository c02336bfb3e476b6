// Arrival workloads under every policy, on the simulated clock and prover: the snapshot policies
// (the clients', leanagg's snapshot default) take the votes that arrived by interval 2; leanagg's
// open session takes each vote as it arrives. All are scored by arrivals.mjs's tally.
import { AggregationEngine, ManualClock, groupKey, noopLogger } from 'leanagg'
import { ARRIVAL_TIMING, arrivalTally, snapshotOf } from './arrivals.mjs'
import { replay } from './replay.mjs'
import { SIGNATURE, cpuProver, messageOf, publicKey } from './sim.mjs'

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
        key: groupKey(messageOf(e.slot, e.index, g.jitter), e.slot),
      }
    })
  const slotStartOf = (slot) => t0 + (slot - 1) * ARRIVAL_TIMING.slotMs
  return { name: run.name, ...arrivalTally(workload, results, log, model, { slotStartOf }) }
}

/**
 * leanagg's open session: one per slot, opened at slot start with the deadline at interval 2 +
 * 750 ms and late results delivered; each vote is added when it arrives (a vote arriving after
 * the cutoff at interval 2 is refused and counted). One lane.
 */
export async function replayOpen(
  workload,
  { model, sessionOptions = {}, expectVotes = false, name = expectVotes ? 'leanagg (open, expected votes)' : 'leanagg (open)' },
) {
  const clock = new ManualClock()
  const t0 = clock.now()
  const slotStartOf = (slot) => t0 + (slot - 1) * ARRIVAL_TIMING.slotMs
  const prover = cpuProver(clock, model, { lanes: 1 })
  const engine = new AggregationEngine({ prover, clock, logger: noopLogger })
  const results = []
  const summaries = []
  const refused = {}
  for (const w of workload) {
    const start = slotStartOf(w.slot)
    clock.setTimeout(() => {
      // With expectVotes the session is told how many votes the slot has in all (the committee).
      const expectedVotes = expectVotes ? w.groups.reduce((n, g) => n + g.raw.length, 0) : undefined
      const session = engine.openSession({
        deadlineAt: start + ARRIVAL_TIMING.deadlineAt,
        // Votes are due by interval 2, as the snapshot policies take them: the cutoff.
        cutoffAt: start + ARRIVAL_TIMING.snapshotAt,
        late: 'deliver',
        ...(expectedVotes && { expectedVotes }),
        ...sessionOptions,
      })
      const indexOf = new Map()
      for (const [index, g] of w.groups.entries()) {
        const message = messageOf(w.slot, index, g.jitter)
        indexOf.set(groupKey(message, w.slot), index)
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
          startedAt: r.startedAt,
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
  const row = { name, ...arrivalTally(workload, results, prover.calls, model, { slotStartOf }) }
  const out = { ...row, refused, engine: engineView(summaries, results), headMisses: headMisses(workload, row.missedHead, results, slotStartOf) }
  // For analysis scripts, not the report: every result and proof.
  Object.defineProperty(out, 'trace', { value: { results, log: prover.calls, slotStartOf } })
  return out
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

/**
 * What the open session did in the eligible slots where it missed the head group: how many it
 * covered in part on time and never in full, covered in full only late (by how many ms past the
 * deadline, and how long after the head's last vote that proof started), or never proved.
 */
export function headMisses(workload, missed, results, slotStartOf) {
  const kinds = {}
  const lateMs = []
  const waitMs = []
  for (const slot of missed) {
    const w = workload[slot - 1]
    const head = w.groups[w.head]
    const start = slotStartOf(slot)
    const rs = results.filter((r) => r.slot === slot && r.index === w.head)
    const onTime = rs.some((r) => r.at - start <= ARRIVAL_TIMING.deadlineAt)
    const full = rs.find((r) => r.signers === head.raw.length)
    const kind =
      rs.length === 0 ? 'never proved' : full ? (onTime ? 'part on time, full late' : 'full late only') : onTime ? 'part on time, never full' : 'part late only'
    kinds[kind] = (kinds[kind] ?? 0) + 1
    if (full) {
      lateMs.push(full.at - start - ARRIVAL_TIMING.deadlineAt)
      waitMs.push(full.startedAt - start - head.arrivals.at(-1))
    }
  }
  return { kinds, fullLateMs: spread(lateMs), fullStartAfterLastVoteMs: spread(waitMs) }
}

function spread(xs) {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  return { median: Math.round(s[Math.floor(s.length / 2)]), min: Math.round(s[0]), max: Math.round(s.at(-1)) }
}
