/** The scheduling benchmark's quick mode runs and reports every policy (numbers are not asserted). */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'

const root = new URL('../..', import.meta.url).pathname

describe('bench/sessions.mjs --quick', () => {
  it('replays a short workload under every policy and reports each', () => {
    const out = spawnSync(process.execPath, ['bench/sessions.mjs', '--quick', '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 })
    expect(out.stderr).toBe('')
    expect(out.status).toBe(0)
    const report = JSON.parse(out.stdout) as { workloads: { name: string; rows: Record<string, unknown>[]; verdict: string }[] }
    expect(report.workloads.length).toBeGreaterThanOrEqual(1)
    for (const w of report.workloads) {
      expect(w.rows.map((r) => r.name)).toEqual(['ethlambda', 'zeam', 'gean', 'leanagg (default)'])
      for (const row of w.rows) {
        for (const field of ['before', 'late', 'starved', 'waitingSlots', 'afterDeadlineS', 'wastedS']) {
          expect(typeof row[field]).toBe('number')
        }
      }
      expect(w.verdict).toMatch(/^leanagg \(default\): /)
    }
  })
})
