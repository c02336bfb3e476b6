// @ts-check
/** Which prover the demo runs on, and a first line that says so without ambiguity. */
import { availableBackends } from 'leanagg'

/** @typedef {import('leanagg').BackendName} BackendName */
/** @typedef {import('leanagg').SimulatedOptions} SimulatedOptions */

/**
 * The simulated backend's latency model, a linear fit to the real prover as measured through
 * leanagg on 2-core AMD EPYC machines (AVX2): 1 signature about 280 ms, 8 about 450-560, 32 about
 * 900, 128 about 2300, and about 2 s more per child aggregate (2 children of 8 take 4.4-4.6 s). The
 * simulated backend also charges perSignerMs for each child signer (the real prover does not
 * re-verify them), so perChildMs is a little under 2 s.
 * @type {Readonly<SimulatedOptions>}
 */
export const SIMULATED_MODEL = Object.freeze({ setupMs: 0, proveBaseMs: 300, perSignerMs: 15, perChildMs: 1850, verifyMs: 60 })

/**
 * The backend to use: the forced one, else the real prover when this build has it.
 * @param {BackendName | undefined} forced
 * @returns {{ backend: BackendName, line: string }}
 */
export function chooseBackend(forced) {
  const available = availableBackends()
  const backend = forced ?? (available.includes('lean-multisig') ? 'lean-multisig' : 'simulated')
  if (backend === 'lean-multisig') return { backend, line: 'backend: lean-multisig (the real prover)' }
  const why = available.includes('lean-multisig')
    ? 'forced by --backend simulated'
    : 'this build has no leanMultisig; build it with `npm run build:lean-multisig`'
  const { proveBaseMs, perSignerMs, perChildMs } = SIMULATED_MODEL
  return {
    backend,
    line: `backend: simulated (NOT the real prover: ${why}; proofs are fake, timed as ${proveBaseMs} ms + ${perSignerMs} ms/signer + ${perChildMs} ms/child)`,
  }
}
