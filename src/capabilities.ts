/** What the loaded addon and this machine offer. */
import { native } from './native.js'
import type { BackendName, Isolation } from './native.js'

/** What a prover can do on this machine. */
export interface ProverCapabilities {
  /** Where this prover's proofs run. */
  readonly isolation: Isolation
  /** Whether a proof already running stops when aborted (else it runs on and its result is dropped). */
  readonly canStopRunningProof: boolean
  /** Whether process isolation can be had here (a unix system, the prover server beside the addon). */
  readonly processIsolationAvailable: boolean
}

/** Backends compiled into the loaded addon. */
export function availableBackends(): BackendName[] {
  return native.availableBackends()
}

/**
 * V8's count of external memory in bytes, which its garbage collector weighs: the native memory
 * that keys and aggregates report (it grows as they are made and shrinks as they are collected),
 * with what other addons report and ArrayBuffer contents. `process.memoryUsage().external`
 * leaves the addons' part out on some Node versions.
 */
export function reportedExternalMemory(): number {
  return native.reportedExternalMemory()
}

/**
 * The isolation a prover gets when `isolation` is not given: process isolation for the real
 * prover wherever it is available (measured: it costs no proof latency; see README, "Isolation"),
 * in-process for the simulated one (its proofs stop cooperatively, and tests start faster).
 */
export function defaultIsolation(backend: BackendName): Isolation {
  return backend === 'lean-multisig' && native.processIsolationAvailable() ? 'process' : 'in-process'
}
