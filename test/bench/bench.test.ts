/** The benchmark harness in quick mode (simulated backend): it runs, and writes every section. No timing is asserted. */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = new URL('../..', import.meta.url).pathname
const out = mkdtempSync(path.join(os.tmpdir(), 'leanagg-bench-test-'))

describe('bench --quick', () => {
  afterAll(() => rmSync(out, { recursive: true, force: true }))

  it('writes the JSON, the chart and every table', { timeout: 60_000 }, () => {
    const run = spawnSync(process.execPath, ['bench/run.mjs', '--quick', '--out', out], { cwd: root, encoding: 'utf8', timeout: 60_000 })
    expect(run.status, run.stderr).toBe(0)
    for (const heading of ['Prove latency per group', 'Event-loop delay', 'Cancellation', 'Batch verification', 'Single calls (tinybench)', 'Setup']) {
      expect(run.stdout).toContain(heading)
    }
    expect(run.stdout).toContain('Machine: ')

    const files = readdirSync(out)
    const json = files.find((f) => f.endsWith('.json'))
    const svg = files.find((f) => f.endsWith('.svg'))
    expect(json).toBeDefined()
    expect(svg).toBeDefined()
    expect(json!.replace(/\.json$/, '')).toBe(svg!.replace(/\.svg$/, ''))

    const r = JSON.parse(readFileSync(path.join(out, json!), 'utf8'))
    expect(r.mode).toBe('quick')
    expect(r.machine).toMatchObject({ cpuModel: expect.any(String), cores: expect.any(Number), memoryGiB: expect.any(Number) })
    // The native side needs the real prover; quick mode says why it skipped it.
    expect(r.native.available).toBe(false)
    expect(r.native.skipped).toEqual(expect.any(String))

    expect(r.setup.leanagg.setupMs.n).toBeGreaterThan(0)
    expect(r.setup.native.skipped).toEqual(expect.any(String))

    const ids = r.prove.groups.map((g: { id: string }) => g.id)
    expect(ids).toEqual([...r.config.sizes.map((n: number) => `s${n}`), ...r.config.children.map((k: number) => `c${k}`)])
    for (const g of r.prove.groups) {
      expect(g.leanagg.proveMs.n).toBe(r.config.rounds)
      expect(g.leanagg.verifyMs.n).toBe(r.config.rounds)
      expect(g.proofBytes).toBeGreaterThan(0)
    }

    expect(Object.keys(r.eventLoop.conditions)).toHaveLength(3)
    for (const c of Object.values(r.eventLoop.conditions) as { timer: { samples: number } }[]) expect(c.timer.samples).toBeGreaterThan(0)

    expect(r.cancel.scenarios.length).toBeGreaterThanOrEqual(6)
    for (const s of r.cancel.scenarios) expect(s.settleMs.n).toBe(r.cancel.rounds)

    expect(r.batch.cases.map((c: { name: string }) => c.name)).toEqual(['aggregates', 'signatures', 'aggregates + signatures'])

    expect(r.micro.tasks).toHaveLength(5)
    for (const t of r.micro.tasks) expect(t.error).toBeUndefined()

    const chart = readFileSync(path.join(out, svg!), 'utf8')
    expect(chart.startsWith('<svg')).toBe(true)
    expect(chart).toContain('prove latency')
  })
})
