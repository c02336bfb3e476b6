/** The prover API: every heavy operation is async, abortable and off the JS thread. */
import { abortable, startAbortable, type NativeRun } from './abort.js'
import { Aggregate, MergedAggregate, SecretKey } from './aggregate.js'
import { type BatchItem, type BatchResult, fromNativeBatch, toNativeBatch, toNativeExpected } from './batch.js'
import { defaultIsolation, type ProverCapabilities } from './capabilities.js'
import { closedError, LeanAggError } from './errors.js'
import { Lane } from './lane.js'
import { debugLogger, type Logger } from './logger.js'
import { native } from './native.js'
import type { BackendName, CancelToken, NativeAggregate, NativeProver } from './native.js'
import { callSync } from './native-errors.js'
import {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_MAX_AGGREGATE_BYTES,
  type FromBytesOptions,
  logInvRate,
  positiveInt,
  type ProverOptions,
  type SetupOptions,
  type VerifyAggregateOptions,
  warmUpSigners,
} from './prover-options.js'
import { systemClock, within } from './session/clock.js'
import { AggregationEngine, type CloseOptions, type CloseReport, type EngineOptions } from './session/engine.js'
import type { OpenAggregationSession, OpenSessionOptions } from './session/open-session.js'
import { checkMs } from './session/options.js'
import type { AggregationSession, SessionOptions } from './session/session.js'
import type { GroupInput, Snapshot } from './session/snapshot.js'
import type { GroupProver } from './session/types.js'
import type { AggregateOptions, AggregationGroup, OpOptions } from './types.js'
import { SigningRecord, type SignOptions } from './keys/signing.js'
import { slot as checkSlot, u32 } from './validate.js'

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
        logInvRate(options),
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
        logInvRate(options),
        token,
        signal,
      ),
    ).then((m) => new MergedAggregate(m))
  }

  /** Recover component `index` of a merged aggregate as a type-1 aggregate. */
  split(merged: MergedAggregate, index: number, options: AggregateOptions = {}): Promise<Aggregate> {
    return this.proof(options, (token, signal) => this.handle.split(merged.handle, u32('index', index), logInvRate(options), token, signal)).then(
      (a) => new Aggregate(a),
    )
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
    return this.op(options, (_token, signal) => {
      const batch = toNativeBatch(items)
      return this.handle.batchVerify(batch.signatures, batch.aggregates, batch.expected, signal).then((raw) => fromNativeBatch(raw, batch.order))
    })
  }

  /** Resolves when no proof is running in native code (abandoned ones included). */
  idle(): Promise<void> {
    return this.lane.idle()
  }

  /**
   * Refuse new work (CLOSED), reject queued proofs, cancel running sessions, and wait up to
   * `timeoutMs` (default DEFAULT_CLOSE_TIMEOUT_MS, 2000) for the native proof in flight. With process isolation that proof
   * is killed; in-process a leanMultisig proof cannot be stopped, and the report says whether one
   * was still running (its result is dropped).
   */
  async close(options: CloseOptions = {}): Promise<CloseReport> {
    // Checked before anything closes: a bad timeout rejects and leaves the prover as it was.
    const timeoutMs = checkMs(options.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS, 'timeoutMs')
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
