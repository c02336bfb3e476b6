/**
 * Sizes and limits: one source of truth, the addon (`native/binding/limits.rs`), as blst-ts
 * exports its sizes. TypeScript never restates these numbers.
 */
import { native } from './native.js'

export const MESSAGE_BYTES: number = native.MESSAGE_BYTES
export const MESSAGE_FIELDS: number = native.MESSAGE_FIELDS
export const PUBLIC_KEY_BYTES: number = native.PUBLIC_KEY_BYTES
export const SIGNATURE_BYTES: number = native.SIGNATURE_BYTES
export const SECRET_KEY_BYTES: number = native.SECRET_KEY_BYTES
/** Children of one type-1 aggregate. */
export const MAX_CHILDREN: number = native.MAX_CHILDREN
/** Aggregates under one merged aggregate. */
export const MAX_MERGE: number = native.MAX_MERGE
/** Raw signatures of one group. */
export const MAX_SIGNERS: number = native.MAX_SIGNERS
/** Raw signers plus children's signers of one group. */
export const MAX_GROUP_SIGNERS: number = native.MAX_GROUP_SIGNERS
export const MAX_KEY_SLOTS: number = native.MAX_KEY_SLOTS
export const MAX_SLOT: number = native.MAX_SLOT
/** KoalaBear modulus: keys and signatures are 4-byte little-endian canonical field elements. */
export const FIELD_MODULUS: number = native.FIELD_MODULUS
export const MIN_LOG_INV_RATE: number = native.MIN_LOG_INV_RATE
export const MAX_LOG_INV_RATE: number = native.MAX_LOG_INV_RATE
export const DEFAULT_LOG_INV_RATE: number = native.DEFAULT_LOG_INV_RATE
