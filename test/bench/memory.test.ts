/** The memory benchmark's harness on the simulated backend: it measures every phase of a fresh node and both sides' verification. No figure is asserted. */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = new URL('../..', import.meta.url).pathname
const out = mkdtempSync(path.join(os.tmpdir(), 'leanagg-memory-test-'))

describe.runIf(process.platform === 'linux')('bench/memory.mjs', () => {
  afterAll(() => rmSync(out, { recursive: true, force: true }))

  it('reports PSS after setup, at peak per size and idle, and verification on both sides', { timeout: 60_000 }, () => {
    const json = path.join(out, 'memory.json')
    const args = ['bench/memory.mjs', '--backend', 'simulated', '--sizes', '2,4', '--rounds', '1', '--verify-rounds', '2', '--idle-ms', '50', '--json', json]
    const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 60_000 })
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout).toContain('after setup')
    const r = JSON.parse(readFileSync(json, 'utf8'))
    const [node] = r.runs.leanagg
    // A host, its prover server and a worker, each counted.
    expect(node.setupParts).toMatchObject({ host: expect.any(Number), server: expect.any(Number), workerCount: 1 })
    expect(node.setupParts.server).toBeGreaterThan(0)
    expect(node.setup).toBeGreaterThan(0)
    expect(Object.keys(node.peak)).toEqual(['2', '4'])
    expect(node.idle).toBeGreaterThan(0)
    // The native program needs the real prover.
    expect(r.runs.native).toEqual([])
    expect(Object.keys(r.latency)).toEqual(['verifyAggregate', 'batchVerify (8)', 'verifyMerged', 'aggregateFromBytes'])
    for (const side of Object.values(r.latency) as Record<string, { p50: number }>[]) {
      expect(side['in-process']!.p50).toBeGreaterThan(0)
      expect(side.isolated!.p50).toBeGreaterThan(0)
    }
  })
})
