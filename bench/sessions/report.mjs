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

function seconds(s) {
  return Number.isFinite(s) ? s.toFixed(1) : 'n/a'
}
