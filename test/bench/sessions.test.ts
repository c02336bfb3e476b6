/** The scheduling benchmark's quick mode runs and reports every policy (numbers are not asserted). */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'

const root = new URL('../..', import.meta.url).pathname

interface Workload {
  name: string
  arrivals?: boolean
  rows: Record<string, unknown>[]
  verdict: string
}

describe('bench/sessions.mjs --quick', () => {
  it('replays a short workload and an arrival workload under every policy and reports each', () => {
    const out = spawnSync(process.execPath, ['bench/sessions.mjs', '--quick', '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 })
    expect(out.stderr).toBe('')
    expect(out.status).toBe(0)
    const report = JSON.parse(out.stdout) as { workloads: Workload[] }
    const snapshot = report.workloads.filter((w) => !w.arrivals)
    const arrival = report.workloads.filter((w) => w.arrivals)
    expect(snapshot.length).toBeGreaterThanOrEqual(1)
    expect(arrival.length).toBeGreaterThanOrEqual(1)
    for (const w of snapshot) {
      expect(w.name).not.toMatch(/arrival/)
      expect(w.rows.map((r) => r.name)).toEqual(['ethlambda', 'zeam', 'gean', 'leanagg (default)'])
      for (const row of w.rows) {
        for (const field of ['before', 'late', 'starved', 'waitingSlots', 'afterDeadlineS', 'wastedS']) {
          expect(typeof row[field]).toBe('number')
        }
      }
      expect(w.verdict).toMatch(/^leanagg \(default\): /)
    }
    for (const w of arrival) {
      expect(w.name).toMatch(/arrival/)
      expect(w.rows.map((r) => r.name)).toEqual([
        'ethlambda',
        'zeam',
        'gean',
        'leanagg (snapshot)',
        'leanagg (open)',
        'leanagg (open, expected votes)',
        'bound',
      ])
      for (const row of w.rows) {
        for (const field of [
          'offered',
          'before',
          'late',
          'starved',
          'waitingSlots',
          'headCovered',
          'headEligible',
          'headHit',
          'headRatio',
          'afterDeadlineS',
          'wastedS',
        ]) {
          expect(typeof row[field]).toBe('number')
          expect(Number.isFinite(row[field])).toBe(true)
        }
      }
      expect(w.verdict).toMatch(/^leanagg \(open\): /)
    }
  })
})
