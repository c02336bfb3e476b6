// @ts-check
/** Everything the demo prints: the key line, the slot table, publish lines, the summary, progress. */

/** @typedef {import('leanagg').SessionSummary} SessionSummary */
/** @typedef {import('./pool.mjs').GroupMeta} GroupMeta */
/** @typedef {import('./keys.mjs').KeyReport} KeyReport */

/**
 * What one slot did: filled in as the slot runs, printed once its session has settled and the
 * slot has ended.
 * @typedef {object} SlotRecord
 * @property {number} slot
 * @property {GroupMeta[]} meta one per input group
 * @property {number} toProve groups left after the snapshot dropped trivial and duplicate ones
 * @property {{ index: number, label: string, ms: number, late: boolean, signers: number, signatures: number, improves: boolean }[]} proofs
 *   in landing order: signers covered by the aggregate, raw signatures it took in, whether it
 *   replaced an earlier aggregate of its group (open mode)
 * @property {number} gossipBytes SignedAggregatedAttestation bytes published for it
 * @property {SessionSummary | undefined} summary
 * @property {{ p99: number, max: number } | undefined} loop event-loop delay during the slot, ms
 */

/**
 * @typedef {object} RunResult
 * @property {SlotRecord[]} slots slots whose session started, in order
 * @property {number} lastSlot
 * @property {number | undefined} stoppedIn the slot running when Ctrl-C stopped the run
 * @property {boolean} sessionSkippedByStop the stopped slot ended before its session started
 * @property {{ p99: number, max: number }} loop event-loop delay over the whole run, ms
 * @property {Map<string, { signed: import('leanagg').SignedAggregatedAttestation, signers: number }>} widest
 *   the widest aggregate published for each attestation data (`slot/data`), as published
 */

const COLUMNS = [
  ['slot', 5],
  ['groups', 7],
  ['covered', 8],
  ['proved', 7],
  ['late', 5],
  ['gossip', 7],
  ['loop p99', 9],
  ['skipped (by reason)', -26],
  ['prove ms (* = late, + = re-proved with more votes)', -0],
]

/** @param {(string | number)[]} cells */
function row(cells) {
  return cells
    .map((cell, i) => {
      const width = /** @type {number} */ (COLUMNS[i]?.[1])
      const text = String(cell)
      return width >= 0 ? text.padStart(width) : text.padEnd(-width)
    })
    .join('  ')
    .trimEnd()
}

export function tableHeader() {
  return row(COLUMNS.map(([name]) => /** @type {string} */ (name)))
}

/**
 * Signers covered before the deadline: per group, the signers of its widest aggregate published in
 * time, against the distinct signers the group held (raw votes, and a child's signers).
 * @param {SlotRecord} r
 */
export function coverageOf(r) {
  const total = r.meta.reduce((n, m) => n + m.signers, 0)
  /** @type {Map<number, number>} */
  const best = new Map()
  for (const p of r.proofs) if (!p.late) best.set(p.index, Math.max(best.get(p.index) ?? 0, p.signers))
  const covered = [...best.values()].reduce((a, b) => a + b, 0)
  return { covered, total }
}

/** The slot's head vote (its largest group): published before the deadline, and in full? */
export function headOf(/** @type {SlotRecord} */ r) {
  const index = r.meta.findIndex((m) => m.label === 'head')
  const inTime = r.proofs.filter((p) => p.index === index && !p.late)
  const signers = r.meta[index]?.signers ?? 0
  return { published: inTime.length > 0, full: inTime.some((p) => p.signers >= signers) }
}

/** One aligned line for a slot whose session has settled. */
export function slotLine(/** @type {SlotRecord} */ r) {
  const s = /** @type {SessionSummary} */ (r.summary)
  const { covered, total } = coverageOf(r)
  return row([
    r.slot,
    s.considered,
    `${covered}/${total}`,
    s.aggregated,
    s.late,
    `${Math.round(r.gossipBytes / 1024)}K`,
    r.loop ? `${fmt(r.loop.p99)} ms` : '-',
    notProved(s) || '-',
    r.proofs.map((p) => `${fmt(p.ms)}${p.late ? '*' : ''}${p.improves ? '+' : ''}`).join(' ') || '-',
  ])
}

/** Skipped by reason, then failed by code, cancelled and late-dropped: every group not proved. */
function notProved(/** @type {SessionSummary} */ s) {
  const parts = Object.entries(s.skippedByReason).map(([reason, n]) => `${reason} ${n}`)
  for (const [code, n] of Object.entries(s.failedByCode)) parts.push(`failed:${code} ${n}`)
  // Proofs that were running when the session was cancelled, superseded or closed.
  if (s.cancelled > 0) parts.push(`abandoned ${s.cancelled}`)
  const dropped = s.outcomes.filter((o) => o.status === 'late-dropped').length
  if (dropped > 0) parts.push(`late-dropped ${dropped}`)
  return parts.join(', ')
}

/**
 * A block's line: the slot's aggregates merged into one MultiMessageAggregate, and what the
 * verifying node made of its bytes.
 * @param {import('./spec.mjs').BlockReport} b
 */
export function blockLine(b) {
  const verdict = b.verified === true ? 'valid' : b.verified === false ? 'INVALID' : `refused: ${b.verified}`
  return (
    `block ${String(b.slot).padStart(4)}  ${plural(b.attestations, 'aggregate')} of ${b.signers} signers merged in ${fmt(b.mergeMs)} ms, ` +
    `${Math.round(b.bytes / 1024)} KiB; node B, from the bytes and its own registry: ${verdict} (${fmt(b.verifyMs)} ms)`
  )
}

/** A line for an aggregate as it is published (--verbose). */
export function publishLine(
  /** @type {number} */ slot,
  /** @type {number} */ sinceSlotStartMs,
  /** @type {{ label: string, ms: number, late: boolean, signers: number, children: number, proofSize: number }} */ p,
) {
  const kb = Math.round(p.proofSize / 1024)
  return `      publish slot ${slot} +${fmt(sinceSlotStartMs)} ms: ${p.label}, ${p.signers} signers, ${p.children} children, proved in ${fmt(p.ms)} ms, ${kb} KiB${p.late ? ', LATE' : ''}`
}

/**
 * The key cache's outcome, in a few lines: where it is, what was reused, and whether loading
 * was any faster than generating.
 * @param {KeyReport} k
 * @param {string} dir absolute path of the cache
 * @returns {string[]}
 */
export function keyLines(k, dir) {
  const lines = [`keys: ${k.keys.length} validators, slots ${k.firstSlot}..${k.lastSlot}, cache ${dir}`]
  if (k.manifestProblem) lines.push(`keys: cache not used (${k.manifestProblem})`)
  for (const r of k.rejected) lines.push(`keys: rejected cached key ${r.index} (${r.why}): regenerated`)
  const timing = []
  if (k.loadMsPerKey !== undefined) timing.push(`load ${ms2(k.loadMsPerKey)} ms/key`)
  if (k.generateMsPerKey !== undefined) timing.push(`keygen ${ms2(k.generateMsPerKey)} ms/key`)
  if (k.loadMsPerKey !== undefined && k.generateMsPerKey === undefined && k.cachedGenerateMsPerKey !== undefined) {
    timing.push(`keygen ${ms2(k.cachedGenerateMsPerKey)} ms/key when cached`)
  }
  const gen = k.generateMsPerKey ?? k.cachedGenerateMsPerKey
  let verdict = ''
  if (k.loadMsPerKey !== undefined && gen !== undefined) {
    // Loading rebuilds the Merkle tree from the seed: expect no gain, and say what was measured.
    verdict = k.loadMsPerKey < 0.7 * gen ? ': loading is faster' : ': loading is no faster (it rebuilds each Merkle tree)'
  }
  lines.push(`keys: ${k.loaded} loaded from cache, ${k.generated} generated in ${fmt(k.wallMs)} ms (${timing.join(', ')})${verdict}`)
  return lines
}

/**
 * The end-of-run summary.
 * @param {RunResult} run
 * @param {{ slots: number, closeNote: string }} context
 * @returns {string[]}
 */
export function summaryLines(run, { slots, closeNote }) {
  const records = run.slots.filter((r) => r.summary)
  const sum = (/** @type {(s: SessionSummary) => number} */ f) => records.reduce((n, r) => n + f(/** @type {SessionSummary} */ (r.summary)), 0)
  /** @type {Record<string, number>} */
  const skipped = {}
  /** @type {Record<string, number>} */
  const failed = {}
  for (const r of records) {
    const s = /** @type {SessionSummary} */ (r.summary)
    for (const [k, n] of Object.entries(s.skippedByReason)) skipped[k] = (skipped[k] ?? 0) + (n ?? 0)
    for (const [k, n] of Object.entries(s.failedByCode)) failed[k] = (failed[k] ?? 0) + (n ?? 0)
  }
  const proofs = records.flatMap((r) => r.proofs)
  const proveMs = proofs.map((p) => p.ms)
  // Groups waited and nothing was proved; a session the demo itself stopped (Ctrl-C) does not count.
  const stoppedByUs = (/** @type {SessionSummary | undefined} */ s) => s?.outcome === 'cancelled' || s?.outcome === 'closed'
  const starved = records.filter((r) => r.toProve > 0 && r.summary?.aggregated === 0 && !stoppedByUs(r.summary)).map((r) => r.slot)
  const coverage = records.map(coverageOf)
  const covered = coverage.reduce((n, c) => n + c.covered, 0)
  const signersTotal = coverage.reduce((n, c) => n + c.total, 0)
  const budget = firstBudgetSkip(records)
  // The head vote is each slot's largest group, the one the safe-target update needs most.
  const heads = records.map(headOf)
  const replaced = proofs.filter((p) => p.improves).length
  const replacedMs = sum((s) => s.coverage?.replacedProofMs ?? 0)

  const how =
    run.stoppedIn === undefined
      ? `${records.length} of ${slots} slots, completed`
      : `stopped by Ctrl-C in slot ${run.stoppedIn}${run.sessionSkippedByStop ? ' before its session' : ''}; ${plural(records.length, 'slot')} had a session`
  const list = (/** @type {Record<string, number>} */ o) =>
    Object.entries(o)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')
  const lines = [
    `summary: ${how}`,
    `  groups      ${sum((s) => s.considered)}: proved ${sum((s) => s.aggregated)} (late ${proofs.filter((p) => p.late).length}), ` +
      `skipped ${sum((s) => s.skipped)}${Object.keys(skipped).length ? ` (${list(skipped)})` : ''}, ` +
      `failed ${sum((s) => s.failed)}${Object.keys(failed).length ? ` (${list(failed)})` : ''}, abandoned while proving ${sum((s) => s.cancelled)}`,
    `  covered     ${covered} of ${signersTotal} signers covered by aggregates published before the deadline`,
    `  head vote   published before the deadline in ${heads.filter((h) => h.published).length} of ${plural(records.length, 'slot')}, ` +
      `in full in ${heads.filter((h) => h.full).length} (each slot's largest group)`,
    ...(replaced > 0 || replacedMs > 0
      ? [`  re-proved   ${plural(replaced, 'aggregate')} replaced an earlier one with more votes; ${fmt(replacedMs)} ms of prover time went to replaced proofs`]
      : []),
    `  starved     ${starved.length} of ${plural(records.length, 'slot')} aggregated nothing while groups waited${starved.length ? `: slots ${starved.join(', ')}` : ''}`,
    proveMs.length
      ? `  prove ms    mean ${fmt(proveMs.reduce((a, b) => a + b, 0) / proveMs.length)}, max ${fmt(Math.max(...proveMs))} over ${plural(proveMs.length, 'proof')}`
      : '  prove ms    no proofs',
    `  event loop  delay p99 ${fmt(run.loop.p99)} ms, max ${fmt(run.loop.max)} ms`,
  ]
  if (budget) lines.push(`  budget      first budget skip: ${budget}`)
  lines.push(`  prover      ${closeNote}`)
  return lines
}

/** The first admission-control skip, with the engine's own numbers: why groups waited. */
function firstBudgetSkip(/** @type {SlotRecord[]} */ records) {
  for (const r of records) {
    for (const o of r.summary?.outcomes ?? []) {
      if (o.status === 'skipped' && o.reason === 'budget') {
        return `slot ${r.slot} ${r.meta[o.index]?.label ?? `group ${o.index}`}${o.detail ? `: ${o.detail}` : ''}`
      }
    }
  }
  return undefined
}

/**
 * A progress indicator on `stream`: one line redrawn on a TTY, a few plain lines otherwise.
 * @param {NodeJS.WriteStream} stream
 * @param {string} label
 */
export function createProgress(stream, label) {
  let lastQuarter = -1
  let open = false
  return {
    /** @param {number} done @param {number} total */
    update(done, total) {
      if (stream.isTTY) {
        open = done < total
        stream.write(`\r\x1b[K${label} ${done}/${total}${open ? '' : '\n'}`)
        return
      }
      // Not a terminal (a pipe, a log file): a line at 0, 25, 50, 75 and 100%.
      const quarter = total === 0 ? 4 : Math.floor((done * 4) / total)
      if (quarter === lastQuarter) return
      lastQuarter = quarter
      stream.write(`${label} ${done}/${total}\n`)
    },
    /** End the redrawn line early (on a stop). */
    end() {
      if (open) stream.write('\n')
      open = false
    },
  }
}

function plural(/** @type {number} */ n, /** @type {string} */ noun) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

function fmt(/** @type {number} */ ms) {
  return String(Math.round(ms))
}

function ms2(/** @type {number} */ ms) {
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(0)
}
