/** AbortSignal plumbing shared by every async operation. */
import { abortedError } from './errors.js'
import { fromNative } from './native-errors.js'
import { native } from './native.js'
import type { CancelToken, NativeSignal } from './native.js'

/**
 * Native work: gets a cancel token, and a signal of our own to hand to napi (napi sets `onabort`
 * on the signal it is given, so the caller's signal never reaches the addon; the native types
 * accept only a `NativeSignal`).
 */
export type NativeRun<T> = (token: CancelToken, signal: NativeSignal | undefined) => Promise<T>

/**
 * Start native work unless `signal` is already aborted. On abort the returned promise rejects at
 * once with ABORTED and the work's cancel token is set: queued work never runs, work between
 * stages stops, a leanMultisig proof already running finishes in the background and is dropped.
 * `work` settles when the native side does (for the proving lane), `result` when the caller may go on.
 */
export function startAbortable<T>(signal: AbortSignal | undefined, run: NativeRun<T>): { result: Promise<T>; work: Promise<unknown> } {
  if (signal?.aborted) {
    const result = Promise.reject(abortedError(signal.reason))
    return { result, work: Promise.resolve() }
  }
  const inner = signal ? new AbortController() : undefined
  let token: CancelToken | undefined
  let work: Promise<T>
  try {
    token = new native.CancelToken()
    work = run(token, inner?.signal as NativeSignal | undefined)
  } catch (e) {
    work = Promise.reject(e)
  }
  const typed = work.catch((e: unknown) => {
    throw fromNative(e)
  })
  const settled = typed.then(
    () => undefined,
    () => undefined,
  )
  if (!signal) return { result: typed, work: settled }
  const result = new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      token?.cancel()
      inner?.abort(signal.reason)
      reject(abortedError(signal.reason))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    typed.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
  return { result, work: settled }
}

/** `startAbortable` for callers that only need the result. */
export function abortable<T>(signal: AbortSignal | undefined, run: NativeRun<T>): Promise<T> {
  return startAbortable(signal, run).result
}
