/** The release workflow builds every listed target on its own runner, at the pinned revision; publishing refuses partial releases. */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = new URL('../..', import.meta.url).pathname
const workflow = readFileSync(join(root, '.github/workflows/release.yml'), 'utf8')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

describe('release workflow', () => {
  it('has one matrix entry per napi target, each on its own runner', () => {
    const entries = [...workflow.matchAll(/- target: (\S+)\n\s+runner: (\S+)/g)].map((m) => ({ target: m[1], runner: m[2] }))
    expect(entries.map((e) => e.target).sort()).toEqual([...pkg.napi.targets].sort())
    expect(new Set(entries.map((e) => e.runner)).size).toBe(entries.length)
  })

  it('names the revision the real-prover backend pins', () => {
    const rev = /LEAN_MULTISIG_REV: ([0-9a-f]{40})/.exec(workflow)?.[1]
    const manifest = readFileSync(join(root, 'native/lean-multisig/backend/Cargo.toml'), 'utf8')
    expect(rev).toBeDefined()
    expect(manifest).toContain(`git = "https://github.com/leanEthereum/leanMultisig", rev = "${rev}"`)
  })

  it('publishes only a complete release', () => {
    const dir = mkdtempSync(join(tmpdir(), 'leanagg-release-'))
    try {
      mkdirSync(join(dir, 'release-x86_64-unknown-linux-gnu'))
      const manifest = { version: pkg.version, backend: 'lean-multisig', target: 'linux-x64-gnu', main: { file: 'm.tgz' }, platform: { file: 'p.tgz' } }
      writeFileSync(join(dir, 'release-x86_64-unknown-linux-gnu', 'manifest.json'), JSON.stringify(manifest))
      const r = spawnSync(process.execPath, [join(root, 'scripts/release-publish.mjs'), dir, '--dry-run'], { encoding: 'utf8' })
      expect(r.status).not.toBe(0)
      expect(r.stderr).toContain('are not package.json')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
