#!/usr/bin/env node
// Build the prover server (`leanagg-prover`, see native/isolation) and put it beside the addon,
// where the addon looks for it:
//   node scripts/build-prover-server.mjs [--lean-multisig] [--out DIR]
// It is a separate Cargo package because an executable cannot link napi's symbols.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, renameSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values: flags } = parseArgs({ options: { 'lean-multisig': { type: 'boolean', default: false }, out: { type: 'string', default: '.' } } })
const real = flags['lean-multisig']
const manifest = real ? ['--manifest-path', 'native/lean-multisig/Cargo.toml', '-p', 'leanagg-lean-multisig-prover-server'] : ['-p', 'leanagg-prover-server']
const cargo = spawnSync('cargo', ['build', '--release', ...manifest], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
if (cargo.status !== 0) process.exit(cargo.status ?? 1)
// Each build's server has its own name in the shared target directory; beside the addon it is
// always `leanagg-prover`, the name the addon looks for.
const exe = process.platform === 'win32' ? '.exe' : ''
const built = `leanagg-prover${real ? '-lean-multisig' : ''}${exe}`
const out = resolve(root, flags.out)
mkdirSync(out, { recursive: true })
// Copied beside, then renamed over: a server still running (a test, a bench) keeps its own file,
// where copying onto it would fail with ETXTBSY.
const dest = join(out, `leanagg-prover${exe}`)
copyFileSync(join(root, 'target', 'release', built), `${dest}.tmp`)
renameSync(`${dest}.tmp`, dest)
