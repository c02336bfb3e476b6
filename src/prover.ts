/** The prover API: every heavy operation is async, abortable and off the JS thread. */
import { abortable, startAbortable, type NativeRun } from './abort.js'
import { Aggregate, MergedAggregate, SecretKey } from './aggregate.js'
import { closedError, LeanAggError } from './errors.js'
import { callSync, fromNative } from './native-errors.js'
import { Lane } from './lane.js'
import { DEFAULT_LOG_INV_RATE, MAX_GROUP_SIGNERS } from './limits.js'
import { slot as checkSlot, u32 } from './validate.js'
import { debugLogger, type Logger } from './logger.js'
import { native } from './native.js'
import type { BackendName, CancelToken, Isolation, NativeAggregate, NativeProver, SimulatedOptions } from './native.js'
import type { BatchResult as NativeBatchResult, ExpectedAggregate as NativeExpected, SignatureItem } from '../index.js'
import { AggregationEngine, type CloseOptions, type CloseReport, type EngineOptions } from './session/engine.js'
import { systemClock, within } from './session/clock.js'
import { checkMs } from './session/options.js'
import type { AggregationSession, SessionOptions } from './session/session.js'
import type { OpenAggregationSession, OpenSessionOptions } from './session/open-session.js'
import type { GroupInput, Snapshot } from './session/snapshot.js'
import type { GroupProver } from './session/types.js'
import type { AggregateOptions, AggregationGroup, OpOptions } from './types.js'
import { SigningRecord, type SignOptions, type SigningOptions } from './keys/signing.js'

export { DEFAULT_LOG_INV_RATE }
/** Default cap on untrusted aggregate bytes (leanMultisig proofs are about 140-260 KB). */
export const DEFAULT_MAX_AGGREGATE_BYTES = 1 << 20

/**
 * Signatures in the default warm-up proof: a proof faults in memory in proportion to its size,
 * and one of 2 signatures left the next proof of 27 nearly as cold as none, where one of 32 made
 * it as fast as the rest (bench/lib/warmup-probe.mjs).
 */
export const DEFAULT_WARM_UP_SIGNERS = 32

/** Options of `prover.setup()`. */
export interface SetupOptions extends OpOptions {
  /**
   * End setup with a proof of this many throwaway signatures (`true`: DEFAULT_WARM_UP_SIGNERS),
   * one per proving lane at once with process isolation, so the first real proof runs warm.
   * Default: true for 'lean-multisig' (its first proof after setup runs up to 2x slower), false
   * for 'simulated' (nothing there runs cold; pass a number to exercise the path).
   */
  warmUp?: boolean | number
}

export interface ProverOptions {
  /** Which prover: the real 'lean-multisig' (needs the real-prover build) or 'simulated'. */
  backend: BackendName
  /** Latency model and fault injection for the simulated backend. */
  simulated?: SimulatedOptions
  /**
   * Proofs in native code at once (default 1). Each proof already uses the whole prover pool and
   * several GB of memory; more lanes only help on machines with many cores and much memory.
   */
  maxConcurrentProofs?: number
  /** Prover pool size, fixed by the first Prover created in the process (default: every core). */
  threads?: number
  /**
   * Where proofs run (see README, "Isolation"). `'process'`: in child processes of a prover
   * server, so that an aborted, cancelled or superseded proof is killed at once and a crashing
   * prover fails one proof with PROVER_CRASHED instead of killing this process. Unix only.
   * `'in-process'`: on this process's prover pool; a started leanMultisig proof cannot be stopped.
   * Default: see `defaultIsolation`.
   */
  isolation?: Isolation
  /** With process isolation: the most memory one proof may take beyond what it shares with the server. */
  maxProofMemoryBytes?: number
  logger?: Logger
  /**
   * The signing guard (see README, "Key safety"): with `directory`, what each key signed is kept
   * on disk and committed before a signature is returned; without it, in memory for this prover.
   * On by default; `{ unguardedForTests: true }` turns it off, for tests only.
   */
  signing?: SigningOptions
  /** Options of the session engine behind `startSession` (busy policy, cost prior, metrics...). */
  sessions?: Omit<EngineOptions, 'prover'>
}

export interface ExpectedAggregate {
  /** 32-byte message the aggregate must be for. */
  message?: Uint8Array
  slot?: number
  /** The exact signer set (any order). */
  signers?: readonly Uint8Array[]
}

export interface VerifyAggregateOptions extends OpOptions {
  expected?: ExpectedAggregate
}

export interface FromBytesOptions extends OpOptions {
  /** Refuse larger input with TOO_LARGE before parsing (default 1 MiB). */
  maxBytes?: number
}

export type BatchItem =
  | { kind: 'signature'; publicKey: Uint8Array; message: Uint8Array; signature: Uint8Array; slot: number }
  | { kind: 'aggregate'; aggregate: Aggregate; expected?: ExpectedAggregate }

/** One result per item: valid or not, or the typed error that kept it from being checked. */
export type BatchResult = { valid: boolean; error?: LeanAggError }

/** What a prover can do on this machine. */
export interface ProverCapabilities {
  /** Where this prover's proofs run. */
  readonly isolation: Isolation
  /** Whether a proof already running stops when aborted (else it runs on and its result is dropped). */
  readonly canStopRunningProof: boolean
  /** Whether process isolation can be had here (a unix system, the prover server beside the addon). */
  readonly processIsolationAvailable: boolean
}

/** Backends compiled into the loaded addon. */
export function availableBackends(): BackendName[] {
  return native.availableBackends()
}

/**
 * V8's count of external memory in bytes, which its garbage collector weighs: the native memory
 * that keys and aggregates report (it grows as they are made and shrinks as they are collected),
 * with what other addons report and ArrayBuffer contents. `process.memoryUsage().external`
 * leaves the addons' part out on some Node versions.
 */
export function reportedExternalMemory(): number {
  return native.reportedExternalMemory()
}

/**
 * The isolation a prover gets when `isolation` is not given: process isolation for the real
 * prover wherever it is available (measured: it costs no proof latency; see README, "Isolation"),
 * in-process for the simulated one (its proofs stop cooperatively, and tests start faster).
 */
export function defaultIsolation(backend: BackendName): Isolation {
  return backend === 'lean-multisig' && native.processIsolationAvailable() ? 'process' : 'in-process'
}

function toNativeExpected(e: ExpectedAggregate | undefined): NativeExpected | undefined {
  return e
    ? { message: e.message, slot: e.slot === undefined ? undefined : u32('expected.slot', e.slot), signers: e.signers ? [...e.signers] : undefined }
    : undefined
}

export class Prover implements GroupProver {
  readonly backend: BackendName
  readonly logger: Logger
  /** Proofs in native code at once; sessions never plan more lanes than this. */
  readonly maxConcurrentProofs: number
  /** What this prover's keys signed: consulted and written before `sign` returns. */
  readonly signing: SigningRecord
  private readonly handle: NativeProver
  private readonly lane: Lane
  private readonly sessionOptions: Omit<EngineOptions, 'prover'>
  private setupPromise?: Promise<void>
  /** Cancel tokens of the proofs in native code now. */
  private readonly proving = new Set<CancelToken>()
  private sessionEngine?: AggregationEngine
  private closed = false

  /** Throws BACKEND_UNAVAILABLE when the loaded addon was built without the chosen backend. */
  constructor(options: ProverOptions) {
    const isolation = options.isolation ?? defaultIsolation(options.backend)
    if (isolation !== 'process' && isolation !== 'in-process') {
      throw new LeanAggError('INVALID_ARGUMENT', `isolation must be 'process' or 'in-process', got ${String(isolation)}`)
    }
    const threads = options.threads === undefined ? undefined : u32('threads', options.threads)
    const { maxProofMemoryBytes } = options
    this.handle = callSync(
      () => new native.NativeProver(options.backend, options.simulated, threads, { process: isolation === 'process', maxProofMemoryBytes }),
    )
    this.backend = options.backend
    this.logger = options.logger ?? debugLogger
    this.lane = new Lane(positiveInt('maxConcurrentProofs', options.maxConcurrentProofs ?? 1))
    this.maxConcurrentProofs = this.lane.limit
    this.sessionOptions = options.sessions ?? {}
    this.signing = new SigningRecord(options.signing)
  }

  /** The session engine (created on first use): status, metrics, cost estimator. */
  get engine(): AggregationEngine {
    this.sessionEngine ??= new AggregationEngine({ logger: this.logger, ...this.sessionOptions, prover: this })
    return this.sessionEngine
  }

  /**
   * Start a deadline-bound session over a snapshot (or groups, snapshotted here). Returns at once;
   * results stream from the handle, and `done` always settles with a summary.
   */
  startSession(snapshot: Snapshot | readonly GroupInput[], options: SessionOptions = {}): AggregationSession {
    return this.engine.startSession(snapshot, options)
  }

  /**
   * Open a session that takes votes while it runs (see `AggregationEngine.openSession`): add
   * signatures as they arrive; each group is proved once its votes settle and proved again from
   * its larger set while that still fits before the deadline. Returns at once.
   */
  openSession(options: OpenSessionOptions): OpenAggregationSession {
    return this.engine.openSession(options)
  }

  get isSetUp(): boolean {
    return this.handle.isSetUp
  }

  /** Whether an aborted proof stops at once (see `capabilities`); sessions plan with it. */
  get canStopRunningProof(): boolean {
    // The simulated prover checks its cancel token while it works; leanMultisig only dies.
    return this.handle.isolation === 'process' || this.backend === 'simulated'
  }

  get capabilities(): ProverCapabilities {
    return {
      isolation: this.handle.isolation,
      canStopRunningProof: this.canStopRunningProof,
      processIsolationAvailable: native.processIsolationAvailable(),
    }
  }

  /** Proofs running in native code and waiting for the lane. */
  get load(): { running: number; queued: number } {
    return { running: this.lane.busy, queued: this.lane.queued }
  }

  /**
   * Prepare the prover (leanMultisig compiles its aggregation program: seconds). Idempotent and
   * safe to call concurrently: later calls await the first. A failed setup can be retried.
   * With `warmUp` (the default on leanMultisig) setup ends with a proof of throwaway signatures
   * through the path later proofs take (one per proving lane), so the first proof of a slot does
   * not run cold. The first call's `warmUp` is the one that counts; an aborted wait does not stop
   * the shared setup or its warm-up.
   */
  setup(options: SetupOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(closedError())
    let warmUp: number
    try {
      warmUp = warmUpSigners(options.warmUp ?? this.backend === 'lean-multisig')
    } catch (e) {
      return Promise.reject(e)
    }
    if (!this.setupPromise) {
      const started = Date.now()
      this.setupPromise = abortable(undefined, () => this.handle.setup()).then(
        async (threads) => {
          this.logger.debug('prover set up', { backend: this.backend, threads, ms: Date.now() - started })
          if (warmUp > 0) await this.warmUp(warmUp)
        },
        (e: unknown) => {
          this.setupPromise = undefined
          throw e
        },
      )
    }
    const shared = this.setupPromise
    // Aborting one caller's wait does not cancel the shared setup others await.
    return options.signal ? abortable(options.signal, () => shared) : shared
  }

  /**
   * Proofs of `signers` throwaway keys' signatures, one per proving lane at once: with process
   * isolation each lands on its own prover worker (the server forks one when none is idle, and
   * keeps it for later proofs), so every worker the next proofs can reach has faulted in its
   * working set now, not during a slot. A failure is logged, not thrown: the prover is set up
   * either way. close() cancels it like any proof.
   */
  private async warmUp(signers: number): Promise<void> {
    const started = Date.now()
    const proofs = this.handle.isolation === 'process' ? this.maxConcurrentProofs : 1
    try {
      const keys = await Promise.all(Array.from({ length: signers }, (_, n) => this.generateKey(new Uint8Array(32).fill(n + 1), 0, 1)))
      const groups = await Promise.all(
        Array.from({ length: proofs }, async (_, p) => {
          const message = new Uint8Array(32).fill(p)
          // Throwaway keys sign slot 0 once per lane: not through the signing record.
          const signatures = await Promise.all(
            keys.map(async (key) => ({
              publicKey: key.publicKey,
              signature: await this.op({}, (_t, signal) => this.handle.sign(key.handle, message, 0, THROWAWAY, false, signal)),
            })),
          )
          return { message, slot: 0, signatures }
        }),
      )
      // All signed first, so the proofs reach the server together and each takes its own worker.
      await Promise.all(groups.map((group) => this.aggregate(group)))
      this.logger.debug('prover warmed up', { signers, proofs, ms: Date.now() - started })
    } catch (err) {
      if (this.closed) this.logger.debug('prover warm-up stopped by close()')
      else this.logger.warn('prover warm-up failed', { err })
    }
  }

  /** The prover's 8-field-element message for a 32-byte message (see README, "Messages"). */
  messageFields(message: Uint8Array): Uint32Array {
    return callSync(() => this.handle.messageFields(message))
  }

  /** Generate an XMSS key for slots `firstSlot..=lastSlot` from a 32-byte seed (deterministic). */
  generateKey(seed: Uint8Array, firstSlot: number, lastSlot: number, options: OpOptions = {}): Promise<SecretKey> {
    return this.op(options, (_token, signal) => this.handle.keygen(seed, u32('firstSlot', firstSlot), u32('lastSlot', lastSlot), signal)).then(
      (k) => new SecretKey(k),
    )
  }

  secretKeyFromBytes(bytes: Uint8Array, options: OpOptions = {}): Promise<SecretKey> {
    return this.op(options, (_token, signal) => this.handle.secretKeyFromBytes(bytes, signal)).then((k) => new SecretKey(k))
  }

  /**
   * Sign a 32-byte message at `slot`. Resolves with 1208 bytes. Each slot of a key signs once
   * (XMSS is stateful), through `prover.signing`: another message at a used slot rejects with
   * SLOT_ALREADY_SIGNED, the same message again resolves with the signature recorded the first
   * time, a slot below the key's high-water mark rejects with SLOT_BELOW_HIGH_WATER unless
   * `allowOutOfOrder`, and a key another prover or process holds with KEY_LOCKED.
   */
  sign(key: SecretKey, message: Uint8Array, slot: number, options: SignOptions = {}): Promise<Uint8Array> {
    const outOfOrder = options.allowOutOfOrder ?? this.signing.allowOutOfOrder
    return this.op(options, (_token, signal) => this.handle.sign(key.handle, message, checkSlot('slot', slot), this.signing.handle, outOfOrder, signal)).then(
      (b) => new Uint8Array(b),
    )
  }

  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, slot: number, options: OpOptions = {}): Promise<boolean> {
    return this.op(options, (_token, signal) => this.handle.verifySignature(publicKey, message, signature, checkSlot('slot', slot), signal))
  }

  /** Synchronous twin of `verify` (well under a millisecond). */
  verifySync(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, slot: number): boolean {
    this.assertOpen()
    return callSync(() => this.handle.verifySignatureSync(publicKey, message, signature, checkSlot('slot', slot)))
  }

  /**
   * Aggregate one group (type-1). Cheap checks first, then raw signatures are verified, then
   * children, then the proof runs on the proving lane.
   */
  aggregate(group: AggregationGroup, options: AggregateOptions = {}): Promise<Aggregate> {
    return this.proof(options, (token, signal) =>
      this.handle.aggregate(
        group.signatures.map((s) => s.publicKey),
        group.signatures.map((s) => s.signature),
        childHandles(group.children),
        group.message,
        checkSlot('slot', group.slot),
        u32('logInvRate', options.logInvRate ?? DEFAULT_LOG_INV_RATE),
        token,
        signal,
      ),
    ).then((a) => new Aggregate(a))
  }

  /** Verify an aggregate, and optionally that it is for the expected message, slot and signers. */
  verifyAggregate(aggregate: Aggregate, options: VerifyAggregateOptions = {}): Promise<boolean> {
    return this.op(options, (_token, signal) => this.handle.verifyAggregate(aggregate.handle, toNativeExpected(options.expected), signal))
  }

  /** Merge aggregates of different messages into one type-2 proof (at most 16). */
  merge(aggregates: readonly Aggregate[], options: AggregateOptions = {}): Promise<MergedAggregate> {
    return this.proof(options, (token, signal) =>
      this.handle.merge(
        aggregates.map((a) => a.handle),
        u32('logInvRate', options.logInvRate ?? DEFAULT_LOG_INV_RATE),
        token,
        signal,
      ),
    ).then((m) => new MergedAggregate(m))
  }

  /** Recover component `index` of a merged aggregate as a type-1 aggregate. */
  split(merged: MergedAggregate, index: number, options: AggregateOptions = {}): Promise<Aggregate> {
    return this.proof(options, (token, signal) =>
      this.handle.split(merged.handle, u32('index', index), u32('logInvRate', options.logInvRate ?? DEFAULT_LOG_INV_RATE), token, signal),
    ).then((a) => new Aggregate(a))
  }

  verifyMerged(merged: MergedAggregate, options: OpOptions = {}): Promise<boolean> {
    return this.op(options, (_token, signal) => this.handle.verifyMerged(merged.handle, signal))
  }

  /** Parse untrusted aggregate bytes. Needs `setup()`. */
  aggregateFromBytes(bytes: Uint8Array, options: FromBytesOptions = {}): Promise<Aggregate> {
    const max = options.maxBytes ?? DEFAULT_MAX_AGGREGATE_BYTES
    return this.op(options, (_token, signal) => this.handle.aggregateFromBytes(bytes, u32('maxBytes', max), signal)).then((a) => new Aggregate(a))
  }

  /** Parse untrusted merged-aggregate bytes. Needs `setup()`. */
  mergedFromBytes(bytes: Uint8Array, options: FromBytesOptions = {}): Promise<MergedAggregate> {
    const max = options.maxBytes ?? DEFAULT_MAX_AGGREGATE_BYTES
    return this.op(options, (_token, signal) => this.handle.mergedFromBytes(bytes, u32('maxBytes', max), signal)).then((m) => new MergedAggregate(m))
  }

  /**
   * Verify many signatures and aggregates in one native call, spread over the prover pool.
   * A malformed item gets its own error result; it does not fail the batch.
   */
  batchVerify(items: readonly BatchItem[], options: OpOptions = {}): Promise<BatchResult[]> {
    // The addon takes signatures and aggregates as two lists; `order` maps results back.
    const order: number[] = []
    const run: NativeRun<NativeBatchResult[]> = (_token, signal) => {
      const sigs: SignatureItem[] = []
      const aggs: NativeAggregate[] = []
      const expected: (NativeExpected | null)[] = []
      const aggOrder: number[] = []
      for (const [i, item] of items.entries()) {
        if (item.kind === 'signature') {
          order.push(i)
          sigs.push({ publicKey: item.publicKey, message: item.message, signature: item.signature, slot: checkSlot('slot', item.slot) })
        } else {
          aggOrder.push(i)
          aggs.push(item.aggregate.handle)
          expected.push(toNativeExpected(item.expected) ?? null)
        }
      }
      order.push(...aggOrder)
      return this.handle.batchVerify(sigs, aggs, expected, signal)
    }
    return this.op(options, run).then((raw) => {
      const out: BatchResult[] = new Array(items.length)
      raw.forEach((r, k) => {
        out[order[k]!] = r.error == null ? { valid: r.valid } : { valid: false, error: fromNative(new Error(r.error)) }
      })
      return out
    })
  }

  /** Resolves when no proof is running in native code (abandoned ones included). */
  idle(): Promise<void> {
    return this.lane.idle()
  }

  /**
   * Refuse new work (CLOSED), reject queued proofs, cancel running sessions, and wait up to
   * `timeoutMs` (default 2000) for the native proof in flight. With process isolation that proof
   * is killed; in-process a leanMultisig proof cannot be stopped, and the report says whether one
   * was still running (its result is dropped).
   */
  async close(options: CloseOptions = {}): Promise<CloseReport> {
    // Checked before anything closes: a bad timeout rejects and leaves the prover as it was.
    const timeoutMs = checkMs(options.timeoutMs ?? 2000, 'timeoutMs')
    if (this.closed) return { proofStillRunning: this.lane.busy > 0, sessionsCancelled: 0 }
    this.closed = true
    this.lane.rejectQueued(closedError())
    // Sessions are cancelled first (their proofs end as the session outcome says), then every
    // other proof in flight: with process isolation both are killed at once.
    const closing = this.sessionEngine ? this.sessionEngine.close({ timeoutMs }) : this.waitForLane(timeoutMs)
    for (const token of this.proving) token.cancel()
    const report = await closing
    this.handle.shutdown()
    this.signing.release()
    return report
  }

  private async waitForLane(timeoutMs: number): Promise<CloseReport> {
    await within(systemClock, timeoutMs, this.lane.idle())
    return { proofStillRunning: this.lane.busy > 0, sessionsCancelled: 0 }
  }

  get isClosed(): boolean {
    return this.closed
  }

  private assertOpen(): void {
    if (this.closed) throw closedError()
  }

  /** A non-proving operation: abortable, typed errors, never throws synchronously. */
  private op<T>(options: OpOptions, run: NativeRun<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError())
    return abortable(options.signal, run)
  }

  /** A proving operation: as `op`, through the proving lane, with a cancel token close() can use. */
  private proof<T>(options: OpOptions, run: NativeRun<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError())
    const tracked: NativeRun<T> = (token, signal) => {
      this.proving.add(token)
      const work = run(token, signal)
      const done = () => this.proving.delete(token)
      work.then(done, done)
      return work
    }
    return this.lane.run(options.signal, () => startAbortable(options.signal, tracked))
  }
}

/** Warm-up keys are throwaway: their signatures skip the record (and never leave the prover). */
const THROWAWAY = native.NativeSigningRecord.unguardedForTests() as import('./native.js').NativeSigningRecord

/** Children must be aggregates this package made (INVALID_CHILD otherwise, as in buildSnapshot). */
function childHandles(children: readonly Aggregate[] | undefined): NativeAggregate[] {
  if (children === undefined) return []
  if (!Array.isArray(children)) throw new LeanAggError('INVALID_ARGUMENT', 'children must be an array')
  return children.map((c, i) => {
    if (!(c instanceof Aggregate)) throw new LeanAggError('INVALID_CHILD', `child ${i} is not an aggregate`)
    return c.handle
  })
}

/** A count option: a positive integer, INVALID_ARGUMENT otherwise (found by the options fuzzer). */
function positiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new LeanAggError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${String(value)}`)
  }
  return value
}

function warmUpSigners(warmUp: boolean | number): number {
  if (warmUp === true) return DEFAULT_WARM_UP_SIGNERS
  if (warmUp === false) return 0
  if (!Number.isInteger(warmUp) || warmUp < 2 || warmUp > MAX_GROUP_SIGNERS) {
    throw new LeanAggError('INVALID_ARGUMENT', `warmUp must be a boolean or an integer in 2..=${MAX_GROUP_SIGNERS}`)
  }
  return warmUp
}
