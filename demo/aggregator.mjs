#!/usr/bin/env node
// @ts-check
/**
 * `npm run demo`: a small aggregator on a slot clock, on the real prover when this build has it.
 * This file only wires things up: flags, backend, setup, keys, the slot loop, Ctrl-C, exit codes.
 * Exit codes: 0 when the run completes or Ctrl-C stops it cleanly, 1 on an error (one line on
 * stderr, no stack trace), 2 on bad flags. A second Ctrl-C kills the process with SIGINT at once
 * (a shell reports 130).
 *
 * Node cannot exit while a native call runs on the libuv pool (exit joins its threads). With
 * process isolation (the real prover's default) a proof in flight is killed on Ctrl-C; an
 * in-process leanMultisig proof, and setup, cannot be interrupted: after a first Ctrl-C the
 * summary is printed at once, and the process ends when that call returns.
 */
import { resolve } from 'node:path'
import { LeanAggError, Prover } from 'leanagg'
import { parseDemoArgs, UsageError, USAGE } from './args.mjs'
import { chooseBackend, SIMULATED_MODEL } from './backend.mjs'
import { loadKeys } from './keys.mjs'
import { blockLine, createProgress, keyLines, summaryLines } from './report.mjs'
import { DEADLINE_MARGIN_MS, runSlots } from './run.mjs'
import { buildAndVerifyBlock, registryOf, validatorsBytes } from './spec.mjs'
import { DATA } from './workload.mjs'

/** @typedef {import('./report.mjs').RunResult} RunResult */

const out = (/** @type {string} */ line) => void process.stdout.write(`${line}\n`)
const err = (/** @type {string} */ line) => void process.stderr.write(`${line}\n`)

/** @param {string[]} argv */
async function main(argv) {
  let options
  try {
    options = parseDemoArgs(argv)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    err(`error: ${e.message} (see --help)`)
    return 2
  }
  if (options.help) {
    out(USAGE)
    return 0
  }

  // First Ctrl-C: stop cleanly. A second one: the user means it. process.exit() would wait for
  // the native call in flight, so die by the signal itself, which waits for nothing.
  const stop = new AbortController()
  process.on('SIGINT', () => {
    if (stop.signal.aborted) {
      err('second Ctrl-C: exiting now')
      process.removeAllListeners('SIGINT')
      process.kill(process.pid, 'SIGINT')
      return
    }
    err('Ctrl-C: stopping cleanly (press again to exit at once)')
    stop.abort(new Error('Ctrl-C'))
  })

  const { backend, line } = chooseBackend(options.backend)
  // Throws BACKEND_UNAVAILABLE when --backend asks for a prover this build does not have.
  const prover = new Prover({ backend, simulated: SIMULATED_MODEL })
  // Node B: another node with its own prover, which sees only the bytes of the blocks.
  // It only verifies: no prover server, no warm-up proof.
  const nodeB = options.blocks ? new Prover({ backend, simulated: SIMULATED_MODEL, isolation: 'in-process' }) : undefined
  out(line)

  /** @type {RunResult | undefined} */
  let run
  /** @type {string} */
  let stoppedDuring = 'setup'
  let setupDone = false
  try {
    if (backend === 'lean-multisig') err('setting up leanMultisig (compiles its aggregation program; about 8 s on 2 cores)...')
    const setupStarted = performance.now()
    await Promise.all([prover.setup({ signal: stop.signal }), nodeB?.setup({ signal: stop.signal, warmUp: false })])
    setupDone = true
    const where =
      prover.capabilities.isolation === 'process'
        ? 'proofs run in prover processes: a proof no longer wanted is killed'
        : 'proofs run in this process: a started proof runs to its end'
    out(`prover: set up in ${Math.round(performance.now() - setupStarted)} ms${nodeB ? ' (with node B, which verifies the blocks)' : ''}; ${where}`)

    stoppedDuring = 'key loading'
    const cacheDir = resolve(options.cacheDir)
    const progress = createProgress(process.stderr, 'keys:')
    // Keys cover every slot the demo signs in (1..slots), rounded up so the cache survives small changes.
    const lastSlot = Math.ceil((options.slots + 1) / 16) * 16 - 1
    const keys = await loadKeys(prover, {
      dir: cacheDir,
      count: options.validators,
      firstSlot: 0,
      lastSlot,
      signal: stop.signal,
      onProgress: (done, total) => progress.update(done, total),
    }).finally(() => progress.end())
    for (const l of keyLines(keys, cacheDir)) out(l)
    // The state's validator list: each node builds its own registry from these bytes.
    const state = validatorsBytes(keys.keys.map((k) => k.publicKey))
    const registry = registryOf(state)

    const intervalMs = options.slotMs / options.intervals
    out(
      `slots 1..${options.slots} of ${options.slotMs} ms, ${options.intervals} intervals of ${fmt(intervalMs)} ms: ` +
        (options.mode === 'open'
          ? `signatures arrive in intervals 0-1 into a session opened at interval 0 (--mode open); deadline ${DEADLINE_MARGIN_MS} ms before interval 3`
          : `signatures arrive in intervals 0-1, a session starts at interval 2 (--mode snapshot) with a ${fmt(intervalMs - DEADLINE_MARGIN_MS)} ms deadline (${DEADLINE_MARGIN_MS} ms before interval 3)`),
    )
    stoppedDuring = ''
    run = await runSlots({ prover, keys: keys.keys, registry, options, out, signal: stop.signal })
    if (nodeB && !stop.signal.aborted) {
      // After the slots: a type-2 merge takes seconds here, longer than a slot, so building blocks
      // during the run would take the prover from the next slots' votes.
      stoppedDuring = 'blocks'
      out('')
      const verifier = { prover: nodeB, registry: registryOf(state) }
      for (const r of run.slots) {
        const best = DATA.flatMap((d) => run?.widest.get(`${r.slot}/${d}`) ?? [])
        if (best.length === 0 || stop.signal.aborted) continue
        out(blockLine(await buildAndVerifyBlock({ prover, registry }, verifier, r.slot, best)))
      }
    }
  } catch (e) {
    // A stop during setup or key loading surfaces as ABORTED: that is a clean stop, not an error.
    if (!(stop.signal.aborted && e instanceof LeanAggError && e.code === 'ABORTED')) {
      await Promise.all([prover.close({ timeoutMs: 1000 }), nodeB?.close({ timeoutMs: 1000 })])
      throw e
    }
  }

  const [report] = await Promise.all([prover.close({ timeoutMs: 2000 }), nodeB?.close({ timeoutMs: 2000 })])
  const closeNote =
    `closed, ${report.sessionsCancelled} session(s) cancelled` +
    (report.proofStillRunning ? '; an in-process proof was still running (it cannot be stopped; its result is dropped)' : ', no proof running')
  out('')
  if (run) for (const l of summaryLines(run, { slots: options.slots, closeNote })) out(l)
  else out(`summary: stopped by Ctrl-C during ${stoppedDuring}; no slot ran\n  prover      ${closeNote}`)
  if (!setupDone || report.proofStillRunning) {
    err(`note: the prover's ${setupDone ? 'in-process proof' : 'setup'} cannot be interrupted; exiting when it returns (Ctrl-C again to exit at once)`)
  }
  return 0
}

/** One line, no stack: `error: CODE: message` for the library's typed errors. */
function oneLine(/** @type {unknown} */ e) {
  const text = (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ')
  return e instanceof LeanAggError ? `error: ${e.code}: ${text}` : `error: ${text}`
}

function fmt(/** @type {number} */ ms) {
  return String(Math.round(ms))
}

// Piped into `head` and the pipe closed: nothing more to say, not an error.
process.stdout.on('error', (e) => {
  if (/** @type {NodeJS.ErrnoException} */ (e).code === 'EPIPE') process.exit(0)
  throw e
})

// Exit explicitly once output is flushed, with Node's default SIGINT handling back: exit may
// still wait for a native call in flight, and a Ctrl-C then must end the process at once.
const exit = (/** @type {number} */ code) =>
  process.stdout.write('', () => {
    process.removeAllListeners('SIGINT')
    process.exit(code)
  })
main(process.argv.slice(2)).then(exit, (e) => {
  err(oneLine(e))
  exit(1)
})
