/**
 * The validator registry: an immutable view of validator index to attestation public key, the
 * receiver's source of the keys a bitfield names. Built from a list of keys, leanSpec `Validator`
 * values or `Validators` SSZ bytes; validated when built (sizes, field encoding, duplicates, limit).
 */
import type { BitArray } from '@chainsafe/ssz'
import { LeanAggError } from '../errors.js'
import { FIELD_MODULUS, PUBLIC_KEY_BYTES } from '../limits.js'
import { messageOf } from '../session/fail.js'
import { toHex } from '../session/snapshot.js'
import { checkIndex, validatorIndices } from './bits.js'
import { type Validator, Validators } from './containers.js'
import { VALIDATOR_REGISTRY_LIMIT } from './revision.js'

export class ValidatorRegistry {
  private readonly keys: readonly Uint8Array[]
  private readonly byKey: ReadonlyMap<string, number>

  private constructor(keys: readonly unknown[]) {
    if (!Array.isArray(keys)) throw new LeanAggError('INVALID_ARGUMENT', 'validators must be an array')
    if (keys.length > VALIDATOR_REGISTRY_LIMIT) {
      throw new LeanAggError('TOO_LARGE', `${keys.length} validators, at most VALIDATOR_REGISTRY_LIMIT (${VALIDATOR_REGISTRY_LIMIT})`)
    }
    const byKey = new Map<string, number>()
    this.keys = Object.freeze(
      keys.map((key, index) => {
        const copy = publicKeyCopy(key, index)
        const hex = toHex(copy)
        const earlier = byKey.get(hex)
        if (earlier !== undefined) {
          throw new LeanAggError('DUPLICATE_VALIDATOR', `validators ${earlier} and ${index} have the same public key`)
        }
        byKey.set(hex, index)
        return copy
      }),
    )
    this.byKey = byKey
  }

  /** Validator `i` has `publicKeys[i]` (its attestation key). */
  static fromPublicKeys(publicKeys: readonly Uint8Array[]): ValidatorRegistry {
    return new ValidatorRegistry(publicKeys)
  }

  /** leanSpec `Validators`: each entry's index must be its position; attestation keys are used. */
  static fromValidators(validators: readonly Validator[]): ValidatorRegistry {
    if (!Array.isArray(validators)) throw new LeanAggError('INVALID_ARGUMENT', 'validators must be an array')
    validators.forEach((v, position) => {
      if (v?.index !== position) {
        throw new LeanAggError('INVALID_ARGUMENT', `validator at position ${position} has index ${String(v?.index)}: the index must equal the position`)
      }
    })
    return new ValidatorRegistry(validators.map((v) => v.attestationPublicKey))
  }

  /** `Validators` SSZ bytes, as a state carries them. */
  static fromBytes(bytes: Uint8Array): ValidatorRegistry {
    let validators: Validator[]
    try {
      validators = Validators.deserialize(bytes)
    } catch (err) {
      throw new LeanAggError('INVALID_ENCODING', `validators: ${messageOf(err)}`)
    }
    return ValidatorRegistry.fromValidators(validators)
  }

  /** Number of validators: valid indices are 0..size-1. */
  get size(): number {
    return this.keys.length
  }

  has(index: number): boolean {
    return Number.isInteger(index) && index >= 0 && index < this.keys.length
  }

  /** The attestation public key of validator `index` (a copy); VALIDATOR_INDEX_OUT_OF_RANGE when it has none. */
  publicKey(index: number): Uint8Array {
    return new Uint8Array(this.key(checkIndex(index)))
  }

  /** The index of the validator with this public key, or undefined. */
  indexOf(publicKey: Uint8Array): number | undefined {
    return publicKey instanceof Uint8Array ? this.byKey.get(toHex(publicKey)) : undefined
  }

  /**
   * The keys a bitfield names, in index order (what leanSpec's `verify` takes). Every index is
   * checked against the registry first: one outside it is VALIDATOR_INDEX_OUT_OF_RANGE.
   */
  publicKeysOf(participants: BitArray): Uint8Array[] {
    return validatorIndices(participants).map((i) => new Uint8Array(this.key(i)))
  }

  /** The index of every key (any order in, ascending out); a key the registry lacks is PARTICIPANTS_MISMATCH. */
  indicesOf(publicKeys: readonly Uint8Array[]): number[] {
    return publicKeys
      .map((key) => {
        const index = this.indexOf(key)
        if (index === undefined) throw new LeanAggError('PARTICIPANTS_MISMATCH', `public key ${toHex(key).slice(0, 16)}... is in no validator of the registry`)
        return index
      })
      .sort((a, b) => a - b)
  }

  private key(index: number): Uint8Array {
    const key = this.keys[index]
    if (key === undefined) {
      throw new LeanAggError('VALIDATOR_INDEX_OUT_OF_RANGE', `validator index ${index} is outside the registry (${this.keys.length} validators)`)
    }
    return key
  }
}

/** A copy of one key: this revision's size, canonical field elements (as every key the prover makes). */
function publicKeyCopy(key: unknown, index: number): Uint8Array {
  if (!(key instanceof Uint8Array)) throw new LeanAggError('INVALID_ARGUMENT', `validator ${index}: the public key must be a Uint8Array`)
  if (key.length !== PUBLIC_KEY_BYTES) {
    throw new LeanAggError('INVALID_LENGTH', `validator ${index}: a public key is ${PUBLIC_KEY_BYTES} bytes at this revision, got ${key.length}`)
  }
  const copy = new Uint8Array(key)
  const view = new DataView(copy.buffer)
  for (let i = 0; i < copy.length; i += 4) {
    if (view.getUint32(i, true) >= FIELD_MODULUS) {
      throw new LeanAggError('INVALID_ENCODING', `validator ${index}: public key element ${i / 4} is not a canonical field element`)
    }
  }
  return copy
}
