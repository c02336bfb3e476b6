/**
 * The compiled addon, loaded by napi-rs's generated loader (`index.js`). When no binary fits this
 * machine, the load fails with one LeanAggError that says what this platform is, which prebuilt
 * packages exist and what to do, instead of napi-rs's generic advice.
 */
import type * as Binding from '../index.js'
import { bindingLoadError, cpuLacksRequiredFeatures } from './platform.js'

function load(): typeof Binding {
  const cpuError = cpuLacksRequiredFeatures()
  if (cpuError) throw cpuError
  try {
    // The generated loader is CommonJS: it picks `leanagg.<platform>.node` beside it, or the
    // `leanagg-<platform>` package, or NAPI_RS_NATIVE_LIBRARY_PATH.
    return require('../index.js') as typeof Binding
  } catch (e) {
    throw bindingLoadError(e)
  }
}

export const native = load()

declare const fromLeanagg: unique symbol
/**
 * An AbortSignal leanagg made for one native call. napi replaces `onabort` on the signal it is
 * given, so a caller's own signal must never reach the addon: the native types below accept
 * only this branded signal, which `startAbortable` creates.
 */
export type NativeSignal = AbortSignal & { readonly [fromLeanagg]: true }

type WithNativeSignal<F> = F extends (...args: infer A) => infer R
  ? (...args: { [K in keyof A]: AbortSignal extends NonNullable<A[K]> ? NativeSignal | undefined : A[K] }) => R
  : F
type Guarded<T> = { [K in keyof T]: WithNativeSignal<T[K]> }

/** The addon's prover handle, whose async methods take only a `NativeSignal`. */
export type NativeProver = Guarded<Binding.NativeProver>
/** The addon's signing record, likewise. */
export type NativeSigningRecord = Guarded<Binding.NativeSigningRecord>
export type {
  BackendName,
  CancelToken,
  CrashFault,
  CrashKind,
  Isolation,
  NativeAggregate,
  NativeMerged,
  NativeSecretKey,
  SigningRecordKind,
  SimulatedOptions,
} from '../index.js'
