/** Aggregates: immutable views over proofs held in Rust. */
import { callSync } from './native-errors.js'
import type { BackendName, NativeAggregate, NativeMerged } from './native.js'

/** A type-1 aggregate: one message, one slot, the sorted set of signers, one proof. */
export class Aggregate {
  readonly backend: BackendName
  readonly slot: number
  /** The prover's message: 8 field elements (see README, "Messages"). */
  readonly messageFields: Uint32Array
  /** Public keys of every signer, sorted in the prover's order. */
  readonly signers: readonly Uint8Array[]
  /**
   * What this aggregate proves, as 64 hex characters: Keccak-256 over the message's field
   * elements, the slot and the sorted signer set. Proof bytes are malleable (different byte
   * strings can prove one claim): deduplicate aggregates by this key, never by their bytes.
   */
  readonly claimKey: string
  private bytes?: Uint8Array

  /** @internal Aggregates come from a Prover, never from user code. */
  constructor(readonly handle: NativeAggregate) {
    this.backend = handle.backend
    this.slot = handle.slot
    this.messageFields = handle.messageFields
    this.signers = Object.freeze(handle.signers.map((k) => new Uint8Array(k)))
    this.claimKey = handle.claimKey
  }

  get signerCount(): number {
    return this.signers.length
  }

  /**
   * The proof's bytes: for leanMultisig, upstream's compressed format (what other clients send).
   * Always re-encoded from the decoded proof, so an aggregate parsed from bytes that differ only
   * in their encoding (e.g. the lz4 size prefix) gives one canonical form.
   */
  toBytes(): Uint8Array {
    return this.cachedBytes().slice()
  }

  /** Size of `toBytes()` in bytes. */
  get proofSize(): number {
    return this.cachedBytes().length
  }

  // Serialising compresses the whole proof: do it once per aggregate.
  private cachedBytes(): Uint8Array {
    this.bytes ??= callSync(() => new Uint8Array(this.handle.toBytes()))
    return this.bytes
  }
}

export interface MergedComponent {
  readonly messageFields: Uint32Array
  readonly slot: number
  readonly signers: readonly Uint8Array[]
}

/** A type-2 aggregate: aggregates of different messages under one proof. */
export class MergedAggregate {
  readonly backend: BackendName
  readonly components: readonly MergedComponent[]
  /** The components' claims in order, as 64 hex characters (see `Aggregate.claimKey`). */
  readonly claimKey: string

  /** @internal */
  constructor(readonly handle: NativeMerged) {
    this.backend = handle.backend
    this.claimKey = handle.claimKey
    this.components = Object.freeze(
      handle.components.map((c) =>
        Object.freeze({ messageFields: c.messageFields, slot: c.slot, signers: Object.freeze(c.signers.map((k) => new Uint8Array(k))) }),
      ),
    )
  }

  /** The proof's bytes, re-encoded from the decoded proof (canonical, as `Aggregate.toBytes`). */
  toBytes(): Uint8Array {
    return callSync(() => new Uint8Array(this.handle.toBytes()))
  }
}

/** An XMSS secret key. Its Merkle tree lives in Rust; `toBytes()` is the seed and slot range. */
export class SecretKey {
  readonly backend: BackendName
  readonly publicKey: Uint8Array
  readonly firstSlot: number
  readonly lastSlot: number

  /** @internal */
  constructor(readonly handle: import('./native.js').NativeSecretKey) {
    this.backend = handle.backend
    this.publicKey = new Uint8Array(handle.publicKey)
    this.firstSlot = handle.firstSlot
    this.lastSlot = handle.lastSlot
  }

  /** The secret bytes (SECRET_KEY_BYTES): versioned and checksummed around the seed and slot range. Keep them secret; `encodeKeyFile` encrypts them. */
  toBytes(): Uint8Array {
    return new Uint8Array(this.handle.toBytes())
  }
}
