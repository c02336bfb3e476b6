/** The compiled addon (loaded by napi-rs's generated loader for this platform). */
import type * as Binding from '../index.js'
export * as native from '../index.js'

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
export type { NativeAggregate, NativeMerged, NativeSecretKey, SimulatedOptions, CancelToken } from '../index.js'
