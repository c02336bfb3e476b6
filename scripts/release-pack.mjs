#!/usr/bin/env node
// Build the release artifacts for the host target into one folder, the napi-rs way:
//   npm run release:pack [-- --simulated] [-- --out DIR]
// 1. the addon: the real-prover build (it has the simulated backend too), or with --simulated the
//    default build, which needs no git dependency; and the prover server built with it (in the same
//    cargo invocation, scripts/build-native.mjs);
// 2. `napi create-npm-dirs` and `napi artifacts`: one package per target (`leanagg-<target>`),
//    the host's holding the addon and the prover server beside it; it is packed;
// 3. the main package: what `npm pack` would publish, with every target's package as an
//    optional dependency of the same version (what `napi pre-publish` writes), packed.
// It writes DIR/manifest.json (the tarballs, sizes, the addon's backends) for the install test.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parseTriple } from '@napi-rs/cli'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values: flags } = parseArgs({
  options: { simulated: { type: 'boolean', default: false }, out: { type: 'string', default: 'release' } },
})
const out = resolve(root, flags.out)
const artifacts = join(out, 'artifacts')
const npmDir = join(out, 'npm')
const napi = join(root, 'node_modules', '.bin', 'napi')

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], ...options })
  if (r.status !== 0) {
    const hint = options.hint ? `\n${options.hint}` : ''
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})${hint}`)
  }
  return r
}

function npmPack(dir) {
  const r = run('npm', ['pack', dir, '--pack-destination', out, '--ignore-scripts', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [info] = JSON.parse(r.stdout.toString())
  return { file: info.filename, bytes: statSync(join(out, info.filename)).size, unpackedBytes: info.unpackedSize }
}

rmSync(out, { recursive: true, force: true })
mkdirSync(artifacts, { recursive: true })

// 1. The addon, and the loader and declarations napi generates with it, which must match the
//    committed index.js and index.d.ts (the main package ships those).
const serverDir = join(out, 'server')
run(process.execPath, ['scripts/build-native.mjs', '--out', artifacts, '--server-out', serverDir, ...(flags.simulated ? [] : ['--lean-multisig'])])
for (const generated of ['index.js', 'index.d.ts']) {
  if (readFileSync(join(artifacts, generated), 'utf8') !== readFileSync(join(root, generated), 'utf8')) {
    throw new Error(`napi generates another ${generated} than the committed one: run \`npm run build\` and commit index.js and index.d.ts`)
  }
  rmSync(join(artifacts, generated))
}
const [addon] = readdirSync(artifacts).filter((f) => f.endsWith('.node'))
if (!addon) throw new Error(`napi build left no .node file in ${artifacts}`)
const probe = run(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(join(artifacts, addon))}).availableBackends()))`], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
const backends = JSON.parse(probe.stdout.toString())
if (!flags.simulated && !backends.includes('lean-multisig')) throw new Error(`the real-prover addon has only ${backends.join(', ')}`)
const [server] = readdirSync(serverDir)

// 2. Per-target packages; `napi artifacts`, told of the host's target only (the others are built
//    on their own machines), moves the host's addon into its package.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const hostTriple = pkg.napi.targets.find((t) => `${pkg.napi.binaryName}.${parseTriple(t).platformArchABI}.node` === addon)
if (!hostTriple) throw new Error(`${addon} is for none of the targets in package.json (napi.targets)`)
// The napi CLI works on the project it runs in: give it the release folder as its project, with
// the package's manifest, so that it never touches the developer's own build (`napi artifacts`
// copies the addon wherever the project has a file of that name).
const napiIn = (args, manifest) => {
  writeFileSync(join(out, 'package.json'), JSON.stringify(manifest))
  run(napi, [...args, '--cwd', out])
}
napiIn(['create-npm-dirs', '--npm-dir', 'npm'], pkg)
napiIn(['artifacts', '--output-dir', 'artifacts', '--npm-dir', 'npm'], { ...pkg, napi: { ...pkg.napi, targets: [hostTriple] } })
rmSync(join(out, 'package.json'))
const targets = readdirSync(npmDir).map((dir) => ({ dir: join(npmDir, dir), pkg: JSON.parse(readFileSync(join(npmDir, dir, 'package.json'), 'utf8')) }))
const host = targets.find((t) => existsSync(join(t.dir, addon)))
if (!host) throw new Error(`no per-target package received ${addon}`)
// The addon finds its prover server beside itself (native/isolation).
cpSync(join(serverDir, server), join(host.dir, server))
host.pkg.files = [...host.pkg.files, server]
writeFileSync(join(host.dir, 'package.json'), `${JSON.stringify(host.pkg, null, 2)}\n`)
const platform = { name: host.pkg.name, ...npmPack(host.dir) }

// 3. The main package: npm's own file list, and the manifest as it is published.
const listing = run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { stdio: ['ignore', 'pipe', 'inherit'] })
const stage = join(out, 'stage')
for (const { path } of JSON.parse(listing.stdout.toString())[0].files) {
  mkdirSync(dirname(join(stage, path)), { recursive: true })
  cpSync(join(root, path), join(stage, path))
}
const { scripts: _scripts, devDependencies: _dev, ...published } = pkg
published.optionalDependencies = Object.fromEntries(targets.map((t) => [t.pkg.name, pkg.version]).sort())
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(published, null, 2)}\n`)
const main = { name: pkg.name, ...npmPack(stage) }

const manifest = {
  version: pkg.version,
  backend: flags.simulated ? 'simulated' : 'lean-multisig',
  backends,
  target: host.pkg.name.slice(pkg.name.length + 1),
  main,
  platform,
}
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
const kb = (n) => `${(n / 1024).toFixed(0)} KiB`
console.log(`packed into ${flags.out}/ (addon backends: ${backends.join(', ')})`)
for (const t of [main, platform]) console.log(`  ${t.file}  ${kb(t.bytes)} (unpacked ${kb(t.unpackedBytes)})`)
