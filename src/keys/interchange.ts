/**
 * The JSON form of signing records, in the spirit of EIP-3076's interchange: decimal strings for
 * numbers, 0x-hex for bytes, one entry per key. See README, "Key safety".
 */
import { LeanAggError } from '../errors.js'
import type { KeySigningRecord } from '../../index.js'

export const INTERCHANGE_FORMAT = 'leanagg-xmss-signing-record'
export const INTERCHANGE_FORMAT_VERSION = '1'

export interface SignedSlotEntry {
  slot: string
  /** The 32-byte message signed at the slot. */
  message: string
  /** The signature returned for it (absent: the slot counts as used, its signature is unknown). */
  signature?: string
}

export interface KeyEntry {
  /** 32-byte public key. */
  pubkey: string
  /** The highest slot the key signed. On import, a value above every listed slot makes every slot up to it count as used. */
  high_water_slot?: string
  /** Every slot at or below it counts as used, listed or not. */
  floor_slot?: string
  signed: SignedSlotEntry[]
}

export interface SigningInterchange {
  metadata: { interchange_format: typeof INTERCHANGE_FORMAT; interchange_format_version: string }
  data: KeyEntry[]
}

function bad(detail: string): LeanAggError {
  return new LeanAggError('INVALID_ARGUMENT', `signing interchange: ${detail}`)
}

function slotOf(value: unknown, what: string): number {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,9})$/.test(value) || Number(value) > 0xffff_ffff) {
    throw bad(`${what} must be a decimal string of a slot in 0..2^32-1`)
  }
  return Number(value)
}

function hexOf(value: unknown, what: string): string {
  if (typeof value !== 'string' || !/^0x([0-9a-f]{2})*$/i.test(value)) throw bad(`${what} must be 0x-prefixed hex`)
  return value.toLowerCase()
}

export function toInterchange(records: readonly KeySigningRecord[]): SigningInterchange {
  return {
    metadata: { interchange_format: INTERCHANGE_FORMAT, interchange_format_version: INTERCHANGE_FORMAT_VERSION },
    data: records.map((r) => {
      const last = r.signed.at(-1)?.slot
      const high = Math.max(last ?? -1, r.floor ?? -1)
      return {
        pubkey: r.publicKey,
        ...(high >= 0 && { high_water_slot: String(high) }),
        ...(r.floor != null && { floor_slot: String(r.floor) }),
        signed: r.signed.map((s) => ({ slot: String(s.slot), message: s.message, ...(s.signature != null && { signature: s.signature }) })),
      }
    }),
  }
}

export function fromInterchange(input: SigningInterchange | string): KeySigningRecord[] {
  let doc: unknown = input
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input)
    } catch {
      throw bad('not JSON')
    }
  }
  const d = doc as Partial<SigningInterchange> | null
  if (typeof d !== 'object' || d === null || typeof d.metadata !== 'object' || d.metadata === null) throw bad('no metadata')
  if (d.metadata.interchange_format !== INTERCHANGE_FORMAT) throw bad(`interchange_format must be '${INTERCHANGE_FORMAT}'`)
  if (d.metadata.interchange_format_version !== INTERCHANGE_FORMAT_VERSION) {
    throw bad(`interchange_format_version ${String(d.metadata.interchange_format_version)} is not known (this leanagg reads ${INTERCHANGE_FORMAT_VERSION})`)
  }
  if (!Array.isArray(d.data)) throw bad('data must be an array')
  return d.data.map((entry: KeyEntry, i) => {
    if (typeof entry !== 'object' || entry === null || !Array.isArray(entry.signed)) throw bad(`data[${i}] needs pubkey and signed`)
    const signed = entry.signed.map((s, j) => {
      const at = `data[${i}].signed[${j}]`
      if (typeof s !== 'object' || s === null) throw bad(`${at} must be an object`)
      return {
        slot: slotOf(s.slot, `${at}.slot`),
        message: hexOf(s.message, `${at}.message`),
        signature: s.signature === undefined ? undefined : hexOf(s.signature, `${at}.signature`),
      }
    })
    signed.sort((a, b) => a.slot - b.slot)
    const listedTop = signed.at(-1)?.slot ?? -1
    const floor = entry.floor_slot === undefined ? -1 : slotOf(entry.floor_slot, `data[${i}].floor_slot`)
    const high = entry.high_water_slot === undefined ? -1 : slotOf(entry.high_water_slot, `data[${i}].high_water_slot`)
    // A high-water mark above every listed slot: the slots up to it are used, their messages unknown.
    const effective = Math.max(floor, high > listedTop ? high : -1)
    return { publicKey: hexOf(entry.pubkey, `data[${i}].pubkey`), floor: effective >= 0 ? effective : undefined, signed }
  })
}
