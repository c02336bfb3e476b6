// The benchmark's options (see bench/run.mjs for the list) and the configuration they make.
import os from 'node:os'
import path from 'node:path'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

export const root = fileURLToPath(new URL('../..', import.meta.url))
export const SECTIONS = ['setup', 'prove', 'batch', 'micro', 'loop', 'cancel']

export const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backend: { type: 'string' },
    sizes: { type: 'string' },
    children: { type: 'string' },
    'child-size': { type: 'string' },
    rounds: { type: 'string' },
    threads: { type: 'string' },
    sections: { type: 'string' },
    'setup-rounds': { type: 'string' },
    'loop-size': { type: 'string' },
    'loop-proofs': { type: 'string' },
    'cancel-size': { type: 'string' },
    'cancel-after': { type: 'string' },
    'cancel-rounds': { type: 'string' },
    'batch-reps': { type: 'string' },
    'micro-ms': { type: 'string' },
    native: { type: 'string', default: 'auto' },
    'native-modes': { type: 'string' },
    out: { type: 'string' },
    readme: { type: 'boolean', default: false },
    from: { type: 'string' },
  },
})

export const quick = opt.quick
const list = (s) => s.split(',').filter(Boolean).map(Number)
const num = (s, full, fast) => (s === undefined ? (quick ? fast : full) : Number(s))
export const config = {
  backend: opt.backend ?? (quick ? 'simulated' : 'lean-multisig'),
  sizes: list(opt.sizes ?? (quick ? '1,2,4' : '1,2,4,8,16,32,64,128,256')),
  children: list(opt.children ?? '2,4'),
  childSize: num(opt['child-size'], 8, 2),
  rounds: num(opt.rounds, 5, 2),
  threads: num(opt.threads, os.availableParallelism(), os.availableParallelism()),
  sections: opt.sections ? opt.sections.split(',') : SECTIONS,
  setupRounds: num(opt['setup-rounds'], 2, 1),
  loopSize: num(opt['loop-size'], 32, 4),
  loopProofs: num(opt['loop-proofs'], 4, 3),
  cancelSize: num(opt['cancel-size'], 32, 4),
  cancelAfterMs: num(opt['cancel-after'], 300, 4),
  cancelRounds: num(opt['cancel-rounds'], 2, 1),
  batchReps: num(opt['batch-reps'], 3, 2),
  microMs: num(opt['micro-ms'], 1000, 50),
  nativeModes: (opt['native-modes'] ?? 'pool,caller').split(',').filter(Boolean),
  logInvRate: 2,
  revision: readFileSync(path.join(root, 'native/lean-multisig/Cargo.toml'), 'utf8').match(/rev = "([0-9a-f]{40})"/)?.[1] ?? 'unknown',
}
// Simulated proofs of a few ms: the quick mode checks the harness, not the prover.
export const simulated = { setupMs: 5, proveBaseMs: 8, perSignerMs: 1, perChildMs: 2, verifyMs: 1 }
for (const s of config.sections) if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}; sections: ${SECTIONS.join(',')}`)
if (!config.nativeModes.includes('pool')) throw new Error('--native-modes must include pool (the baseline)')
/** Result keys of the native sides: `native` (pool, the baseline) and `nativeCaller`. */
export const NATIVE_SIDES = { pool: 'native', caller: 'nativeCaller' }
