/** Public value types shared by the prover API and the session engine. */
import type { Aggregate } from './aggregate.js'

/** A raw XMSS signature with the public key that made it. */
export interface SignedBy {
  /** 32 bytes: 8 field elements, 4-byte little-endian each. */
  publicKey: Uint8Array
  /** 1208 bytes: 302 field elements, 4-byte little-endian each. */
  signature: Uint8Array
}

/** One type-1 aggregation group: everything signed for one (message, slot). */
export interface AggregationGroup {
  /** 32-byte message (an attestation-data root). */
  message: Uint8Array
  slot: number
  /** Raw signatures over `message` at `slot`. */
  signatures: readonly SignedBy[]
  /** Earlier aggregates of the same message and slot (at most 16). */
  children?: readonly Aggregate[]
}

/** Options every async operation takes. */
export interface OpOptions {
  /** Abort: rejects at once with an `ABORTED` error; work that has not started never runs. */
  signal?: AbortSignal
}

export interface AggregateOptions extends OpOptions {
  /** WHIR rate, 1..=4. Default 2, the clients' convention. */
  logInvRate?: number
}
