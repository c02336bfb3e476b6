/**
 * leanagg: leanMultisig XMSS signature aggregation for TypeScript clients, off the event loop.
 */
export { Aggregate, MergedAggregate, SecretKey, type MergedComponent } from './aggregate.js'
export { LeanAggError, isLeanAggError, type ErrorCode } from './errors.js'
export { ERROR_CODES } from './native-errors.js'
export { noopLogger, type Logger } from './logger.js'
export {
  DEFAULT_LOG_INV_RATE,
  FIELD_MODULUS,
  MAX_GROUP_SIGNERS,
  MAX_KEY_SLOTS,
  MAX_LOG_INV_RATE,
  MAX_MERGE,
  MESSAGE_BYTES,
  MESSAGE_FIELDS,
  MIN_LOG_INV_RATE,
  PUBLIC_KEY_BYTES,
  SECRET_KEY_BYTES,
  SIGNATURE_BYTES,
} from './limits.js'
export type { BatchItem, BatchResult } from './batch.js'
export { availableBackends, defaultIsolation, type ProverCapabilities, reportedExternalMemory } from './capabilities.js'
export { Prover } from './prover.js'
export {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_MAX_AGGREGATE_BYTES,
  DEFAULT_WARM_UP_SIGNERS,
  type ExpectedAggregate,
  type FromBytesOptions,
  type ProverOptions,
  type SetupOptions,
  type VerifyAggregateOptions,
} from './prover-options.js'
export type { BackendName, CrashFault, CrashKind, Isolation, SimulatedOptions } from './native.js'
export { SigningRecord, type ExportOptions, type SignOptions, type SigningOptions, type SigningRecordKind } from './keys/signing.js'
export {
  INTERCHANGE_FORMAT,
  INTERCHANGE_FORMAT_VERSION,
  type KeyEntry,
  type SignedSlotEntry,
  type SigningInterchange,
} from './keys/interchange.js'
export {
  decodeKeyFile,
  DEFAULT_SCRYPT_LOG_N,
  encodeKeyFile,
  KEY_FILE_FORMAT,
  KEY_FILE_VERSION,
  loadKeyFile,
  type KeyFile,
  type KeyFileOptions,
} from './keys/keyfile.js'
export * from './session/index.js'
export * from './spec/index.js'
export * from './ssz.js'
export { decodeFakeAggregate, FakeProver, fakeAggregate, ManualClock, seededRandom, settlePromises } from './testing.js'
export type { FakeCall, FakeProverOptions } from './testing.js'
export type { AggregateOptions, AggregationGroup, OpOptions, SignedBy } from './types.js'
