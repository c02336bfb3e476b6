/** The compiled addon (loaded by napi-rs's generated loader for this platform). */
export * as native from '../index.js'
export type {
  NativeAggregate,
  NativeMerged,
  NativeProver,
  NativeSecretKey,
  SimulatedOptions,
  CancelToken,
} from '../index.js'
