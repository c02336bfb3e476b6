#!/usr/bin/env node
// Build the addon and its prover server (`leanagg-prover`, see native/prover-server) in one cargo
// invocation, so they share one dependency graph (the real prover compiles once), then put the
// server beside the addon, where the addon looks for it:
//   node scripts/build-native.mjs [--lean-multisig] [--out DIR] [--server-out DIR]
// --out: where napi writes the addon, index.js and index.d.ts (default: the repository root);
// --server-out: where the server goes (default: --out). The target directory is cargo's own
// (CARGO_TARGET_DIR, else .cargo/config.toml's).
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, renameSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const root = resolve(import.meta.dirname, '..')
const { values: flags } = parseArgs({
  options: {
    'lean-multisig': { type: 'boolean', default: false },
    out: { type: 'string', default: '.' },
    'server-out': { type: 'string' },
  },
})
const real = flags['lean-multisig']
const manifest = real ? ['--manifest-path', 'native/lean-multisig/Cargo.toml'] : []

function run(cmd, args, stdout = 'inherit') {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', stdout, 'inherit'] })
  if (r.status !== 0) {
    const hint = real ? '\nThe real-prover build needs the pinned leanMultisig (see the README, "The real prover").' : ''
    console.error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})${hint}`)
    process.exit(r.status ?? 1)
  }
  return r.stdout?.toString() ?? ''
}

// napi builds the workspace's default members: the addon and the server (see the Cargo.toml).
const napi = join(root, 'node_modules', '.bin', 'napi')
run(napi, [
  'build',
  '--platform',
  '--release',
  '--no-const-enum',
  ...manifest,
  '--package-json-path',
  'package.json',
  '--output-dir',
  flags.out,
  '--js',
  'index.js',
  '--dts',
  'index.d.ts',
])

const { target_directory: targetDir } = JSON.parse(run('cargo', ['metadata', '--no-deps', '--format-version', '1', ...manifest], 'pipe'))
// napi always passes `--target` (the host's, unless told otherwise), so its artifacts are in a
// directory of that name.
const host = /^host: (.+)$/m.exec(run('rustc', ['-vV'], 'pipe'))?.[1]
const exe = process.platform === 'win32' ? '.exe' : ''
// Each build's server has its own name in the shared target directory; beside the addon it is
// always `leanagg-prover`, the name the addon looks for.
const built = join(targetDir, host, 'release', `leanagg-prover${real ? '-lean-multisig' : ''}${exe}`)
const out = resolve(root, flags['server-out'] ?? flags.out)
mkdirSync(out, { recursive: true })
// Copied beside, then renamed over: a server still running (a test, a bench) keeps its own file,
// where copying onto it would fail with ETXTBSY.
const dest = join(out, `leanagg-prover${exe}`)
copyFileSync(built, `${dest}.tmp`)
renameSync(`${dest}.tmp`, dest)
