/**
 * Admission and ordering as pure functions: what a group is worth, the order groups are tried in,
 * which set to prove before the deadline, and what to start next. No clock, no prover, no state:
 * the session calls `nextStep` each time a lane frees or a proof ends.
 */
import type { ResolvedAdmission } from './options.js'
import type { SnapshotGroup } from './snapshot.js'
import type { Admission } from './types.js'

/** What the planner needs to know about one group. */
export interface PlanItem {
  /** Input index: the group's identity and the last tie-breaker. */
  readonly index: number
  /** Caller-supplied; higher goes first, whatever the value. */
  readonly priority: number
  /** Signers newly covered (see `gainOf`). */
  readonly gain: number
  /** Estimated proving time alone on the prover, ms. */
  readonly estimateMs: number
}

/**
 * Signers an aggregate of `group` adds over its largest child: the child is already an aggregate a
 * block could include, so signers it covers are worth nothing new. Without children: all signers.
 */
export function gainOf(group: Pick<SnapshotGroup, 'signerCount' | 'children'>): number {
  let largest = 0
  for (const child of group.children) largest = Math.max(largest, child.signers.length)
  return Math.max(0, group.signerCount - largest)
}

/** Value density: signers gained per estimated ms (an estimate of 0 counts as 1 ms). */
export function valuePerMs(item: PlanItem): number {
  return item.gain / Math.max(1, item.estimateMs)
}

/** Order of consideration: priority, then gain per ms, then gain, then input order. */
export function compareItems(a: PlanItem, b: PlanItem): number {
  return b.priority - a.priority || valuePerMs(b) - valuePerMs(a) || b.gain - a.gain || a.index - b.index
}

export function rankItems<T extends PlanItem>(items: readonly T[]): T[] {
  return [...items].sort(compareItems)
}

/** Time admission reserves for an item: the estimate scaled by the safety factor, plus the margin. */
export function needMs(item: PlanItem, admission: Pick<ResolvedAdmission, 'factor' | 'marginMs'>): number {
  return item.estimateMs * admission.factor + admission.marginMs
}

/**
 * The set of `ranked` items that gains the most signers with needs summing to at most
 * `capacityMs`, higher priorities served first (each priority tier gets what the tiers above left).
 * A small group that fits beats a large one that does not; a large one that fits is preferred
 * over several small ones that gain less. Returned in `ranked` order.
 */
export function chooseWithin<T extends PlanItem>(ranked: readonly T[], capacityMs: number, need: (item: T) => number): T[] {
  if (!(capacityMs > 0)) return []
  const chosen = new Set<T>()
  let left = capacityMs
  for (const tier of priorityTiers(ranked)) {
    const fitting = tier.filter((item) => need(item) <= left)
    for (const item of knapsack(fitting, left, need)) {
      chosen.add(item)
      left -= need(item)
    }
  }
  return ranked.filter((item) => chosen.has(item))
}

function priorityTiers<T extends PlanItem>(items: readonly T[]): T[][] {
  const byPriority = new Map<number, T[]>()
  for (const item of items) {
    const tier = byPriority.get(item.priority)
    if (tier) tier.push(item)
    else byPriority.set(item.priority, [item])
  }
  return [...byPriority.entries()].sort((a, b) => b[0] - a[0]).map(([, tier]) => tier)
}

/** 0/1 knapsack on a time grid; weights round up, so a chosen set never overruns `capacity`. */
function knapsack<T extends PlanItem>(items: readonly T[], capacity: number, need: (item: T) => number): T[] {
  if (items.length === 0) return []
  // 1 ms steps, coarser only to bound the table to ~256k cells whatever the deadline or group count.
  const maxCells = Math.max(1, Math.min(2048, Math.floor(262_144 / items.length)))
  const step = Math.max(1, capacity / maxCells)
  const cells = Math.floor(capacity / step + 1e-9)
  const weight = items.map((item) => Math.min(cells, Math.ceil(need(item) / step - 1e-9)))
  // Every item is worth a little more than nothing, so zero-gain groups still use spare time.
  const value = items.map((item) => item.gain + 1e-3)
  const best = new Float64Array(cells + 1)
  const take = items.map(() => new Uint8Array(cells + 1))
  items.forEach((_, i) => {
    const w = weight[i]!
    for (let c = cells; c >= w; c--) {
      const v = best[c - w]! + value[i]!
      // Strictly better only: on ties the earlier-ranked configuration stays.
      if (v > best[c]! + 1e-9) {
        best[c] = v
        take[i]![c] = 1
      }
    }
  })
  const out: T[] = []
  let c = cells
  for (let i = items.length - 1; i >= 0; i--) {
    if (take[i]![c]) {
      out.push(items[i]!)
      c -= weight[i]!
    }
  }
  return out
}

/**
 * When proofs sharing the prover end, all running from `start`: `work` is each one's solo
 * remaining time, and with k running each advances at 1/slowdown(k) of its solo speed.
 */
export function sharedEnds(start: number, work: readonly number[], slowdown: (k: number) => number): number[] {
  const ends = new Array<number>(work.length)
  const order = work.map((w, i) => ({ i, w: Math.max(0, w) })).sort((a, b) => a.w - b.w)
  let t = start
  let done = 0
  order.forEach(({ i, w }, j) => {
    t += (w - done) * Math.max(1, slowdown(order.length - j))
    done = w
    ends[i] = t
  })
  return ends
}

/** A proof of this session in flight. */
export interface RunningWork {
  /** Solo ms it still needs (never 0 while it runs: an overdue proof is assumed to end soon). */
  readonly remainingMs: number
  /** It was admitted to finish before the deadline: a second lane must not push it past it. */
  readonly mustFit: boolean
}

export interface StepInput<T extends PlanItem> {
  now: number
  deadlineAt: number | undefined
  /** Groups not started yet, in rank order. */
  pending: readonly T[]
  running: readonly RunningWork[]
  /** Groups this session may have in flight at once. */
  lanes: number
  /** When proofs of other sessions (abandoned, or finishing late) leave the prover. */
  foreignFreeAt: number
  admission: ResolvedAdmission | false
  /** How much slower each of k proofs at once runs than one alone (slowdown(1) = 1). */
  slowdown: (k: number) => number
  /** Every group of recent sessions was over budget: start the cheapest one to re-measure. */
  probeDue: boolean
}

export type Step<T> =
  /** Start `item` now (the prover may still queue it behind other sessions' proofs). */
  | { readonly kind: 'start'; readonly item: T; readonly admission: Admission }
  /** Nothing to start now; plan again when a proof ends. */
  | { readonly kind: 'wait' }
  /** Nothing runs and nothing fits: the pending groups are over budget. */
  | { readonly kind: 'give-up' }

/** What the session should do next. Call again after each start. */
export function nextStep<T extends PlanItem>(input: StepInput<T>): Step<T> {
  const { now, deadlineAt, pending, running, lanes, admission } = input
  if (pending.length === 0 || running.length >= lanes) return { kind: 'wait' }
  if (deadlineAt === undefined || admission === false) return { kind: 'start', item: pending[0]!, admission: 'unchecked' }
  const need = (item: PlanItem) => needMs(item, admission)

  if (running.length === 0) {
    const fits = chooseWithin(pending, deadlineAt - Math.max(now, input.foreignFreeAt), need)
    if (fits.length > 0) return { kind: 'start', item: fits[0]!, admission: 'fits' }
    if (admission.nothingFits === 'start-best' && now < deadlineAt) return { kind: 'start', item: pending[0]!, admission: 'best-effort' }
    if (input.probeDue) return { kind: 'start', item: cheapest(pending), admission: 'probe' }
    return { kind: 'give-up' }
  }

  // A second lane: only while no other session's proof holds the prover, and only if it pays.
  if (input.foreignFreeAt > now) return { kind: 'wait' }
  const scaled = running.map((r) => r.remainingMs * admission.factor)
  for (const item of pending) {
    const ends = sharedEnds(now, [...scaled, item.estimateMs * admission.factor], input.slowdown)
    const inTime = (end: number) => end + admission.marginMs <= deadlineAt
    if (!inTime(ends[ends.length - 1]!)) continue
    if (running.every((r, i) => !r.mustFit || inTime(ends[i]!))) return { kind: 'start', item, admission: 'fits' }
  }
  // Late work only: a second lane pays when k+1 proofs at once finish more work per ms than k.
  const k = running.length
  const throughputGain = input.slowdown(k + 1) / (k + 1) < input.slowdown(k) / k
  if (admission.nothingFits === 'start-best' && now < deadlineAt && throughputGain && running.every((r) => !r.mustFit)) {
    return { kind: 'start', item: pending[0]!, admission: 'best-effort' }
  }
  return { kind: 'wait' }
}

/** True if `item` alone, started when the prover frees, would finish before the deadline. */
export function fitsAlone(item: PlanItem, startAt: number, deadlineAt: number, admission: Pick<ResolvedAdmission, 'factor' | 'marginMs'>): boolean {
  return startAt + needMs(item, admission) <= deadlineAt
}

function cheapest<T extends PlanItem>(ranked: readonly T[]): T {
  return ranked.reduce((a, b) => (b.estimateMs < a.estimateMs ? b : a))
}
