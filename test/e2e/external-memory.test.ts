/**
 * Native memory held by JS objects (key trees, proofs) is reported to V8 as external memory while
 * the objects live, and given back when they are collected: run in a child with `--expose-gc`.
 * V8's own count is read back through the addon (`reportedExternalMemory`).
 */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { BACKEND } from '../support/helpers.js'

const script = `
  import { Prover, reportedExternalMemory } from './dist/index.js'
  const p = new Prover({ backend: process.env.LEANAGG_BACKEND ?? 'simulated' })
  await p.setup()
  const settle = async () => {
    for (let i = 0; i < 4; i++) { gc(); await new Promise((r) => setImmediate(r)) }
  }
  const external = () => reportedExternalMemory()
  await settle()
  const before = external()
  let keys = await Promise.all([1, 2].map((i) => p.generateKey(new Uint8Array(32).fill(i), 0, 4095)))
  const m = new Uint8Array(32).fill(9)
  const signatures = await Promise.all(keys.map(async (k) => ({ publicKey: k.publicKey, signature: await p.sign(k, m, 1) })))
  let aggregates = []
  for (let i = 0; i < 3; i++) aggregates.push(await p.aggregate({ message: m, slot: 1, signatures }))
  await settle()
  const held = external() - before
  const proofBytes = aggregates.reduce((n, a) => n + a.toBytes().length, 0)
  keys = aggregates = undefined
  await settle()
  const left = external() - before
  await p.close()
  process.stderr.write(JSON.stringify({ held, proofBytes, left }))
`

describe('external memory', () => {
  it(`keys and aggregates count toward V8's external memory while they live (${BACKEND})`, () => {
    const out = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env },
      encoding: 'utf8',
      timeout: 600_000,
    })
    expect(out.status, out.stderr).toBe(0)
    const { held, proofBytes, left } = JSON.parse(out.stderr.trim().split('\n').pop()!)
    // Two key trees of 4096 slots (about 128 KiB each) and three proofs.
    expect(held).toBeGreaterThanOrEqual(proofBytes + 2 * 4096 * 32)
    expect(left).toBeLessThan(held / 4)
  })
})
