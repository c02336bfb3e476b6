#!/usr/bin/env node
// Publish what the release workflow packed, the napi-rs order: every platform package first, the
// main package (whose optionalDependencies name them) last, so no install ever resolves a main
// package whose platform package is not there yet.
//   node scripts/release-publish.mjs DIR [--dry-run [--partial]]
// DIR holds one folder per target, each with the manifest.json and tarballs of `release:pack`.
// Refuses a partial release: every target of package.json `napi.targets` must be there, once,
// built with the real prover, at this version, with byte-identical main packages. `--partial`
// (with --dry-run only) goes through the targets that are there, to try the steps on one host.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parseTriple } from '@napi-rs/cli'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'dry-run': { type: 'boolean', default: false }, partial: { type: 'boolean', default: false } },
})
if (positionals.length !== 1) throw new Error('usage: node scripts/release-publish.mjs DIR [--dry-run [--partial]]')
if (flags.partial && !flags['dry-run']) throw new Error('--partial is for --dry-run only: a release has every target')
const dir = resolve(positionals[0])
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

const packed = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('manifest.json'))
  .map((f) => ({ at: dirname(join(dir, f)), ...JSON.parse(readFileSync(join(dir, f), 'utf8')) }))
const expected = pkg.napi.targets.map((t) => parseTriple(t).platformArchABI).sort()
const found = packed.map((m) => m.target).sort()
const missing = expected.filter((t) => !found.includes(t))
if (found.length === 0 || found.some((t) => !expected.includes(t)) || new Set(found).size !== found.length || (missing.length > 0 && !flags.partial)) {
  throw new Error(`packed targets ${found.join(', ') || 'none'} are not package.json's ${expected.join(', ')}`)
}
for (const m of packed) {
  if (m.version !== pkg.version) throw new Error(`${m.target} was packed at ${m.version}, package.json says ${pkg.version}`)
  if (m.backend !== 'lean-multisig') throw new Error(`${m.target} was packed without the real prover (${m.backend})`)
}
const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex')
const mains = new Set(packed.map((m) => sha(join(m.at, m.main.file))))
if (mains.size !== 1) throw new Error('the main package differs between targets: pack it from one commit and one Node version')

const publish = (file) => {
  const args = ['publish', file, '--access', 'public', ...(flags['dry-run'] ? ['--dry-run'] : [])]
  process.stderr.write(`npm ${args.join(' ')}\n`)
  const r = spawnSync('npm', args, { stdio: ['ignore', 'inherit', 'inherit'] })
  if (r.status !== 0) throw new Error(`npm publish ${file} failed (exit ${r.status ?? r.signal})`)
}
for (const m of packed) publish(join(m.at, m.platform.file))
publish(join(packed[0].at, packed[0].main.file))
