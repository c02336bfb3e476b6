/**
 * The signing guard's TypeScript side: the `signing` option of a Prover, and `prover.signing`,
 * which exports and imports the record (see README, "Key safety").
 */
import { abortable } from '../abort.js'
import { closedError, LeanAggError } from '../errors.js'
import { callSync } from '../native-errors.js'
import { native, type NativeSigningRecord, type SigningRecordKind } from '../native.js'
import type { OpOptions } from '../types.js'
import { fromInterchange, toInterchange, type SigningInterchange } from './interchange.js'

export interface SigningOptions {
  /**
   * Keep the record on disk in this directory (created if missing): one SQLite database per key,
   * committed (fsynced) before a signature is returned, so it survives a crash or restart.
   * Without it the record lives in memory and is gone when the process exits.
   */
  directory?: string
  /** Default of `sign`'s `allowOutOfOrder` (false). */
  allowOutOfOrder?: boolean
  /**
   * No record at all: `sign` signs whatever it is asked, any slot any number of times. Only for
   * tests that reuse a key's slot on purpose; never for a key that signs anything real.
   */
  unguardedForTests?: boolean
}

export interface SignOptions extends OpOptions {
  /**
   * Sign a slot below the key's high-water mark (the highest slot it signed). A slot already used
   * is refused either way. Default: the prover's `signing.allowOutOfOrder`, else false.
   */
  allowOutOfOrder?: boolean
}

export type { SigningRecordKind }

export interface ExportOptions extends OpOptions {
  /** Only these keys (32-byte public keys); default every key of the record. */
  publicKeys?: readonly Uint8Array[]
}

/** A prover's signing record: what its keys signed, per slot. */
export class SigningRecord {
  readonly kind: SigningRecordKind
  readonly directory: string | undefined
  readonly allowOutOfOrder: boolean
  /** @internal */
  readonly handle: NativeSigningRecord
  #released = false

  /** @internal */
  constructor(options: SigningOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new LeanAggError('INVALID_ARGUMENT', 'signing must be an object')
    const { directory, allowOutOfOrder = false, unguardedForTests = false } = options
    if (directory !== undefined && typeof directory !== 'string') throw new LeanAggError('INVALID_ARGUMENT', 'signing.directory must be a string')
    if (typeof allowOutOfOrder !== 'boolean' || typeof unguardedForTests !== 'boolean') {
      throw new LeanAggError('INVALID_ARGUMENT', 'signing.allowOutOfOrder and signing.unguardedForTests must be booleans')
    }
    if (unguardedForTests && directory !== undefined) {
      throw new LeanAggError('INVALID_ARGUMENT', 'signing.unguardedForTests keeps no record: it takes no directory')
    }
    this.handle = callSync(() =>
      unguardedForTests ? native.NativeSigningRecord.unguardedForTests() : new native.NativeSigningRecord(directory),
    ) as NativeSigningRecord
    this.kind = this.handle.kind
    this.directory = directory
    this.allowOutOfOrder = allowOutOfOrder
  }

  /**
   * Take a key's record now: rejects with KEY_LOCKED when another prover or process holds it
   * (otherwise the key's first `sign` takes it). Held until the prover closes.
   */
  acquire(publicKey: Uint8Array, options: OpOptions = {}): Promise<void> {
    if (this.#released) return Promise.reject(closedError())
    return abortable(options.signal, (_token, signal) => this.handle.acquire(publicKey, signal))
  }

  /** The record as JSON-ready data (the interchange form, see README "Key safety"). */
  async export(options: ExportOptions = {}): Promise<SigningInterchange> {
    if (this.#released) throw closedError()
    const keys = options.publicKeys === undefined ? undefined : [...options.publicKeys]
    const records = await abortable(options.signal, (_token, signal) => this.handle.exportRecords(keys, signal))
    return toInterchange(records)
  }

  /**
   * Merge an interchange (parsed JSON, or its text) into the record, all or nothing: a slot
   * recorded here with another message refuses the whole import with SLOT_ALREADY_SIGNED.
   * Resolves with the number of slots added.
   */
  async import(interchange: SigningInterchange | string, options: OpOptions = {}): Promise<number> {
    if (this.#released) throw closedError()
    const records = fromInterchange(interchange)
    return abortable(options.signal, (_token, signal) => this.handle.importRecords(records, signal))
  }

  /** @internal Let go of every key (the prover closed); later calls reject with CLOSED. */
  release(): void {
    this.#released = true
    this.handle.release()
  }
}
