/** Checks napi cannot do for us: it would silently wrap -1 or truncate 1.5 into a u32. */
import { LeanAggError } from './errors.js'

export function u32(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new LeanAggError('INVALID_ARGUMENT', `${name} must be an integer in 0..2^32-1, got ${String(value)}`)
  }
  return value
}
