/**
 * Typed errors: every failure carries a stable `code`, on sync and async paths alike. This module
 * needs no addon (a failure to load it is one of these errors); the mapping of the addon's errors
 * is `native-errors.ts`.
 */
import type { ErrorCode as AddonErrorCode } from '../index.js'

/**
 * Codes only the TypeScript layer raises: the addon cannot, being closed or not loaded, and it
 * knows no validator registry (the spec-shaped calls of src/spec) and reads no key files. The
 * addon's codes come from Rust (`AddonErrorCode`, `errorCodes()`).
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

export type ErrorCode = AddonErrorCode | (typeof TS_ONLY_CODES)[number]

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
