/** How the session code reads errors a prover threw. */
import { isLeanAggError } from '../errors.js'
import type { ErrorCode } from './types.js'

/** The code to report for anything a prover threw; non-library errors count as PROVER_FAILED. */
export function codeOf(err: unknown): ErrorCode {
  return isLeanAggError(err) ? err.code : 'PROVER_FAILED'
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
