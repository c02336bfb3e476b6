/**
 * `npm run demo` as a user runs it: `node demo/aggregator.mjs` in a child process, on the
 * simulated backend with tiny slots. Asserts behaviour (lines, exit codes, cache handling), never
 * timings.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { availableBackends } from '../../src/index.js'

const root = new URL('../..', import.meta.url).pathname
const script = join(root, 'demo', 'aggregator.mjs')
const scratch = mkdtempSync(join(tmpdir(), 'leanagg-demo-test-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Run the demo; `interruptWhen` sends SIGINT once stdout matches it. */
function demo(args: string[], interruptWhen?: RegExp): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let interrupted = false
    const killer = setTimeout(() => child.kill('SIGKILL'), 25_000)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      if (interruptWhen && !interrupted && interruptWhen.test(stdout)) {
        interrupted = true
        child.kill('SIGINT')
      }
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(killer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

const SIM = ['--backend', 'simulated', '--validators', '8']
const SLOT_LINE = /^\s+(\d+)\s+\d+\s+\d+\/\d+\s+\d+\s+\d+\s+\d+K\s+(\d+ ms|-)\s/
const STACK_TRACE = /^\s+at\s/m

function slotLines(stdout: string): number[] {
  return stdout
    .split('\n')
    .map((l) => SLOT_LINE.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
}

describe('npm run demo', () => {
  it('runs a short simulated session: backend line, header, one line per slot, summary, exit 0', async () => {
    const r = await demo([...SIM, '--slots', '2', '--slot-ms', '1000', '--cache-dir', join(scratch, 'short')])
    expect(r.code).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[0]).toMatch(/^backend: simulated \(NOT the real prover: /)
    expect(lines.filter((l) => /^\s*slot\s+groups\s+covered\s+proved\s+late\s+gossip\s+loop p99/.test(l))).toHaveLength(1)
    expect(slotLines(r.stdout)).toEqual([1, 2])
    // Each slot's block: its aggregates merged, verified by node B from the bytes and its own registry.
    const blocks = lines.filter((l) => l.startsWith('block '))
    expect(blocks).toHaveLength(2)
    for (const [i, b] of blocks.entries()) {
      expect(b).toMatch(
        new RegExp(
          `^block +${i + 1}  \\d+ aggregates? of \\d+ signers merged in \\d+ ms, \\d+ KiB; node B, from the bytes and its own registry: valid \\(\\d+ ms\\)$`,
        ),
      )
    }
    expect(r.stdout).toMatch(/^summary: 2 of 2 slots, completed$/m)
    expect(r.stdout).toMatch(/^ {2}starved {5}\d+ of 2 slots aggregated nothing while groups waited/m)
    expect(r.stdout).toMatch(/^ {2}event loop {2}delay p99 \d+ ms, max \d+ ms$/m)
    expect(r.stdout).not.toMatch(STACK_TRACE)
    expect(r.stderr).not.toMatch(STACK_TRACE)
  })

  it.skipIf(availableBackends().includes('lean-multisig'))(
    'asking for the real prover in a build without it prints one BACKEND_UNAVAILABLE line and fails',
    async () => {
      const r = await demo(['--backend', 'lean-multisig', '--cache-dir', join(scratch, 'unavailable')])
      expect(r.code).not.toBe(0)
      expect(r.stdout).toBe('')
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: BACKEND_UNAVAILABLE: \S/)])
    },
  )

  it('any other failure is one error line and a non-zero exit', async () => {
    const notADir = join(scratch, 'a-file')
    writeFileSync(notADir, 'x')
    const r = await demo([...SIM, '--slots', '1', '--cache-dir', notADir])
    expect(r.code).toBe(1)
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => !/^keys: /.test(l)),
    ).toEqual([expect.stringMatching(/^error: key cache /)])
    expect(r.stdout + r.stderr).not.toMatch(STACK_TRACE)

    const bad = await demo(['--slots', 'many'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: --slots must be an integer/)])
  })

  it('stops cleanly on Ctrl-C (SIGINT): summary printed, exit 0', async () => {
    // Interrupt once the first slot line is out: mid-run, with sessions and signing under way.
    const r = await demo(
      [...SIM, '--no-blocks', '--slots', '50', '--slot-ms', '1000', '--cache-dir', join(scratch, 'sigint')],
      new RegExp(SLOT_LINE.source, 'm'),
    )
    expect(r.signal).toBeNull()
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^summary: stopped by Ctrl-C in slot \d+/m)
    expect(r.stdout).toMatch(/^ {2}prover {6}closed/m)
    expect(r.stderr).toMatch(/Ctrl-C: stopping cleanly/)
    expect(r.stdout + r.stderr).not.toMatch(STACK_TRACE)
    // It stopped in one of its 50 slots, not after the last.
    expect(Number(/^summary: stopped by Ctrl-C in slot (\d+)/m.exec(r.stdout)?.[1])).toBeLessThan(50)
  })

  it('detects a corrupted or substituted cached key, regenerates it, then reuses the good cache', async () => {
    const dir = join(scratch, 'cache')
    const args = [...SIM, '--no-blocks', '--slots', '1', '--slot-ms', '500', '--cache-dir', dir]
    const first = await demo(args)
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/^keys: 0 loaded from cache, 8 generated/m)
    const original3 = readFileSync(join(dir, 'key-0003.bin'))

    // Key 3: a flipped byte (the checksum catches it). Key 5: another validator's key with a
    // matching checksum in the manifest (only rebuilding the key and comparing public keys catches it).
    const flipped = Buffer.from(original3)
    flipped[0]! ^= 0xff
    writeFileSync(join(dir, 'key-0003.bin'), flipped)
    const other = readFileSync(join(dir, 'key-0006.bin'))
    writeFileSync(join(dir, 'key-0005.bin'), other)
    const manifestPath = join(dir, 'manifest.json')
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { keys: { index: number; sha256: string }[] }
    manifest.keys.find((k) => k.index === 5)!.sha256 = createHash('sha256').update(other).digest('hex')
    writeFileSync(manifestPath, JSON.stringify(manifest))

    const second = await demo(args)
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/^keys: rejected cached key 3 \(key-0003\.bin: checksum mismatch\): regenerated$/m)
    expect(second.stdout).toMatch(/^keys: rejected cached key 5 \(key-0005\.bin: public key mismatch\): regenerated$/m)
    expect(second.stdout).toMatch(/^keys: 6 loaded from cache, 2 generated/m)
    expect(readFileSync(join(dir, 'key-0003.bin'))).toEqual(original3)

    const third = await demo(args)
    expect(third.code).toBe(0)
    expect(third.stdout).not.toMatch(/rejected/)
    expect(third.stdout).toMatch(/^keys: 8 loaded from cache, 0 generated/m)
  })
})
