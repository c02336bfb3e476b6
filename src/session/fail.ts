/** The one place the session code builds typed errors, so the constructor shape lives here only. */
import { LeanAggError, isLeanAggError } from '../errors.js'
import type { ErrorCode } from './types.js'

export function leanAggError(code: ErrorCode, message: string): LeanAggError {
  return new LeanAggError(code, message)
}

/** The code to report for anything a prover threw; non-library errors count as PROVER_FAILED. */
export function codeOf(err: unknown): ErrorCode {
  return isLeanAggError(err) ? err.code : 'PROVER_FAILED'
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
