// @ts-check
/**
 * The slot loop: what an aggregator does each slot.
 *   intervals 0-1  signatures arrive (validators sign, spread over the two intervals)
 *   --mode open (default): a session opens at interval 0 and takes each signature as it arrives;
 *                  the previous slot's late head votes are re-proved from raw signatures with that
 *                  slot's on-time ones (recursion costs seconds per child at this revision)
 *   --mode snapshot: at interval 2, snapshot the pool and start a session (late head votes take
 *                  the previous slot's published aggregate as a child)
 *   deadline       50 ms before interval 3, in both modes
 *   as they land   publish each aggregate (a SignedAggregatedAttestation on gossip)
 * Votes travel as SignedAttestation bytes and are taken by validator index through the registry.
 * A slot's line is printed once its session has settled and the slot has ended.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { buildSnapshot } from 'leanagg'
import { AttestationPool } from './pool.mjs'
import { publishLine, slotLine, tableHeader } from './report.mjs'
import { SlotClock } from './slot-clock.mjs'
import { attestationData, publish as published, receivedVote, voteBytes } from './spec.mjs'
import { planSlot } from './workload.mjs'

/** @typedef {import('leanagg').Prover} Prover */
/** @typedef {import('leanagg').SecretKey} SecretKey */
/** @typedef {import('leanagg').AggregationSession} AggregationSession */
/** @typedef {import('./report.mjs').SlotRecord} SlotRecord */
/** @typedef {import('./report.mjs').RunResult} RunResult */
/** @typedef {import('./pool.mjs').GroupMeta} GroupMeta */

/** Before interval 3 (the safe-target update), room to publish. */
export const DEADLINE_MARGIN_MS = 50
/** Signatures are produced this long before interval 2 at the latest, so they are in the snapshot. */
const ARRIVAL_MARGIN_MS = 20

/**
 * @param {object} o
 * @param {Prover} o.prover set up
 * @param {SecretKey[]} o.keys one per validator, by validator index
 * @param {import('leanagg').ValidatorRegistry} o.registry the state's validators
 * @param {{ slots: number, slotMs: number, intervals: number, verbose: boolean, mode: 'open' | 'snapshot' }} o.options
 * @param {(line: string) => void} o.out
 * @param {AbortSignal} o.signal aborting it stops the run cleanly
 * @returns {Promise<RunResult>}
 */
export async function runSlots({ prover, keys, registry, options, out, signal }) {
  const first = 1
  const last = options.slots
  // Slot 1 starts shortly after now; slot 0 would be genesis.
  const clock = new SlotClock({ genesisMs: Date.now() + 200 - first * options.slotMs, slotMs: options.slotMs, intervals: options.intervals })
  const pool = new AttestationPool()
  const overallLoop = monitorEventLoopDelay({ resolution: 1 })
  const slotLoop = monitorEventLoopDelay({ resolution: 1 })
  const signing = new AbortController()
  /** @type {Set<NodeJS.Timeout>} */
  const timers = new Set()
  /** @type {Set<Promise<unknown>>} */
  const pending = new Set()
  /** @type {Set<AggregationSession>} */
  const sessions = new Set()
  /** @type {Map<number, { session: import('leanagg').OpenAggregationSession, record: SlotRecord }>} */
  const open = new Map()
  /** @type {Map<number, SlotRecord>} */
  const records = new Map()
  /** @type {Map<number, { p99: number, max: number }>} */
  const loops = new Map()
  /** The widest aggregate published for each attestation data, by `slot/data`: what a block takes. */
  /** @type {Map<string, { signed: import('leanagg').SignedAggregatedAttestation, signers: number }>} */
  const widest = new Map()
  let current = first - 1
  let printed = first - 1
  /** @type {unknown} */
  let failure
  let stopped = false

  const track = (/** @type {Promise<unknown>} */ p) => {
    pending.add(p)
    void p.finally(() => pending.delete(p))
  }
  const fail = (/** @type {unknown} */ err) => {
    failure ??= err
    stop()
  }
  // Stop: no new tick, no new signature, sessions cancelled. Nothing here waits.
  const stop = () => {
    clock.stop()
    signing.abort(new Error('stopped'))
    for (const t of timers) clearTimeout(t)
    timers.clear()
    for (const s of sessions) s.cancel('demo stopped')
  }
  const onAbort = () => {
    stopped = true
    stop()
  }
  signal.addEventListener('abort', onAbort, { once: true })

  // Print slot lines in order, each once its session settled and its slot ended.
  const flush = () => {
    for (;;) {
      const r = records.get(printed + 1)
      if (!r?.summary || !loops.has(r.slot)) return
      r.loop = loops.get(r.slot)
      out(slotLine(r))
      printed++
    }
  }

  const endSlot = (/** @type {number} */ slot) => {
    loops.set(slot, { p99: slotLoop.percentile(99) / 1e6, max: slotLoop.max / 1e6 })
    slotLoop.reset()
    flush()
  }

  const startSlot = (/** @type {number} */ slot) => {
    current = slot
    const slotStart = clock.intervalStart(slot, 0)
    const windowMs = Math.max(1, 2 * clock.intervalMs - ARRIVAL_MARGIN_MS)
    for (const task of planSlot(slot, keys.length, windowMs, slot > first)) {
      const timer = setTimeout(
        () => {
          timers.delete(timer)
          const key = /** @type {SecretKey} */ (keys[task.validator])
          track(
            // A late vote signs a slot the validator missed, below one it may have signed since:
            // out of order, which the signing record allows only when asked.
            prover.sign(key, task.message, task.signSlot, { signal: signing.signal, allowOutOfOrder: task.late }).then(
              (signature) => arrived(slot, task, voteBytes(task.validator, attestationData(task.signSlot, task.data), signature)),
              (err) => {
                if (!signing.signal.aborted) fail(err)
              },
            ),
          )
        },
        Math.max(0, slotStart + task.atMs - Date.now()),
      )
      timers.add(timer)
    }
  }

  // A vote (SignedAttestation bytes) arrived during `slot`: its key from the registry by its
  // validator index, into the pool, and into the slot's open session if any.
  const arrived = (/** @type {number} */ slot, /** @type {import('./workload.mjs').SigningTask} */ task, /** @type {Uint8Array} */ bytes) => {
    const vote = receivedVote(registry, bytes, task.late ? 0 : 1)
    const current = open.get(slot)
    // The previous slot's head, re-proved from raw: its on-time votes go in with the first late one.
    const before = current && task.late ? pool.onTime(task.signSlot, task.data) : []
    pool.add(task, /** @type {import('leanagg').SignedBy} */ (vote.signatures[0]))
    if (!current || current.session.sealed) return
    const receipt = current.session.add({ ...vote, signatures: [...before, ...vote.signatures] })
    const meta = current.record.meta
    meta[receipt.index] ??= {
      label: task.late ? `head@${task.signSlot}+late` : task.data,
      slot: task.signSlot,
      data: task.data,
      signatures: 0,
      signers: 0,
      children: 0,
    }
    const m = /** @type {GroupMeta} */ (meta[receipt.index])
    m.signatures += receipt.added
    m.signers += receipt.added
  }

  const openSlot = (/** @type {number} */ slot) => {
    pool.prune(slot - 1)
    const deadlineAt = clock.intervalStart(slot, 3) - DEADLINE_MARGIN_MS
    // Votes are due by interval 2 (as a snapshot at interval 2 would take them): the cutoff.
    const session = prover.openSession({ deadlineAt, cutoffAt: clock.intervalStart(slot, 2), late: 'deliver' })
    /** @type {SlotRecord} */
    const record = { slot, meta: [], toProve: 0, proofs: [], gossipBytes: 0, summary: undefined, loop: undefined }
    records.set(slot, record)
    open.set(slot, { session, record })
    follow(session, record, () => {
      open.delete(slot)
      record.toProve = record.meta.filter((m) => m.signatures >= 2).length
    })
  }

  const startSession = (/** @type {number} */ slot) => {
    const { inputs, meta } = pool.groupsFor(slot)
    pool.prune(slot)
    const snapshot = buildSnapshot(inputs)
    const deadlineAt = clock.intervalStart(slot, 3) - DEADLINE_MARGIN_MS
    const session = prover.startSession(snapshot, { deadlineAt, late: 'deliver' })
    /** @type {SlotRecord} */
    const record = { slot, meta, toProve: snapshot.groups.length, proofs: [], gossipBytes: 0, summary: undefined, loop: undefined }
    records.set(slot, record)
    follow(session, record)
  }

  const follow = (/** @type {AggregationSession} */ session, /** @type {SlotRecord} */ record, onDone = () => {}) => {
    sessions.add(session)
    track(
      publish(session, record).then(() => {
        sessions.delete(session)
        onDone()
        flush()
      }, fail),
    )
  }

  // Stream the session: each aggregate is published (and kept as a future child) as it lands.
  const publish = async (/** @type {AggregationSession} */ session, /** @type {SlotRecord} */ record) => {
    for await (const result of session) {
      const m = /** @type {GroupMeta} */ (record.meta[result.index])
      pool.publish(m.slot, m.data, result.aggregate)
      const { signed, bytes } = published(registry, attestationData(m.slot, m.data), result)
      record.gossipBytes += bytes
      const key = `${m.slot}/${m.data}`
      if ((widest.get(key)?.signers ?? 0) < result.signerCount) widest.set(key, { signed, signers: result.signerCount })
      const proof = {
        index: result.index,
        label: m.label,
        ms: result.provedAt - result.startedAt,
        late: result.late,
        signers: result.signerCount,
        signatures: result.signatureCount,
        improves: result.improves !== undefined,
      }
      record.proofs.push(proof)
      if (options.verbose) {
        const since = result.finishedAt - clock.intervalStart(record.slot, 0)
        out(publishLine(record.slot, since, { ...proof, children: result.childCount, proofSize: result.proofSize }))
      }
    }
    record.summary = await session.done
  }

  const onTick = (/** @type {number} */ slot, /** @type {number} */ interval) => {
    try {
      if (interval === 0) {
        if (slot > first) endSlot(slot - 1)
        if (options.mode === 'open') openSlot(slot)
        startSlot(slot)
      } else if (interval === 2 && options.mode === 'snapshot') startSession(slot)
    } catch (err) {
      fail(err)
    }
  }

  out(tableHeader())
  overallLoop.enable()
  slotLoop.enable()
  let sessionSkippedByStop = false
  try {
    await clock.run(first, last, onTick)
    if (current >= first) endSlot(current)
    sessionSkippedByStop = stopped && !records.has(current)
    // Late proofs of the last slots are still published: wait for every session and signature.
    while (pending.size > 0) await Promise.allSettled([...pending])
  } finally {
    stop()
    signal.removeEventListener('abort', onAbort)
    overallLoop.disable()
    slotLoop.disable()
  }
  if (failure !== undefined) throw failure
  flush()
  return {
    slots: [...records.values()],
    lastSlot: last,
    stoppedIn: stopped ? Math.max(current, first) : undefined,
    sessionSkippedByStop,
    loop: { p99: overallLoop.percentile(99) / 1e6, max: overallLoop.max / 1e6 },
    widest,
  }
}
