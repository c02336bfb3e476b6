// The scheduling policies the benchmark compares, each replaying the same slots on the same
// simulated prover. The clients' policies follow their PRs (see the seeds in the issue); leanagg's
// is the shipped AggregationEngine, not a re-implementation.
import { AggregationEngine, noopLogger } from 'leanagg'

/**
 * ethlambda #299: at interval 2 the actor joins the previous worker (blocking, at most 2 s), then
 * a spawn_blocking worker proves the groups in order and stops starting new ones at a 750 ms
 * deadline. Results are applied, late ones too, while their session is the current one: results
 * reaching the actor after the next session began (or while it blocks in the join) are dropped.
 */
export function ethlambda({ clock, prover, record, deadlineMs }) {
  let current = 0
  let joining = false
  let worker
  return {
    name: 'ethlambda',
    async tick(_work, groups) {
      if (worker?.running) {
        joining = true
        await Promise.race([worker.done, new Promise((resolve) => clock.setTimeout(resolve, 2000))])
        joining = false
      }
      const id = ++current
      const deadline = clock.now() + deadlineMs
      const w = { running: true }
      w.done = (async () => {
        for (const [index, g] of groups.entries()) {
          if (clock.now() >= deadline) break
          await prover.aggregate(g)
          record(g.slot, index, id === current && !joining)
        }
        w.running = false
      })()
      worker = w
    },
  }
}

/** zeam #874: one dedicated worker, no deadline; a trigger while it is busy is skipped. */
export function zeam({ prover, record }) {
  let busy = false
  return {
    name: 'zeam',
    tick(_work, groups) {
      if (busy) return // zeam_aggregate_skip_total{reason="in_flight"}
      busy = true
      void (async () => {
        for (const [index, g] of groups.entries()) {
          await prover.aggregate(g)
          record(g.slot, index, true)
        }
        busy = false
      })()
    },
  }
}

/**
 * gean #272 (both slices): one worker goroutine fed by a channel of capacity 1 (a trigger is
 * queued if the worker is busy and the channel empty, dropped if full). A job starts groups for
 * 750 ms, admits a group only if its estimated cost fits a 1.6 s budget (the estimate here is
 * the exact model, which flatters gean), and applies late results unless they arrive after the
 * slot after next began (fenced by slot).
 */
export function gean({ clock, prover, record, model, tickOf }) {
  let busy = false
  let queued
  const run = async (work, groups) => {
    busy = true
    const start = clock.now()
    for (const [index, g] of groups.entries()) {
      if (clock.now() - start > 750) break
      const estimate = model.soloMs(
        g.signatures.length,
        g.children.map((c) => c.signers.length),
      )
      if (clock.now() + estimate > start + 1600) continue
      await prover.aggregate(g)
      record(g.slot, index, clock.now() < tickOf(work.slot + 2))
    }
    busy = false
    if (queued) {
      const next = queued
      queued = undefined
      void run(...next)
    }
  }
  return {
    name: 'gean',
    tick(work, groups) {
      if (!busy) void run(work, groups)
      else if (!queued) queued = [work, groups]
    },
  }
}

/**
 * leanagg: the AggregationEngine with its defaults (busy 'cancel-previous', late 'deliver',
 * admission on, one lane, the default cost prior it then learns from), a 750 ms deadline per
 * session. Every delivered result counts, on time or late. `lanes` > 1 runs the engine with that
 * many session lanes on a prover with as many proofs at once.
 */
export function leanagg({ clock, prover, record, deadlineMs }, { lanes = 1, label } = {}) {
  const engine = new AggregationEngine({ prover, clock, logger: noopLogger })
  const summaries = []
  return {
    name: label ?? (lanes === 1 ? 'leanagg (default)' : `leanagg (${lanes} lanes)`),
    engine,
    summaries,
    tick(_work, groups) {
      const index = new Map(groups.map((g, i) => [`${Buffer.from(g.message).toString('hex')}:${g.slot}`, i]))
      const session = engine.startSession(groups, { deadlineMs, ...(lanes > 1 && { concurrency: lanes }) })
      session.on('result', (r) => record(r.aggregate.slot, index.get(r.key), true))
      void session.done.then((s) => summaries.push(s))
    },
  }
}
