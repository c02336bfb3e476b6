/**
 * When an open session starts each proof, as a pure function. Votes keep arriving, so the planner
 * gives the head group (caller priority, then most signers) its final proof at the latest start
 * that still ends clear of the deadline, with every vote that came until then, and fits the other
 * groups' final proofs before it, back to back, each as late as it can be. A group whose votes have
 * settled (no new one for a while) goes at once instead, and a group proved earlier is proved again
 * from its larger raw set while that still fits. If the head no longer fits in full while nothing
 * of it is proved, the largest prefix of its votes that fits is proved, at once; once the votes
 * are sealed (or all expected votes are in), groups go in value order with the head always among
 * them. No clock, no prover, no state: the session calls it on every arrival, every proof's end,
 * and at the time the last answer said to wake.
 */
import type { ResolvedAdmission } from './options.js'
import { chooseWithin, rankItems, sharedEnds } from './plan.js'
import type { PlanItem, RunningWork } from './plan.js'
import type { Admission } from './types.js'

/** One group of an open session as the planner sees it. Sizes count distinct signers. */
export interface ArrivalCandidate {
  readonly index: number
  readonly priority: number
  /** Raw signatures received, in arrival order (a proof takes a prefix of them). */
  readonly raw: number
  /** Signers a proof of the first `take` raw signatures (and every child) covers. */
  signersOf(take: number): number
  /** Estimated solo ms of a proof of the first `take` raw signatures and every child. */
  estimateMs(take: number): number
  /** Signers of its best result so far or of a proof of it in flight: a new proof must beat it. */
  readonly covered: number
  /** It has a result or a proof in flight. */
  readonly served: boolean
  /** When its votes count as settled: a quiet spell after its last one. */
  readonly ripeAt: number
  /** Votes per ms it has been receiving: what waiting longer would add. */
  readonly rate: number
  /** Raw signatures it is expected to hold at clock time `t` (at least `raw`): its pace until the cutoff. */
  expectedAt(t: number): number
  /** It cannot be proved again (a proof of it failed on its inputs). */
  readonly blocked?: boolean
}

export interface ArrivalStepInput {
  now: number
  deadlineAt: number
  /** No more votes will come (cutoff passed or the caller sealed): every group is ripe. */
  sealed: boolean
  candidates: readonly ArrivalCandidate[]
  running: readonly RunningWork[]
  lanes: number
  /** When proofs of other sessions (abandoned, or finishing late) leave the prover. */
  foreignFreeAt: number
  admission: ResolvedAdmission | false
  slowdown: (k: number) => number
  /** Fewest inputs (raw signatures plus children) worth a proof: 2, or 1 with includeTrivial. */
  minInputs: number
  /** Children every proof of a group carries (by index), so `minInputs` counts them. */
  childrenOf: (index: number) => number
  /**
   * How far one proof's time strays from its estimate (the estimator's residual deviation): the
   * final proofs keep two of these per proof in a row (added in quadrature) clear of the deadline.
   */
  spreadMs: number
}

export type ArrivalStep =
  | { readonly kind: 'start'; readonly index: number; readonly take: number; readonly admission: Admission }
  /** Nothing to start now; plan again at `until` (if given), or on the next arrival or proof end. */
  | { readonly kind: 'wait'; readonly until?: number }

const WAIT: ArrivalStep = Object.freeze({ kind: 'wait' })

/** The most valuable group: caller priority, then most signers, then first seen. */
function headOf(candidates: readonly ArrivalCandidate[]): ArrivalCandidate | undefined {
  let head: ArrivalCandidate | undefined
  let headSize = 0
  for (const c of candidates) {
    if (c.blocked) continue
    const size = c.signersOf(c.raw)
    const better = !head || c.priority > head.priority || (c.priority === head.priority && (size > headSize || (size === headSize && c.index < head.index)))
    if (better) {
      head = c
      headSize = size
    }
  }
  return head
}

export function nextArrivalStep(input: ArrivalStepInput): ArrivalStep {
  const { now, deadlineAt, running, lanes, admission } = input
  if (running.length >= lanes) return WAIT
  const open = input.candidates.filter((c) => !c.blocked && c.signersOf(c.raw) > c.covered && inputsOf(input, c, c.raw) >= input.minInputs)
  if (open.length === 0) return WAIT
  const ripe = (c: ArrivalCandidate) => input.sealed || now >= c.ripeAt
  const start = (c: ArrivalCandidate, take: number, why: Admission): ArrivalStep => ({ kind: 'start', index: c.index, take, admission: why })
  const ranked = rank(open)

  if (admission === false) {
    const first = ranked.find((item) => ripe(item.c))
    return first
      ? start(first.c, first.c.raw, 'unchecked')
      : wakeAt(
          now,
          ranked.map((item) => item.c.ripeAt),
        )
  }
  const need = (ms: number) => ms * admission.factor + admission.marginMs
  const fullNeed = (c: ArrivalCandidate) => need(c.estimateMs(c.raw))
  const head = headOf(input.candidates)
  const headAtRisk = head !== undefined && !head.served && open.includes(head)

  // Past the deadline only the head, if nothing of it was ever proved, is still worth a (late) proof.
  if (now >= deadlineAt) {
    if (!headAtRisk || running.length > 0 || admission.nothingFits !== 'start-best') return WAIT
    return ripe(head) ? start(head, head.raw, 'best-effort') : wakeAt(now, [head.ripeAt])
  }

  if (running.length > 0) return secondLane(input, ranked, ripe)

  const startAt = Math.max(now, input.foreignFreeAt)
  // Clear of the deadline by two residual deviations per proof in a row (in quadrature), and at
  // least 5% of the head's estimate: proof times on a busy machine stray by that much.
  const floor = head ? 0.05 * head.estimateMs(head.raw) : 0
  const clearOf = (proofs: number) => Math.max(floor, 2 * input.spreadMs * Math.sqrt(Math.max(1, proofs)))
  const safeDeadline = deadlineAt - clearOf(1)
  // A wake-up that comes a little after the planned start (a busy loop, a grown estimate) still
  // starts the head in full: half the clearance is slack for that.
  const lateStart = deadlineAt - clearOf(1) / 2
  if (headAtRisk && startAt + fullNeed(head) > lateStart) {
    const take = largestTake(input, head, safeDeadline - startAt, need)
    if (take !== undefined) return start(head, take, 'fits')
    // No proof of it fits: with late results kept, it is proved late rather than not at all.
    return admission.nothingFits === 'start-best' ? start(head, head.raw, 'best-effort') : WAIT
  }

  // While votes may still come, the head's final proof waits for them until the latest start that
  // still ends clear of the deadline; the other groups use the prover before that.
  const headItem = ranked.find((item) => item.c === head)
  let horizon = safeDeadline
  let headStart: number | undefined
  if (headItem !== undefined && !input.sealed && startAt + need(headItem.estimateMs) <= lateStart) {
    // It starts once the votes it holds now need all the time left; others must end earlier, by
    // when the votes it is expected to hold would need it.
    headStart = safeDeadline - need(headItem.estimateMs)
    if (startAt >= headStart) return start(headItem.c, headItem.take, 'fits')
    horizon = Math.min(headStart, backToBack([headItem], safeDeadline, need))
  }

  // The final proofs: the set that gains the most in the time left (once the votes are sealed, the
  // head always in it). A group too large for the time left competes with the largest prefix of
  // its votes that fits.
  const forced = headStart === undefined && headAtRisk ? headItem : undefined
  const capacity = horizon - startAt - (forced ? need(forced.estimateMs) : 0)
  const others = ranked
    .filter((item) => item !== forced && !(headStart !== undefined && item === headItem))
    .flatMap((item) => (need(item.estimateMs) <= capacity ? [item] : prefixItem(input, item, capacity, need)))
  const chosen = chooseWithin(rankItems(others), capacity, (item) => need(item.estimateMs))
  const finals = forced ? [forced, ...chosen] : chosen
  const wakes = headStart === undefined ? [] : [headStart]
  // A group whose votes settled will not grow: prove it now, and leave the end of the window to
  // groups still collecting votes.
  const settled = finals.find((item) => ripe(item.c))
  if (settled) return start(settled.c, settled.take, 'fits')
  // The rest run back to back up to the horizon, the group whose votes come fastest last, each
  // sized by the votes it is expected to hold when it starts: start the first once that comes.
  const windowAt = finals.length > 0 ? backToBack(finals, horizon - clearOf(finals.length) + clearOf(1), need) : horizon
  if (finals.length > 0 && startAt >= windowAt) {
    const next = finals.reduce((a, b) => (b.c.rate < a.c.rate ? b : a))
    return start(next.c, next.take, 'fits')
  }
  return wakeAt(now, [...wakes, windowAt, ...finals.map((item) => item.c.ripeAt), ...(headItem ? [headItem.c.ripeAt] : [])])
}

/**
 * When the first of `finals` must start for all to end by `deadlineAt`, run back to back from the
 * slowest-arriving group to the fastest, each proving the votes it is expected to hold then.
 */
function backToBack(finals: readonly Ranked[], deadlineAt: number, need: (ms: number) => number): number {
  let end = deadlineAt
  for (const item of [...finals].sort((a, b) => b.c.rate - a.c.rate)) {
    const full = item.take === item.c.raw
    const needAt = (t: number) => need(item.c.estimateMs(full ? item.c.expectedAt(t) : item.take))
    // Later starts hold more votes and take longer: a few fixed-point steps find the start.
    let start = end - need(item.estimateMs)
    for (let i = 0; i < 4; i++) start = end - needAt(start)
    end = start
  }
  return end
}

interface Ranked extends PlanItem {
  readonly c: ArrivalCandidate
  /** Raw signatures the proof takes (all of them, or a prefix). */
  readonly take: number
}

/** Rank by priority, then signers gained per estimated ms, then gain (plan.ts's order). */
function rank(open: readonly ArrivalCandidate[]): Ranked[] {
  return rankItems(
    open.map((c) => ({ c, take: c.raw, index: c.index, priority: c.priority, gain: c.signersOf(c.raw) - c.covered, estimateMs: c.estimateMs(c.raw) })),
  )
}

/** `item` cut to the largest prefix of its votes that fits `capacityMs`, if one adds signers. */
function prefixItem(input: ArrivalStepInput, item: Ranked, capacityMs: number, need: (ms: number) => number): Ranked[] {
  const take = largestTake(input, item.c, capacityMs, need)
  if (take === undefined) return []
  return [{ ...item, take, gain: item.c.signersOf(take) - item.c.covered, estimateMs: item.c.estimateMs(take) }]
}

function inputsOf(input: ArrivalStepInput, c: ArrivalCandidate, take: number): number {
  return take + input.childrenOf(c.index)
}

/** The longest prefix of `c`'s votes whose proof fits `capacityMs` and beats what it has. */
function largestTake(input: ArrivalStepInput, c: ArrivalCandidate, capacityMs: number, need: (ms: number) => number): number | undefined {
  const ok = (take: number) => need(c.estimateMs(take)) <= capacityMs
  let lo = 0
  let hi = c.raw
  if (!ok(0)) return undefined
  // Estimates grow with the prefix: binary search for the last prefix that fits.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (ok(mid)) lo = mid
    else hi = mid - 1
  }
  if (c.signersOf(lo) <= c.covered || inputsOf(input, c, lo) < input.minInputs) return undefined
  return lo
}

/** A second lane: only a ripe group, only if every proof admitted to fit still does. */
function secondLane(input: ArrivalStepInput, ranked: readonly Ranked[], ripe: (c: ArrivalCandidate) => boolean): ArrivalStep {
  const { now, deadlineAt, running, admission } = input
  if (admission === false || input.foreignFreeAt > now) return WAIT
  const scaled = running.map((r) => r.remainingMs * admission.factor)
  for (const item of ranked) {
    if (!ripe(item.c)) continue
    const ends = sharedEnds(now, [...scaled, item.estimateMs * admission.factor], input.slowdown)
    const inTime = (end: number) => end + admission.marginMs <= deadlineAt
    if (!inTime(ends[ends.length - 1]!)) continue
    if (running.every((r, i) => !r.mustFit || inTime(ends[i]!))) return { kind: 'start', index: item.c.index, take: item.c.raw, admission: 'fits' }
  }
  return WAIT
}

function wakeAt(now: number, times: readonly number[]): ArrivalStep {
  let until: number | undefined
  for (const t of times) if (t > now && (until === undefined || t < until)) until = t
  return until === undefined ? WAIT : { kind: 'wait', until }
}
