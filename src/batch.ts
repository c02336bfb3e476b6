/** `batchVerify`'s items in the addon's form (two lists) and its results back in item order. */
import type { BatchResult as NativeBatchResult, ExpectedAggregate as NativeExpected, SignatureItem } from '../index.js'
import type { Aggregate } from './aggregate.js'
import type { LeanAggError } from './errors.js'
import type { NativeAggregate } from './native.js'
import { fromNative } from './native-errors.js'
import type { ExpectedAggregate } from './prover-options.js'
import { slot as checkSlot, u32 } from './validate.js'

export type BatchItem =
  | { kind: 'signature'; publicKey: Uint8Array; message: Uint8Array; signature: Uint8Array; slot: number }
  | { kind: 'aggregate'; aggregate: Aggregate; expected?: ExpectedAggregate }

/** One result per item: valid or not, or the typed error that kept it from being checked. */
export type BatchResult = { valid: boolean; error?: LeanAggError }

export function toNativeExpected(e: ExpectedAggregate | undefined): NativeExpected | undefined {
  return e
    ? { message: e.message, slot: e.slot === undefined ? undefined : u32('expected.slot', e.slot), signers: e.signers ? [...e.signers] : undefined }
    : undefined
}

/** The addon's two lists, and for each of its results (signatures first) the item it belongs to. */
export interface NativeBatch {
  signatures: SignatureItem[]
  aggregates: NativeAggregate[]
  expected: (NativeExpected | null)[]
  order: number[]
}

export function toNativeBatch(items: readonly BatchItem[]): NativeBatch {
  const batch: NativeBatch = { signatures: [], aggregates: [], expected: [], order: [] }
  const aggregateOrder: number[] = []
  for (const [i, item] of items.entries()) {
    if (item.kind === 'signature') {
      batch.order.push(i)
      batch.signatures.push({ publicKey: item.publicKey, message: item.message, signature: item.signature, slot: checkSlot('slot', item.slot) })
    } else {
      aggregateOrder.push(i)
      batch.aggregates.push(item.aggregate.handle)
      batch.expected.push(toNativeExpected(item.expected) ?? null)
    }
  }
  batch.order.push(...aggregateOrder)
  return batch
}

export function fromNativeBatch(raw: readonly NativeBatchResult[], order: readonly number[]): BatchResult[] {
  const out: BatchResult[] = new Array(order.length)
  raw.forEach((r, k) => {
    out[order[k]!] = r.error == null ? { valid: r.valid } : { valid: false, error: fromNative(new Error(r.error)) }
  })
  return out
}
