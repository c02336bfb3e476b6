/**
 * Proving progress of a session's proofs in flight, under the shared-pool model of plan.ts: with
 * k proofs at once each advances at 1/slowdown(k) of its solo speed. Gives the planner each proof's
 * remaining solo time and the estimator each sample's average concurrency.
 */
import { sharedEnds } from './plan.js'

export interface Work {
  /** Estimated solo proving time when it started. */
  readonly estimateMs: number
  /** Solo ms of proving done so far. */
  work: number
  /** Clock ms up to which `work` is counted (later than the start if it waits for the prover). */
  workAt: number
  /** Integral of (proofs at once) dt: divided by the run time, the average concurrency. */
  shared: number
}

export function startWork(estimateMs: number, startAt: number): Work {
  return { estimateMs, work: 0, workAt: startAt, shared: 0 }
}

/** Count progress up to `now`; call before the set of proofs in flight changes. */
export function advanceWork(runs: ReadonlySet<Work>, now: number, slowdown: (k: number) => number): void {
  const k = runs.size
  for (const run of runs) {
    if (now <= run.workAt) continue
    const dt = now - run.workAt
    run.work += dt / slowdown(k)
    run.shared += dt * k
    run.workAt = now
  }
}

/** Solo ms a proof still needs; an overdue one is assumed to end soon, never "done" while it runs. */
export function remainingMs(run: Work): number {
  return Math.max(run.estimateMs * 0.1, run.estimateMs - run.work, 1)
}

/** When each proof in flight is projected to end, all sharing the prover from `now`. */
export function projectedEnds<T extends Work>(runs: ReadonlySet<T>, now: number, slowdown: (k: number) => number): Map<T, number> {
  const list = [...runs]
  const ends = sharedEnds(now, list.map(remainingMs), slowdown)
  return new Map(list.map((r, i) => [r, Math.max(ends[i]!, r.workAt + remainingMs(r))]))
}

/** Proofs running at once, averaged over a run of `ms` (1: it had the prover to itself). */
export function averageConcurrency(run: Work, ms: number): number {
  return ms > 0 ? Math.max(1, run.shared / ms) : 1
}

/** When the earliest of `runs` started, if any runs. */
export function earliestStart(runs: Iterable<{ readonly startedAt: number }>): number | undefined {
  let min: number | undefined
  for (const r of runs) if (min === undefined || r.startedAt < min) min = r.startedAt
  return min
}

/** When the last of `runs` is projected to leave the prover (0 if none); counts progress to `now` first. */
export function lastEnd<T extends Work>(runs: ReadonlySet<T>, now: number, slowdown: (k: number) => number): number {
  advanceWork(runs, now, slowdown)
  return Math.max(0, ...projectedEnds(runs, now, slowdown).values())
}
