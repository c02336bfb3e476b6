/**
 * What one session planned: its groups not started yet (ranked, re-estimated before each plan) and
 * the plan entry of every group, which ends up in the summary.
 */
import type { ResolvedAdmission } from './options.js'
import type { PlanEntry } from './outcomes.js'
import { fitsAlone, gainOf, needMs, rankItems } from './plan.js'
import type { PlanItem } from './plan.js'
import type { SnapshotGroup } from './snapshot.js'
import type { Admission, SkipReason } from './types.js'

/** A group not started yet. */
export interface Pending extends PlanItem {
  readonly group: SnapshotGroup
  estimateMs: number
  /** At the last plan: would it have fitted alone before the deadline? Absent if never checked. */
  fitted?: boolean
  /** At the last plan, if it did not fit: its estimate against the time left. */
  budgetDetail?: string
}

type Draft = { -readonly [K in keyof PlanEntry]: PlanEntry[K] }

export class PlanBook {
  #pending: Pending[]
  readonly #entries = new Map<number, Draft>()

  constructor(groups: readonly SnapshotGroup[], estimate: (group: SnapshotGroup) => number) {
    this.#pending = rankItems(
      groups.map((group) => ({ group, index: group.index, priority: group.priority, gain: gainOf(group), estimateMs: estimate(group) })),
    )
    for (const [rank, p] of this.#pending.entries()) {
      this.#entries.set(p.index, { index: p.index, key: p.group.key, rank, priority: p.priority, gain: p.gain, estimateMs: p.estimateMs })
    }
  }

  /** In rank order as of the last `refresh`. */
  get pending(): readonly Pending[] {
    return this.#pending
  }

  /**
   * Estimates move as the estimator learns: refresh them and the ranking, and, with a deadline,
   * note which groups would still fit alone if started at `startAt`.
   */
  refresh(estimate: (group: SnapshotGroup) => number, fit?: { startAt: number; deadlineAt: number; admission: ResolvedAdmission }): void {
    for (const p of this.#pending) {
      p.estimateMs = estimate(p.group)
      this.#entries.get(p.index)!.estimateMs = p.estimateMs
      if (fit === undefined) continue
      p.fitted = fitsAlone(p, fit.startAt, fit.deadlineAt, fit.admission)
      if (!p.fitted) {
        p.budgetDetail = `estimated ${Math.round(needMs(p, fit.admission))} ms, ${Math.max(0, Math.round(fit.deadlineAt - fit.startAt))} ms left`
      }
    }
    this.#pending = rankItems(this.#pending)
  }

  started(item: Pending, admission: Admission): void {
    this.#pending = this.#pending.filter((p) => p !== item)
    const entry = this.#entries.get(item.index)!
    entry.admission = admission
    entry.estimateMs = item.estimateMs
  }

  /** Take every pending group out, each marked skipped for the reason `reasonOf` gives. */
  skipAll(reasonOf: (p: Pending) => SkipReason): { pending: Pending; reason: SkipReason }[] {
    const out = this.#pending.map((pending) => ({ pending, reason: reasonOf(pending) }))
    for (const { pending, reason } of out) this.#entries.get(pending.index)!.skipped = reason
    this.#pending = []
    return out
  }

  entries(): PlanEntry[] {
    return [...this.#entries.values()]
  }
}
