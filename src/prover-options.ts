/** The options a Prover and its operations take, their defaults and their checks. */
import { LeanAggError } from './errors.js'
import type { SigningOptions } from './keys/signing.js'
import type { Logger } from './logger.js'
import { DEFAULT_LOG_INV_RATE, MAX_GROUP_SIGNERS } from './limits.js'
import type { BackendName, Isolation, SimulatedOptions } from './native.js'
import type { EngineOptions } from './session/engine.js'
import { MAX_PROOF_BYTES } from './ssz.js'
import type { AggregateOptions, OpOptions } from './types.js'
import { u32 } from './validate.js'

/**
 * Default cap on untrusted aggregate bytes: leanSpec's bound on a proof (leanMultisig proofs are
 * about 140-260 KB).
 */
export const DEFAULT_MAX_AGGREGATE_BYTES = MAX_PROOF_BYTES

/** How long `close()` waits for the native proof in flight, by default. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 2000

/**
 * Signatures in the default warm-up proof: a proof faults in memory in proportion to its size,
 * and one of 2 signatures left the next proof of 27 nearly as cold as none, where one of 32 made
 * it as fast as the rest (bench/lib/warmup-probe.mjs).
 */
export const DEFAULT_WARM_UP_SIGNERS = 32

/** Options of `prover.setup()`. */
export interface SetupOptions extends OpOptions {
  /**
   * End setup with a proof of this many throwaway signatures (`true`: DEFAULT_WARM_UP_SIGNERS),
   * one per proving lane at once with process isolation, so the first real proof runs warm.
   * Default: true for 'lean-multisig' (its first proof after setup runs up to 2x slower), false
   * for 'simulated' (nothing there runs cold; pass a number to exercise the path).
   */
  warmUp?: boolean | number
}

export interface ProverOptions {
  /** Which prover: the real 'lean-multisig' (needs the real-prover build) or 'simulated'. */
  backend: BackendName
  /** Latency model and fault injection for the simulated backend. */
  simulated?: SimulatedOptions
  /**
   * Proofs in native code at once (default 1). Each proof already uses the whole prover pool and
   * several GB of memory; more lanes only help on machines with many cores and much memory.
   */
  maxConcurrentProofs?: number
  /** Prover pool size, fixed by the first Prover created in the process (default: every core). */
  threads?: number
  /**
   * Where proofs run (see README, "Isolation"). `'process'`: in child processes of a prover
   * server, so that an aborted, cancelled or superseded proof is killed at once and a crashing
   * prover fails one proof with PROVER_CRASHED instead of killing this process. Unix only.
   * `'in-process'`: on this process's prover pool; a started leanMultisig proof cannot be stopped.
   * Default: see `defaultIsolation`.
   */
  isolation?: Isolation
  /** With process isolation: the most memory one proof may take beyond what it shares with the server. */
  maxProofMemoryBytes?: number
  logger?: Logger
  /**
   * The signing guard (see README, "Key safety"): with `directory`, what each key signed is kept
   * on disk and committed before a signature is returned; without it, in memory for this prover.
   * On by default; `{ unguardedForTests: true }` turns it off, for tests only.
   */
  signing?: SigningOptions
  /** Options of the session engine behind `startSession` (busy policy, cost prior, metrics...). */
  sessions?: Omit<EngineOptions, 'prover'>
}

export interface ExpectedAggregate {
  /** 32-byte message the aggregate must be for. */
  message?: Uint8Array
  slot?: number
  /** The exact signer set (any order). */
  signers?: readonly Uint8Array[]
}

export interface VerifyAggregateOptions extends OpOptions {
  expected?: ExpectedAggregate
}

export interface FromBytesOptions extends OpOptions {
  /** Refuse larger input with TOO_LARGE before parsing (default 1 MiB). */
  maxBytes?: number
}

/** The log-inverse rate a proof runs at: the option, else the addon's default. */
export function logInvRate(options: AggregateOptions): number {
  return u32('logInvRate', options.logInvRate ?? DEFAULT_LOG_INV_RATE)
}

/** A count option: a positive integer, INVALID_ARGUMENT otherwise (found by the options fuzzer). */
export function positiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new LeanAggError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${String(value)}`)
  }
  return value
}

export function warmUpSigners(warmUp: boolean | number): number {
  if (warmUp === true) return DEFAULT_WARM_UP_SIGNERS
  if (warmUp === false) return 0
  if (!Number.isInteger(warmUp) || warmUp < 2 || warmUp > MAX_GROUP_SIGNERS) {
    throw new LeanAggError('INVALID_ARGUMENT', `warmUp must be a boolean or an integer in 2..=${MAX_GROUP_SIGNERS}`)
  }
  return warmUp
}
