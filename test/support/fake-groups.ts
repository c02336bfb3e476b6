/**
 * Inputs for tests on the fake prover (src/testing.ts): messages, public keys, signatures and
 * groups by number. Keys are canonical field elements; signatures are never checked.
 */
import type { Aggregate } from '../../src/aggregate.js'
import type { AggregationGroup, SignedBy } from '../../src/types.js'

export function message(n: number): Uint8Array {
  const m = new Uint8Array(32)
  new DataView(m.buffer).setUint32(0, n, true)
  return m
}

/** Public key `n`: canonical field elements (small values). */
export function pk(n: number): Uint8Array {
  const k = new Uint8Array(32)
  new DataView(k.buffer).setUint32(0, n, true)
  new DataView(k.buffer).setUint32(4, 1, true)
  return k
}

export function sig(n: number): Uint8Array {
  const s = new Uint8Array(1208)
  new DataView(s.buffer).setUint32(0, n, true)
  return s
}

export function signed(n: number): SignedBy {
  return { publicKey: pk(n), signature: sig(n) }
}

/** A group of `signers` raw signatures (keys first..first+signers-1) for message `m` at `slot`. */
export function group(m: number, slot: number, signers: number, first = 0, children: Aggregate[] = []): AggregationGroup {
  return {
    message: message(m),
    slot,
    signatures: Array.from({ length: signers }, (_, i) => signed(first + i)),
    children,
  }
}
