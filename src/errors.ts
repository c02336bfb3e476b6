/** Typed errors: every failure carries a stable `code`, on sync and async paths alike. */

/** Codes the addon raises as well, in its order (test/limits.test.ts checks them against it). */
const ADDON_CODES = [
  'INVALID_LENGTH',
  'INVALID_ENCODING',
  'INVALID_ARGUMENT',
  'INVALID_SIGNATURE',
  'INVALID_CHILD',
  'INVALID_AGGREGATE',
  'MESSAGE_MISMATCH',
  'TOO_MANY_CHILDREN',
  'TOO_MANY_SIGNERS',
  'DUPLICATE_SIGNER',
  'EMPTY_GROUP',
  'SLOT_OUT_OF_RANGE',
  'TOO_LARGE',
  'NOT_SET_UP',
  'BACKEND_UNAVAILABLE',
  'BACKEND_MISMATCH',
  'PROVER_FAILED',
  'PROVER_PANIC',
  'PROVER_CRASHED',
  'PROVER_OUT_OF_MEMORY',
  'ABORTED',
  'SLOT_ALREADY_SIGNED',
  'SLOT_BELOW_HIGH_WATER',
  'KEY_LOCKED',
  'SIGNING_RECORD_FAILED',
  'KEY_CORRUPTED',
] as const

/**
 * Codes only the TypeScript layer raises: the addon cannot, being closed or not loaded, and it
 * knows no validator registry (the spec-shaped calls of src/spec) and reads no key files.
 */
export const TS_ONLY_CODES = [
  'CLOSED',
  'SESSION_SEALED',
  'UNSUPPORTED_PLATFORM',
  'BINDING_NOT_FOUND',
  'VALIDATOR_INDEX_OUT_OF_RANGE',
  'DUPLICATE_VALIDATOR',
  'PARTICIPANTS_MISMATCH',
  'WRONG_PASSPHRASE',
] as const

export const ERROR_CODES = [...ADDON_CODES, ...TS_ONLY_CODES] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

const KNOWN = new Set<string>(ERROR_CODES)

export class LeanAggError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    // AbortSignal users test `name === 'AbortError'`; keep that convention for ABORTED.
    this.name = code === 'ABORTED' ? 'AbortError' : 'LeanAggError'
  }
}

export function isLeanAggError(e: unknown): e is LeanAggError {
  return e instanceof LeanAggError
}

export function abortedError(reason?: unknown): LeanAggError {
  const detail = reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : String(reason)
  return new LeanAggError('ABORTED', `the operation was aborted: ${detail}`, { cause: reason })
}

export function closedError(detail = 'the prover is closed'): LeanAggError {
  return new LeanAggError('CLOSED', detail)
}

/**
 * Map anything the addon throws to a LeanAggError. The addon's own errors read `CODE: detail`;
 * napi's argument conversion errors (a wrong type) become INVALID_ARGUMENT; its AbortError
 * (work cancelled before it started) becomes ABORTED.
 */
export function fromNative(e: unknown): LeanAggError {
  if (e instanceof LeanAggError) return e
  const err = e instanceof Error ? e : new Error(String(e))
  if (err.name === 'AbortError') return abortedError(err)
  const match = /^([A-Z_]+): ([\s\S]*)$/.exec(err.message)
  if (match && KNOWN.has(match[1]!)) return new LeanAggError(match[1] as ErrorCode, match[2]!, { cause: err })
  return new LeanAggError('INVALID_ARGUMENT', err.message, { cause: err })
}

/** Run a synchronous native call, rethrowing its error typed. */
export function callSync<T>(fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    throw fromNative(e)
  }
}
