/** Checks napi cannot do for us: it would silently wrap -1 or truncate 1.5 into a u32. */
import { LeanAggError } from './errors.js'
import { MAX_SLOT } from './limits.js'

export function u32(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new LeanAggError('INVALID_ARGUMENT', `${name} must be an integer in 0..2^32-1, got ${String(value)}`)
  }
  return value
}

/**
 * A slot: not a number is INVALID_ARGUMENT; a number that is not an integer in 0..MAX_SLOT is
 * SLOT_OUT_OF_RANGE. One rule for the prover's calls and for `buildSnapshot`.
 */
export function slot(name: string, value: unknown): number {
  if (typeof value !== 'number') throw new LeanAggError('INVALID_ARGUMENT', `${name} must be a number, got ${typeof value}`)
  if (!Number.isInteger(value) || value < 0 || value > MAX_SLOT) {
    throw new LeanAggError('SLOT_OUT_OF_RANGE', `${name} ${value} is not an integer in 0..2^32-1`)
  }
  return value
}
