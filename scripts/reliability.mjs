#!/usr/bin/env node
// Reliability runs (issue 10): Rust property tests over the parsers, the seeded JS fuzz harness,
// abort storms, a soak, and the signing record's crash test (issue 16), all bounded.
//   node scripts/reliability.mjs [--long] [--real] [--seed N]
// Short mode (CI): ~3 s per fuzz entry, 256 proptest cases, 3000 aborts, 2000 sessions.
// Crash test: 40 SIGKILLs of a durably signing child (1000 with --long).
// --long: 60 s per entry, 20000 cases, 20000 aborts, 20000 sessions. --real: the leanMultisig
// backend (needs `npm run build:lean-multisig`), with the soak cut to a few dozen sessions.
import { spawnSync } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values: flags } = parseArgs({
  options: { long: { type: 'boolean', default: false }, real: { type: 'boolean', default: false }, seed: { type: 'string', default: '1' } },
})
const long = flags.long
const env = {
  ...process.env,
  RELIABILITY_SEED: flags.seed,
  RELIABILITY_SECONDS: process.env.RELIABILITY_SECONDS ?? (long ? '60' : '3'),
  RELIABILITY_ABORTS: process.env.RELIABILITY_ABORTS ?? (long ? '20000' : '3000'),
  RELIABILITY_SESSIONS: process.env.RELIABILITY_SESSIONS ?? (flags.real ? (long ? '200' : '20') : long ? '20000' : '2000'),
  PROPTEST_CASES: process.env.PROPTEST_CASES ?? (long ? '20000' : '256'),
  ...(flags.real && { LEANAGG_BACKEND: 'lean-multisig' }),
}
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}
// The Rust parsers are backend-neutral: the property tests run in the default package.
if (!flags.real) run('cargo', ['test', '--quiet', '-p', 'leanagg-core', '--lib', 'fuzz_parsers'])
run(process.execPath, [resolve(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.reliability.config.mts'])
// A signer killed at random instants never gives one slot two signatures (test/reliability/crash.mjs).
run(process.execPath, [
  resolve(root, 'test/reliability/crash.mjs'),
  '--kills',
  process.env.CRASH_KILLS ?? (long ? '1000' : '40'),
  '--seed',
  flags.seed,
  ...(flags.real ? ['--real'] : []),
])
