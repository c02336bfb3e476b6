// @ts-check
/** Which prover the demo runs on, and a first line that says so without ambiguity. */
import { availableBackends } from 'leanagg'

/** @typedef {import('leanagg').BackendName} BackendName */
/** @typedef {import('leanagg').SimulatedOptions} SimulatedOptions */

/**
 * The simulated backend's latency model, fitted to the real prover as measured on 2-core AMD
 * EPYC machines (AVX2) through leanagg: about 0.35-0.45 s for a group of 1-4
 * signatures, 1.1 s for 24, 1.6 s for 32, and about 2.5 s more per child aggregate. The simulated
 * backend also charges perSignerMs for each child signer (the real prover does not re-verify
 * them), so perChildMs is set lower to land near the real cost of the demo's child groups.
 * @type {Readonly<SimulatedOptions>}
 */
export const SIMULATED_MODEL = Object.freeze({ setupMs: 0, proveBaseMs: 400, perSignerMs: 30, perChildMs: 2000, verifyMs: 60 })

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
