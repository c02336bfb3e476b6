/** Session options: the public shapes, their defaults, and validation into one resolved value. */
import { LeanAggError } from '../errors.js'
import type { BusyPolicy, LatePolicy, NothingFitsPolicy } from './types.js'

export interface AdmissionOptions {
  /**
   * Multiply the estimate by this before checking it fits. Default 1 with `late: 'deliver'` (a group
   * admitted on a slightly low estimate is only a little late, while a high factor keeps groups
   * out that would have made it), 1.1 with `late: 'drop'` (a wrong admission wastes the proof).
   */
  factor?: number
  /** Added to the scaled estimate, for publishing and scheduling slack. Default 0. */
  marginMs?: number
  /**
   * When no remaining group fits before the deadline and the session has no proof running:
   * 'start-best' starts the most valuable group anyway (its result arrives late, flagged `late`;
   * clients apply late aggregates), 'skip' skips them all as 'budget'. Default: 'start-best' with
   * `late: 'deliver'`, 'skip' with `late: 'drop'` (a late result would be thrown away).
   */
  nothingFits?: NothingFitsPolicy
  /**
   * With 'skip': after this many sessions in a row in which every group was over budget, the next
   * such session starts its cheapest group to re-measure the cost, so an estimate that blocks all
   * work cannot stay frozen. 0 never probes. Default 8.
   */
  probeAfter?: number
}

export interface SessionOptions {
  /** Absolute deadline (clock ms, epoch by default). The earlier one wins if both are given. */
  deadlineAt?: number
  /** Deadline in ms from the `startSession` call (not from when a queued session starts). */
  deadlineMs?: number
  /** What to do with a proof that finishes after the deadline. Default 'deliver'. */
  late?: LatePolicy
  /** Policy if another session is running. Default: the engine's. */
  busy?: BusyPolicy
  /**
   * Groups proving at once (lanes). Default 1. The engine also caps it at the prover's
   * `maxConcurrentProofs`. Admission starts a second group beside a running one only when both
   * still fit before the deadline with the slowdown the estimator measured for shared proofs.
   */
  concurrency?: number
  /** Verify each aggregate before delivering it. Default false. */
  verify?: boolean
  logInvRate?: number
  /** Aborting it cancels the session, like `cancel()`. */
  signal?: AbortSignal
  /** Admission control against the deadline; `false` starts every group until the deadline. */
  admission?: AdmissionOptions | false
}

/** An open session's options: a session's, a deadline it must have, and when votes stop. */
export interface OpenSessionOptions extends SessionOptions {
  /**
   * Clock ms after which `add()` refuses votes (SESSION_SEALED) and every group counts as
   * settled. Default: the deadline. A later one is capped at the deadline.
   */
  cutoffAt?: number
  /**
   * A group's votes count as settled once none arrived for this long; its proof then starts (a
   * group also starts, settled or not, when it must to finish before the deadline). Default 50.
   */
  quietMs?: number
  /** Prove groups of one signature and no child (or one lone child). Default false. */
  includeTrivial?: boolean
  /**
   * Raw signatures the session expects in all, over its groups (e.g. the validators assigned to
   * the slot). Once that many have arrived no more are waited for: every group counts as settled
   * (later ones are still taken). Without it, only pauses and the cutoff tell.
   */
  expectedVotes?: number
}

export interface ResolvedOpenSessionOptions extends ResolvedSessionOptions {
  deadlineAt: number
  cutoffAt: number
  quietMs: number
  includeTrivial: boolean
  expectedVotes: number | undefined
}

/** Defaults of an open session's own options. */
export const DEFAULT_QUIET_MS = 50

/** As `resolveSessionOptions`; an open session also needs a deadline. */
export function resolveOpenSessionOptions(options: OpenSessionOptions, defaults: SessionDefaults, now: number): ResolvedOpenSessionOptions {
  const base = resolveSessionOptions(options, defaults, now)
  if (base.deadlineAt === undefined) invalidArg('an open session needs deadlineAt or deadlineMs')
  const cutoffAt = options.cutoffAt === undefined ? base.deadlineAt : Math.min(base.deadlineAt, checkTime(options.cutoffAt, 'cutoffAt'))
  const includeTrivial = options.includeTrivial ?? false
  if (typeof includeTrivial !== 'boolean') invalidArg('includeTrivial must be a boolean')
  const expectedVotes = options.expectedVotes === undefined ? undefined : checkCount(options.expectedVotes, 'expectedVotes', 1)
  return { ...base, deadlineAt: base.deadlineAt, cutoffAt, quietMs: checkMs(options.quietMs ?? DEFAULT_QUIET_MS, 'quietMs'), includeTrivial, expectedVotes }
}

/** Engine-wide defaults for every session's options. */
export interface SessionDefaults {
  late?: LatePolicy
  concurrency?: number
  verify?: boolean
  logInvRate?: number
  admission?: AdmissionOptions | false
}

export type ResolvedAdmission = Required<AdmissionOptions>

export interface ResolvedSessionOptions {
  deadlineAt: number | undefined
  late: LatePolicy
  concurrency: number
  verify: boolean
  logInvRate: number | undefined
  admission: ResolvedAdmission | false
  signal: AbortSignal | undefined
}

/** Defaults that do not depend on the late policy (`factor` and `nothingFits` do). */
export const DEFAULT_ADMISSION: Readonly<Omit<ResolvedAdmission, 'factor' | 'nothingFits'>> = Object.freeze({
  marginMs: 0,
  probeAfter: 8,
})

/** Merge `options` over `defaults` and validate; throws INVALID_ARGUMENT. `now` anchors `deadlineMs`. */
export function resolveSessionOptions(options: SessionOptions, defaults: SessionDefaults, now: number): ResolvedSessionOptions {
  let deadlineAt: number | undefined
  if (options.deadlineAt !== undefined) deadlineAt = checkTime(options.deadlineAt, 'deadlineAt')
  if (options.deadlineMs !== undefined) {
    const rel = now + checkMs(options.deadlineMs, 'deadlineMs')
    deadlineAt = deadlineAt === undefined ? rel : Math.min(deadlineAt, rel)
  }
  const late = options.late ?? defaults.late ?? 'deliver'
  if (late !== 'deliver' && late !== 'drop') invalidArg(`late must be 'deliver' or 'drop'`)
  const admission = options.admission ?? defaults.admission
  return {
    deadlineAt,
    late,
    concurrency: checkCount(options.concurrency ?? defaults.concurrency ?? 1, 'concurrency', 1),
    verify: options.verify ?? defaults.verify ?? false,
    logInvRate: options.logInvRate ?? defaults.logInvRate,
    admission: admission === false ? false : resolveAdmission(admission ?? {}, late),
    signal: options.signal,
  }
}

function resolveAdmission(a: AdmissionOptions, late: LatePolicy): ResolvedAdmission {
  if (typeof a !== 'object' || a === null) invalidArg('admission must be an object or false')
  const factor = a.factor ?? (late === 'drop' ? 1.1 : 1)
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor <= 0) invalidArg('admission.factor must be a finite number > 0')
  const nothingFits = a.nothingFits ?? (late === 'drop' ? 'skip' : 'start-best')
  if (nothingFits !== 'start-best' && nothingFits !== 'skip') invalidArg(`admission.nothingFits must be 'start-best' or 'skip'`)
  if (nothingFits === 'start-best' && late === 'drop') {
    invalidArg(`admission.nothingFits 'start-best' needs late: 'deliver': a group that cannot finish in time would be dropped`)
  }
  return {
    factor,
    marginMs: checkMs(a.marginMs ?? DEFAULT_ADMISSION.marginMs, 'admission.marginMs'),
    nothingFits,
    probeAfter: checkCount(a.probeAfter ?? DEFAULT_ADMISSION.probeAfter, 'admission.probeAfter', 0),
  }
}

export function invalidArg(message: string): never {
  throw new LeanAggError('INVALID_ARGUMENT', message)
}

export function checkBusy(busy: BusyPolicy): BusyPolicy {
  if (busy !== 'skip' && busy !== 'cancel-previous' && busy !== 'queue') {
    invalidArg(`busy must be 'skip', 'cancel-previous' or 'queue'`)
  }
  return busy
}

export function checkCount(n: number, what: string, min: number): number {
  if (!Number.isInteger(n) || n < min) invalidArg(`${what} must be an integer >= ${min}`)
  return n
}

export function checkMs(ms: number, what: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) invalidArg(`${what} must be a finite number >= 0`)
  return ms
}

function checkTime(t: number, what: string): number {
  if (typeof t !== 'number' || !Number.isFinite(t)) invalidArg(`${what} must be a finite number`)
  return t
}
