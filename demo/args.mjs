// @ts-check
/** Command-line flags of the demo: parsed with node:util, checked, documented in USAGE. */
import { parseArgs } from 'node:util'

/**
 * @typedef {object} DemoOptions
 * @property {number} slots slots to run before stopping by itself
 * @property {number} slotMs slot length
 * @property {number} intervals intervals per slot (sessions need interval 3 to exist)
 * @property {number} validators number of validators (one XMSS key each)
 * @property {'lean-multisig' | 'simulated' | undefined} backend forced backend, or undefined to pick
 * @property {'open' | 'snapshot'} mode open: prove while votes arrive; snapshot: at interval 2, as clients do
 * @property {string} cacheDir where keys are cached between runs
 * @property {boolean} verbose print each aggregate as it is published
 * @property {boolean} blocks after the slots, merge each slot's aggregates into a block and verify it on a second node
 * @property {boolean} help
 */

export const USAGE = `Usage: npm run demo -- [flags]    (or: node demo/aggregator.mjs [flags])

A small aggregator on a slot clock: validators sign attestation data during intervals 0 and 1,
and every aggregate must be published by 50 ms before interval 3 (the deadline). By default
(--mode open) a session opens at the start of the slot and takes each vote as it arrives: groups
are proved as their votes settle and proved again with later votes while that fits. With
--mode snapshot a session starts at interval 2 over the votes received, as lean clients do.
It speaks leanSpec: validators by index in a registry built from the state's Validators bytes,
AttestationData roots as messages, votes arriving as SignedAttestation bytes, each aggregate
published as it lands as a SignedAggregatedAttestation. One line per slot; then, per slot, a block:
the slot's aggregates merged into one MultiMessageAggregate and checked by a second node from the
bytes against its own registry; a summary at the end.

Flags (all optional):
  --slots <n>          slots to run, then stop (default 8)
  --slot-ms <ms>       slot length (default 4000)
  --intervals <n>      intervals per slot, at least 4 (default 5: 800 ms each)
  --validators <n>     validators, 4..4096 (default 32)
  --backend <name>     lean-multisig | simulated (default: lean-multisig if this build has it)
  --mode <name>        open | snapshot (default open)
  --cache-dir <dir>    key cache (default ./demo-keys)
  --verbose            print each aggregate as it is published
  --no-blocks          skip the blocks (after the slots, each slot's aggregates merged into one
                       MultiMessageAggregate, checked by a second node against its own registry)
  --help               this text

Ctrl-C stops cleanly (session cancelled, prover closed, a proof in a prover process killed,
summary printed) and exits 0, once a native call in flight returns (setup, or an in-process
leanMultisig proof, cannot be interrupted); a second
Ctrl-C ends the process at once (killed by SIGINT: status 130). Errors print one line and exit 1
(2 for bad flags).
The keys are derived from public seeds: demo keys, never for anything of value.`

/** A bad flag: the entry prints it with a hint and exits 2. */
export class UsageError extends Error {}

/**
 * @param {string[]} argv arguments after the script name
 * @returns {DemoOptions}
 */
export function parseDemoArgs(argv) {
  /** @type {ReturnType<typeof parse>['values']} */
  let values
  try {
    values = parse(argv).values
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err))
  }
  const backend = values.backend
  if (backend !== undefined && backend !== 'lean-multisig' && backend !== 'simulated') {
    throw new UsageError(`--backend must be lean-multisig or simulated, not '${backend}'`)
  }
  /** @type {DemoOptions['backend']} */
  const chosen = backend
  const mode = values.mode
  if (mode !== 'open' && mode !== 'snapshot') throw new UsageError(`--mode must be open or snapshot, not '${mode}'`)
  /** @type {DemoOptions} */
  const options = {
    slots: int('--slots', values.slots, 1, 10_000),
    slotMs: int('--slot-ms', values['slot-ms'], 100, 600_000),
    intervals: int('--intervals', values.intervals, 4, 100),
    validators: int('--validators', values.validators, 4, 4096),
    backend: chosen,
    mode,
    cacheDir: values['cache-dir'] ?? 'demo-keys',
    verbose: values.verbose ?? false,
    blocks: !(values['no-blocks'] ?? false),
    help: values.help ?? false,
  }
  // The deadline sits 50 ms before interval 3: an interval must leave room for it.
  if (options.slotMs / options.intervals < 100) {
    throw new UsageError(`intervals of ${Math.floor(options.slotMs / options.intervals)} ms are too short (at least 100 ms: --slot-ms / --intervals)`)
  }
  if (options.cacheDir === '') throw new UsageError('--cache-dir must not be empty')
  return options
}

/** @param {string[]} argv */
function parse(argv) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      slots: { type: 'string', default: '8' },
      'slot-ms': { type: 'string', default: '4000' },
      intervals: { type: 'string', default: '5' },
      validators: { type: 'string', default: '32' },
      backend: { type: 'string' },
      mode: { type: 'string', default: 'open' },
      'cache-dir': { type: 'string' },
      verbose: { type: 'boolean' },
      'no-blocks': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

/**
 * @param {string} flag
 * @param {string | undefined} text
 * @param {number} min
 * @param {number} max
 */
function int(flag, text, min, max) {
  const n = Number(text)
  if (text === undefined || !/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer in ${min}..${max}, not '${text}'`)
  }
  return n
}
