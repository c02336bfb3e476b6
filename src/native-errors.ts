/** The addon's errors as `LeanAggError`s, and every code the package throws. */
import { type ErrorCode, TS_ONLY_CODES, LeanAggError, abortedError } from './errors.js'
import { native } from './native.js'

/** Every error code: the addon's (from Rust, in its order), then the TypeScript layer's. */
export const ERROR_CODES: readonly ErrorCode[] = [...native.errorCodes(), ...TS_ONLY_CODES]

const KNOWN = new Set<string>(ERROR_CODES)

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
