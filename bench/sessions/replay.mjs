// Replays a workload under one policy on a simulated clock and tallies what it aggregated.
import { ManualClock } from 'leanagg'
import { cpuProver, groupInputs } from './sim.mjs'
import { gainOf, isTrivial } from './workload.mjs'

/** Slot timing: 4 s slots; aggregation starts at interval 2 (1.6 s) and must finish within 750 ms. */
export const TIMING = Object.freeze({ slotMs: 4000, intervalMs: 1600, deadlineMs: 750 })

/**
 * Run `makePolicy` over `workload` and return its tally. `lanes`: proofs the prover runs at once
 * (the clients have no lane: only their overlapping workers share the CPU); `variant` goes to the
 * policy. Deterministic: the same inputs give the same numbers.
 */
export async function replay(workload, makePolicy, { model, lanes = Infinity, timing = TIMING, variant } = {}) {
  const clock = new ManualClock()
  const t0 = clock.now()
  const tickOf = (slot) => t0 + (slot - 1) * timing.slotMs + timing.intervalMs
  const events = []
  const prover = cpuProver(clock, model, { lanes })
  const policy = makePolicy(
    {
      clock,
      prover,
      model,
      tickOf,
      deadlineMs: timing.deadlineMs,
      record: (slot, index, applied) => events.push({ slot, index, at: clock.now(), applied }),
    },
    variant,
  )
  for (const work of workload) clock.setTimeout(() => void policy.tick(work, groupInputs(work)), tickOf(work.slot) - t0)
  const last = workload.at(-1)?.slot ?? 0
  // Run well past the last slot so every late proof ends and every session settles.
  await clock.runUntil(tickOf(last) + 120_000)
  // `trace` (events, the prover's log, the clock's start) is for arrival workloads, which score it their own way.
  const trace = { events, log: prover.calls, t0 }
  return { name: policy.name, ...tally(workload, events, prover.calls, (slot) => tickOf(slot) + timing.deadlineMs), policy, trace }
}

/**
 * Per policy: signers aggregated before the slot's deadline and after it (gain: signers newly
 * covered over the group's largest child), slots that aggregated nothing while a non-trivial group
 * waited, prover time spent after the deadline and on results never applied (lane-seconds).
 */
export function tally(workload, events, log, deadlineOf) {
  const bySlot = new Map(workload.map((w) => [w.slot, w]))
  let before = 0
  let late = 0
  let groupsApplied = 0
  const applied = new Set()
  const servedSlots = new Set()
  for (const e of events) {
    if (!e.applied) continue
    const group = bySlot.get(e.slot).groups[e.index]
    const gain = gainOf(group)
    if (e.at <= deadlineOf(e.slot)) before += gain
    else late += gain
    groupsApplied++
    applied.add(`${e.slot}/${e.index}`)
    servedSlots.add(e.slot)
  }
  let waitingSlots = 0
  let starved = 0
  let offered = 0
  for (const w of workload) {
    offered += w.groups.reduce((s, g) => s + gainOf(g), 0)
    if (!w.groups.some((g) => !isTrivial(g))) continue
    waitingSlots++
    if (!servedSlots.has(w.slot)) starved++
  }
  let afterDeadlineMs = 0
  let wastedMs = 0
  for (const p of log) {
    if (p.startedAt === undefined || p.endedAt === undefined) continue
    afterDeadlineMs += Math.max(0, p.endedAt - Math.max(p.startedAt, deadlineOf(p.slot)))
    const index = Number.parseInt(p.key.slice(8, 16).match(/../g).reverse().join(''), 16)
    if (!applied.has(`${p.slot}/${index}`)) wastedMs += p.endedAt - p.startedAt
  }
  return {
    slots: workload.length,
    waitingSlots,
    offered,
    before,
    late,
    groupsApplied,
    starved,
    afterDeadlineS: afterDeadlineMs / 1000,
    wastedS: wastedMs / 1000,
  }
}
