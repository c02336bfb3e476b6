/**
 * Determinism for tests, benchmarks and demos, this project's and a client's own: a clock that
 * moves only when told (drive an `AggregationEngine` through slots in milliseconds of real time),
 * a small seeded random generator (replay the same workload every run), and a fake prover on that
 * clock (proofs that take simulated time and share simulated lanes).
 */
import type { Aggregate } from './aggregate.js'
import { LeanAggError, abortedError } from './errors.js'
import { SIGNATURE_BYTES } from './limits.js'
import { groupKey } from './session/snapshot.js'
import type { Clock, GroupProver } from './session/types.js'
import type { AggregateOptions, AggregationGroup } from './types.js'

interface Timer {
  readonly at: number
  readonly fn: () => void
  readonly seq: number
}

/** A `Clock` whose time moves only in `advance` and `runUntil`; timers fire in time order. */
export class ManualClock implements Clock {
  #now: number
  #seq = 0
  readonly #timers = new Map<number, Timer>()

  constructor(start = 1_700_000_000_000) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn, seq: id })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number)
  }

  /** Timers set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.size
  }

  /** Move time forward by `ms`, firing due timers in order and letting promise chains run after each. */
  advance(ms: number): Promise<void> {
    return this.runUntil(this.#now + ms)
  }

  /** Move time forward to `target` (never back), as `advance` does. */
  async runUntil(target: number): Promise<void> {
    await settlePromises()
    for (;;) {
      const next = this.#due(target)
      if (next === undefined) break
      this.#timers.delete(next[0])
      this.#now = Math.max(this.#now, next[1].at)
      next[1].fn()
      await settlePromises()
    }
    this.#now = Math.max(this.#now, target)
    await settlePromises()
  }

  #due(target: number): [number, Timer] | undefined {
    let next: [number, Timer] | undefined
    for (const entry of this.#timers) {
      if (entry[1].at > target) continue
      if (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].seq < next[1].seq)) next = entry
    }
    return next
  }
}

/**
 * Let every pending promise chain run: a few turns of the event loop, enough for chains that wait
 * on nothing but a manual clock.
 */
export async function settlePromises(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** mulberry32: a small seeded generator of floats in [0, 1); the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** One `aggregate()` call to a FakeProver, as it went. */
export interface FakeCall {
  /** The group's key (`groupKey(message, slot)`). */
  key: string
  slot: number
  group: AggregationGroup
  queuedAt: number
  startedAt?: number
  endedAt?: number
  aborted: boolean
  outcome?: 'resolved' | 'rejected' | 'dropped'
}

/** How a FakeProver behaves; every option has a default. */
export interface FakeProverOptions {
  /** Native proving time for a group; default 100 ms. */
  latency?: (group: AggregationGroup) => number
  /** Fail a group: an error to reject with after its latency, or 'panic' for PROVER_PANIC. */
  fail?: (group: AggregationGroup) => LeanAggError | Error | 'panic' | undefined
  /** Result of verifyAggregate; default true. */
  verify?: (aggregate: Aggregate) => boolean
  /** Misbehave: ignore the abort signal and resolve after the latency anyway. */
  ignoreAbort?: boolean
  /** Misbehave: throw synchronously from aggregate() for this group. */
  throwSync?: (group: AggregationGroup) => boolean
  /** Proofs run at once (advertised as `maxConcurrentProofs` if finite); default 1, the rest queue. */
  lanes?: number
  /** With k proofs at once each takes slowdown(k) times its latency; default k (a shared machine). */
  slowdown?: (k: number) => number
  /** An aborted proof stops at once and frees its lane (process isolation); advertised as `canStopRunningProof`. */
  killable?: boolean
  /** The stand-in aggregate a proof returns; default `fakeAggregate`. */
  aggregate?: (group: AggregationGroup) => Aggregate
}

interface Job {
  readonly call: FakeCall
  /** Solo ms still to prove. */
  left: number
  finish(): void
}

/**
 * A `GroupProver` in JS on a `Clock` (a ManualClock in tests and benchmarks) that behaves like the
 * real one where an engine can tell: one proving lane by default (several share the machine), an
 * aborted call rejects at once with ABORTED, and an abandoned proof keeps its lane busy until its
 * (simulated) native work ends. `calls` records every proof.
 */
export class FakeProver implements GroupProver {
  readonly calls: FakeCall[] = []
  readonly verifyCalls: Aggregate[] = []
  readonly maxConcurrentProofs: number | undefined
  readonly canStopRunningProof: boolean | undefined
  readonly #clock: Clock
  readonly #opts: FakeProverOptions
  readonly #lanes: number
  readonly #queue: (() => void)[] = []
  readonly #running = new Set<Job>()
  #since = 0
  #timer: unknown
  #idleWaiters: (() => void)[] = []

  constructor(clock: Clock, opts: FakeProverOptions = {}) {
    this.#clock = clock
    this.#opts = opts
    this.#lanes = opts.lanes ?? 1
    this.maxConcurrentProofs = Number.isFinite(opts.lanes) ? opts.lanes : undefined
    this.canStopRunningProof = opts.killable
  }

  /** A native proof is running (possibly abandoned by its caller). */
  get busy(): boolean {
    return this.#running.size > 0
  }

  aggregate(group: AggregationGroup, options: AggregateOptions = {}): Promise<Aggregate> {
    const { signal } = options
    if (this.#opts.throwSync?.(group)) throw new TypeError('synchronous prover bug')
    if (signal?.aborted && !this.#opts.ignoreAbort) return Promise.reject(abortedError(signal.reason))
    const call: FakeCall = { key: groupKey(group.message, group.slot), slot: group.slot, group, queuedAt: this.#clock.now(), aborted: false }
    this.calls.push(call)
    return new Promise<Aggregate>((resolve, reject) => {
      let settled = false
      const settle = (fn: () => void) => {
        if (!settled) {
          settled = true
          fn()
        }
      }
      const finish = () => {
        call.endedAt = this.#clock.now()
        if (call.aborted && !this.#opts.ignoreAbort) call.outcome = 'dropped'
        else {
          const failure = this.#opts.fail?.(group)
          if (failure === 'panic') {
            call.outcome = 'rejected'
            settle(() => reject(new LeanAggError('PROVER_PANIC', 'prover panicked: index out of bounds')))
          } else if (failure) {
            call.outcome = 'rejected'
            settle(() => reject(failure))
          } else {
            call.outcome = 'resolved'
            settle(() => resolve((this.#opts.aggregate ?? fakeAggregate)(group)))
          }
        }
      }
      let job: Job | undefined
      const start = () => {
        call.startedAt = this.#clock.now()
        this.#advance()
        job = { call, left: this.#opts.latency?.(group) ?? 100, finish }
        this.#running.add(job)
        this.#schedule()
      }
      signal?.addEventListener(
        'abort',
        () => {
          call.aborted = true
          if (this.#opts.ignoreAbort) return
          const i = this.#queue.indexOf(start)
          if (i >= 0) this.#queue.splice(i, 1) // never starts
          if (this.#opts.killable && job && this.#running.has(job)) this.#kill(job)
          settle(() => reject(abortedError(signal.reason)))
        },
        { once: true },
      )
      if (this.#running.size >= this.#lanes) this.#queue.push(start)
      else start()
    })
  }

  async verifyAggregate(aggregate: Aggregate, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    if (options.signal?.aborted) throw abortedError(options.signal.reason)
    this.verifyCalls.push(aggregate)
    return this.#opts.verify?.(aggregate) ?? true
  }

  idle(): Promise<void> {
    if (this.#running.size === 0 && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  /** Proofs at once share the machine: each advances at 1/slowdown(k) of its solo speed. */
  #slowdown(k: number): number {
    return k <= 1 ? 1 : (this.#opts.slowdown?.(k) ?? k)
  }

  #advance(): void {
    const now = this.#clock.now()
    const rate = 1 / this.#slowdown(this.#running.size)
    for (const job of this.#running) job.left -= (now - this.#since) * rate
    this.#since = now
  }

  #schedule(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#running.size === 0) return
    const first = Math.min(...[...this.#running].map((j) => j.left))
    this.#timer = this.#clock.setTimeout(() => this.#onTimer(), Math.max(0, first * this.#slowdown(this.#running.size)))
  }

  #onTimer(): void {
    this.#timer = undefined
    this.#advance()
    for (const job of [...this.#running]) {
      if (job.left > 1e-3) continue // below the clock's resolution at epoch-sized times
      this.#running.delete(job)
      job.finish()
    }
    this.#next()
  }

  /** A killed proof ends now and frees its lane. */
  #kill(job: Job): void {
    this.#advance()
    this.#running.delete(job)
    job.call.endedAt = this.#clock.now()
    job.call.outcome = 'dropped'
    this.#next()
  }

  #next(): void {
    while (this.#running.size < this.#lanes && this.#queue.length > 0) this.#queue.shift()!()
    this.#schedule()
    if (this.#running.size === 0 && this.#queue.length === 0) for (const w of this.#idleWaiters.splice(0)) w()
  }
}

/**
 * A stand-in Aggregate: enough for the engine (slot, signers sorted, proofSize, toBytes); its
 * bytes (message | slot u32 LE | signers) read back with `decodeFakeAggregate`.
 */
export function fakeAggregate(group: AggregationGroup): Aggregate {
  const signers = new Map<string, Uint8Array>()
  for (const s of group.signatures) signers.set(Buffer.from(s.publicKey).toString('hex'), s.publicKey)
  for (const c of group.children ?? []) for (const s of c.signers) signers.set(Buffer.from(s).toString('hex'), s)
  const sorted = [...signers.keys()].sort().map((k) => signers.get(k)!)
  const bytes = encodeFake(group.message, group.slot, sorted)
  return {
    backend: 'simulated',
    slot: group.slot,
    messageFields: new Uint32Array(8),
    signers: sorted,
    toBytes: () => bytes.slice(),
    proofSize: bytes.length,
  } as unknown as Aggregate
}

/** Fake proof bytes: message(32) | slot u32 LE | signers(32 each). */
function encodeFake(message: Uint8Array, slot: number, signers: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(36 + 32 * signers.length)
  out.set(message, 0)
  new DataView(out.buffer).setUint32(32, slot, true)
  for (const [i, s] of signers.entries()) out.set(s, 36 + 32 * i)
  return out
}

/** The fake aggregate `bytes` encode (the decoder `snapshotFromBytes` takes, for fakes). */
export function decodeFakeAggregate(bytes: Uint8Array): Aggregate {
  if (bytes.length < 36 || (bytes.length - 36) % 32 !== 0) throw new Error('bad fake aggregate')
  const message = bytes.slice(0, 32)
  const slot = new DataView(bytes.buffer, bytes.byteOffset).getUint32(32, true)
  const signers: Uint8Array[] = []
  for (let o = 36; o < bytes.length; o += 32) signers.push(bytes.slice(o, o + 32))
  return fakeAggregate({ message, slot, signatures: signers.map((publicKey) => ({ publicKey, signature: new Uint8Array(SIGNATURE_BYTES) })) })
}
