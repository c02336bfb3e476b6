// Tables for the terminal and the README (markdown), and the verdict the issue asks for.

const CLIENTS = ['ethlambda', 'zeam', 'gean']

export function policyTable(rows) {
  const head = ['policy', 'signers before deadline', 'signers late', 'slots starved', 'prover s after deadline', 'prover s wasted']
  const body = rows.map((r) => [r.name, r.before, r.late, `${r.starved}/${r.waitingSlots}`, seconds(r.afterDeadlineS), seconds(r.wastedS)])
  return markdown(head, body)
}

/** leanagg's default against each client policy: signers before the deadline, and starved slots. */
export function verdict(rows) {
  const ours = rows.find((r) => r.name === 'leanagg (default)')
  if (!ours) return 'leanagg (default) not run'
  const behind = rows.filter((r) => CLIENTS.includes(r.name) && r.before > ours.before).map((r) => r.name)
  const ahead = behind.length === 0 ? 'ahead of or equal to every client policy before the deadline' : `BEHIND ${behind.join(', ')} before the deadline`
  return `leanagg (default): ${ahead}; ${ours.starved} starved slots`
}

export function markdown(head, body) {
  const lines = [head, head.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`)
  return lines.join('\n')
}

/** `hit/of (pct%)`. */
export function share(hit, of) {
  return `${hit}/${of} (${of === 0 ? 100 : ((100 * hit) / of).toFixed(0)}%)`
}

function seconds(s) {
  return Number.isFinite(s) ? s.toFixed(1) : 'n/a'
}

/** Arrival workloads: every policy and, last, the offline bound; each row's share of the bound. */
export function arrivalTable(rows) {
  const bound = rows.find((r) => r.name === 'bound')
  const head = [
    'policy',
    'signers before deadline',
    'of bound',
    'signers late',
    'head in full before deadline',
    'head aggregated before deadline (of eligible)',
    'head in full (of eligible)',
    'head in full (of eligible with 10% slack)',
    'slots starved',
    'prover s after deadline',
    'prover s replaced/wasted',
  ]
  const body = rows.map((r) => [
    r.name,
    r.before,
    bound && bound.before > 0 ? `${((100 * r.before) / bound.before).toFixed(0)}%` : 'n/a',
    r.name === 'bound' ? '-' : r.late,
    `${r.headCovered}/${r.slots}`,
    share(r.headAggregated, r.headEligible),
    share(r.headHit, r.headEligible),
    share(r.headClearHit, r.headClear),
    r.name === 'bound' ? '-' : `${r.starved}/${r.waitingSlots}`,
    r.name === 'bound' ? '-' : seconds(r.afterDeadlineS),
    r.name === 'bound' ? '-' : seconds(r.wastedS),
  ])
  return markdown(head, body)
}

/**
 * The targets on an arrival workload: leanagg (open) covers at least 3x the signers
 * before the deadline of the best client policy and more than leanagg's snapshot default; the
 * head group covered (an aggregate of it published) before the deadline in at least 95% of the
 * eligible slots, with how often that aggregate held every head vote beside it; no starved slot.
 */
export function arrivalVerdict(rows) {
  const open = rows.find((r) => r.name === 'leanagg (open)')
  const snapshot = rows.find((r) => r.name === 'leanagg (snapshot)')
  if (!open) return 'leanagg (open) not run'
  const clients = rows.filter((r) => CLIENTS.includes(r.name))
  const best = clients.reduce((a, b) => (b.before > a.before ? b : a), clients[0])
  const checks = []
  const check = (ok, text) => checks.push(`${ok ? 'ok' : 'MISS'} ${text}`)
  if (best) {
    const x = best.before === 0 ? Infinity : open.before / best.before
    check(
      x >= 3,
      `${open.before} signers before the deadline = ${Number.isFinite(x) ? x.toFixed(2) : 'inf'}x the best client's (${best.name}, ${best.before}; target 3x)`,
    )
  }
  if (snapshot) check(open.before > snapshot.before, `${open.before} > leanagg (snapshot)'s ${snapshot.before}`)
  const pct = (x) => `${(100 * x).toFixed(1)}%`
  check(
    open.headAggregatedRatio >= 0.95,
    `head aggregated before the deadline in ${open.headAggregated}/${open.headEligible} eligible slots = ${pct(open.headAggregatedRatio)} (target 95%); ` +
      `in full in ${open.headHit}/${open.headEligible} = ${pct(open.headRatio)}, ${open.headClearHit}/${open.headClear} = ${pct(open.headClearHit / Math.max(1, open.headClear))} where the slack is at least 10% of its proof`,
  )
  check(open.starved === 0, `${open.starved} starved slots (target 0)`)
  return `leanagg (open): ${checks.join('; ')}`
}
