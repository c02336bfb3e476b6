/**
 * The cheap checks that run before any expensive verification: a proof's size against the spec
 * bound, and what a decoded proof claims (message, slot, signer keys) against what the caller's
 * registry and bindings say. At this revision a proof carries its claim, so these need no crypto.
 */
import type { MergedComponent } from '../aggregate.js'
import { LeanAggError } from '../errors.js'
import { toHex } from '../session/snapshot.js'
import { MAX_SPEC_PROOF_BYTES } from './revision.js'

/** What a decoded proof says it proves (an Aggregate or a merged component). */
type Claimed = Pick<MergedComponent, 'messageFields' | 'slot' | 'signers'>

/** Proof bytes within leanSpec's ByteList512KiB (TOO_LARGE otherwise). */
export function specProof(proof: unknown, what: string): Uint8Array {
  if (!(proof instanceof Uint8Array)) throw new LeanAggError('INVALID_ARGUMENT', `${what}: the proof must be a Uint8Array`)
  if (proof.length > MAX_SPEC_PROOF_BYTES) {
    throw new LeanAggError('TOO_LARGE', `${what}: the proof is ${proof.length} bytes, leanSpec's ByteList512KiB holds ${MAX_SPEC_PROOF_BYTES}`)
  }
  return proof
}

/** MESSAGE_MISMATCH unless the proof is for this message (as field elements) and slot. */
export function checkMessage(claimed: Claimed, messageFields: Uint32Array, slot: number, what: string): void {
  const same = claimed.messageFields.length === messageFields.length && claimed.messageFields.every((v, i) => v === messageFields[i])
  if (!same) throw new LeanAggError('MESSAGE_MISMATCH', `${what}: the proof is for another message`)
  if (claimed.slot !== slot) throw new LeanAggError('MESSAGE_MISMATCH', `${what}: the proof is for slot ${claimed.slot}, not ${slot}`)
}

/** PARTICIPANTS_MISMATCH unless the proof's signers are exactly the keys the bitfield names. */
export function checkSigners(claimed: Claimed, keys: readonly Uint8Array[], what: string): void {
  const named = new Set(keys.map(toHex))
  const signers = new Set(claimed.signers.map(toHex))
  const missing = [...named].filter((k) => !signers.has(k)).length
  const extra = [...signers].filter((k) => !named.has(k)).length
  if (missing > 0 || extra > 0) {
    throw new LeanAggError(
      'PARTICIPANTS_MISMATCH',
      `${what}: the bitfield names ${named.size} validators, the proof has ${signers.size} signers (${missing} named but not signing, ${extra} signing but not named)`,
    )
  }
}
