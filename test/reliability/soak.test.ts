/** Soak (issue 10): the soak script runs in its own process and must exit by itself, memory flat. */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { REAL } from '../support/helpers.js'

const SESSIONS = Number(process.env.RELIABILITY_SESSIONS ?? (REAL ? 20 : 2000))
const root = new URL('../..', import.meta.url).pathname

describe('soak', () => {
  it(`${SESSIONS} sessions with cancels, supersedes, deadlines, panics and closes; exits cleanly`, () => {
    const args = ['--expose-gc', 'test/reliability/soak.mjs', '--sessions', String(SESSIONS), ...(REAL ? ['--real'] : [])]
    const out = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 1_500_000 })
    expect(out.stderr).toBe('')
    expect(out.status, out.stderr).toBe(0)
    const report = JSON.parse(out.stdout.trim().split('\n').at(-1)!)
    process.stderr.write(`\nsoak: ${JSON.stringify(report)}\n`)
    expect(report.handles).toEqual([])
    // Every aggregate made and dropped gave back the native memory it reported to V8: flat from
    // the first sessions to the end (the keys, made once, still hold theirs).
    expect(report.externalEndKB - report.externalStartKB).toBeLessThan(64)
    expect(Object.values(report.outcomes as Record<string, number>).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(SESSIONS)
    // Flat once warm: checked on long runs only (a short run is mostly V8 warming up its heap).
    if (SESSIONS >= 10_000) expect(Math.abs(report.rssSlopeKBPer1000Sessions)).toBeLessThan(1024)
  }, 1_600_000)
})
