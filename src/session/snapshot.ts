/**
 * Freezes the groups one session will prove: cheap checks first, duplicates removed, every byte
 * array copied, everything frozen. Nothing the caller does afterwards can change a snapshot.
 */
import type { Aggregate } from '../aggregate.js'
import type { AggregationGroup, SignedBy } from '../types.js'
import { LeanAggError, isLeanAggError } from '../errors.js'
import type { ErrorCode } from './types.js'

import { FIELD_MODULUS, MAX_CHILDREN, MAX_SIGNERS, MAX_SLOT, MESSAGE_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../limits.js'
import { slot as checkSlotValue } from '../validate.js'

// Sizes and limits come from the addon (src/limits.ts); re-exported here for existing importers.
export { MAX_CHILDREN, MAX_SIGNERS, MAX_SLOT, MESSAGE_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES }

/** A group as the caller hands it in; `priority`: higher proves first. */
export interface GroupInput extends AggregationGroup {
  priority?: number
}

export interface BuildSnapshotOptions {
  /** Prove groups with one signature and no child (or one lone child). Default false. */
  includeTrivial?: boolean
}

/** One group the session will try to prove. It is a valid `AggregationGroup` as it stands. */
export interface SnapshotGroup extends AggregationGroup {
  /** `hex(message):slot`, unique within a snapshot. */
  readonly key: string
  /** Position of the (first) input group this came from. */
  readonly index: number
  readonly message: Uint8Array
  readonly slot: number
  readonly signatures: readonly SignedBy[]
  readonly children: readonly Aggregate[]
  readonly priority: number
  /** Distinct signers the aggregate will cover: raw signatures and children's signers. */
  readonly signerCount: number
  /** Raw signatures dropped because their public key appeared earlier in the group (the rule the addon applies too: first wins). */
  readonly duplicateSigners: number
  /** Children dropped when merging would exceed MAX_CHILDREN. */
  readonly trimmedChildren: number
  /** Input indexes merged into this group (same message and slot, other signers). */
  readonly mergedFrom: readonly number[]
}

export type BuildSkipReason = 'trivial' | 'duplicate' | 'merged' | 'invalid'

/** An input group that will not be proved, and why. */
export interface DroppedGroup {
  readonly index: number
  /** Absent when the message or slot was unreadable. */
  readonly key?: string
  readonly reason: BuildSkipReason
  /** For 'invalid': the typed error code. */
  readonly code?: ErrorCode
  readonly detail?: string
  /** For 'duplicate' and 'merged': the key of the group that absorbed it. */
  readonly into?: string
}

export interface Snapshot {
  /** In proving order: priority, then most signers, then input order. */
  readonly groups: readonly SnapshotGroup[]
  readonly dropped: readonly DroppedGroup[]
  /** Number of input groups: groups (with their merges) and dropped account for each once. */
  readonly inputCount: number
}

const built = new WeakSet<Snapshot>()

/** True for snapshots made by `buildSnapshot` (the engine proves nothing else). */
export function isSnapshot(value: unknown): value is Snapshot {
  return typeof value === 'object' && value !== null && built.has(value as Snapshot)
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

export function groupKey(message: Uint8Array, slot: number): string {
  return `${toHex(message)}:${slot}`
}

/** One input group, validated and copied (see `normaliseGroup`). */
export interface Draft {
  index: number
  key: string
  message: Uint8Array
  slot: number
  signatures: SignedBy[]
  signerHex: Set<string>
  children: Aggregate[]
  priority: number | undefined
  duplicateSigners: number
  trimmedChildren: number
  mergedFrom: number[]
}

export function buildSnapshot(groups: readonly GroupInput[], options: BuildSnapshotOptions = {}): Snapshot {
  if (!Array.isArray(groups)) throw new LeanAggError('INVALID_ARGUMENT', 'groups must be an array')
  const dropped: DroppedGroup[] = []
  const byKey = new Map<string, Draft>()
  const order: Draft[] = []

  groups.forEach((input, index) => {
    let draft: Draft
    try {
      draft = normaliseGroup(input, index)
    } catch (err) {
      if (!isLeanAggError(err)) throw err
      const key = safeKey(input)
      dropped.push({ index, ...(key !== undefined && { key }), reason: 'invalid', code: err.code, detail: err.message })
      return
    }
    const base = byKey.get(draft.key)
    if (base === undefined) {
      byKey.set(draft.key, draft)
      order.push(draft)
      return
    }
    if (sameSignerSet(base, draft)) {
      dropped.push({ index, key: draft.key, reason: 'duplicate', into: base.key })
      base.priority = maxPriority(base.priority, draft.priority)
      return
    }
    merge(base, draft)
    dropped.push({ index, key: draft.key, reason: 'merged', into: base.key })
  })

  const kept: SnapshotGroup[] = []
  for (const d of order) {
    if (!options.includeTrivial && d.signatures.length + d.children.length <= 1) {
      dropped.push({ index: d.index, key: d.key, reason: 'trivial' })
      continue
    }
    kept.push(freezeGroup(d))
  }
  kept.sort((a, b) => b.priority - a.priority || b.signerCount - a.signerCount || a.index - b.index)
  dropped.sort((a, b) => a.index - b.index)

  const snapshot: Snapshot = Object.freeze({
    groups: Object.freeze(kept),
    dropped: Object.freeze(dropped.map((d) => Object.freeze(d))),
    inputCount: groups.length,
  })
  built.add(snapshot)
  return snapshot
}

/**
 * Validate one input group, cheap checks first, and copy its bytes: duplicates of a public key
 * within the group are dropped (first wins). Throws a typed LeanAggError. Open sessions use it too.
 */
export function normaliseGroup(input: GroupInput, index: number): Draft {
  if (typeof input !== 'object' || input === null) throw invalid('INVALID_ARGUMENT', `group ${index} is not an object`)
  const message = bytes(input.message, MESSAGE_BYTES, 'message')
  const slot = checkSlot(input.slot)
  if (input.priority !== undefined && !Number.isFinite(input.priority)) {
    throw invalid('INVALID_ARGUMENT', 'priority must be a finite number')
  }
  if (!Array.isArray(input.signatures)) throw invalid('INVALID_ARGUMENT', 'signatures must be an array')
  const children = input.children ?? []
  if (!Array.isArray(children)) throw invalid('INVALID_ARGUMENT', 'children must be an array')
  if (children.length > MAX_CHILDREN) {
    throw invalid('TOO_MANY_CHILDREN', `${children.length} children, at most ${MAX_CHILDREN}`)
  }
  const signerHex = new Set<string>()
  children.forEach((child: Aggregate, i) => {
    if (typeof child !== 'object' || child === null || !Array.isArray(child.signers)) {
      throw invalid('INVALID_CHILD', `child ${i} is not an aggregate`)
    }
    // Same code the native validation uses for a child of another slot.
    if (child.slot !== slot) throw invalid('MESSAGE_MISMATCH', `child ${i} is for slot ${child.slot}, not ${slot}`)
    if (child.backend !== children[0]!.backend) throw invalid('BACKEND_MISMATCH', `child ${i} is from another backend`)
    for (const s of child.signers) signerHex.add(toHex(s))
  })

  const signatures: SignedBy[] = []
  const rawSeen = new Set<string>()
  let duplicateSigners = 0
  input.signatures.forEach((sb: SignedBy, i) => {
    if (typeof sb !== 'object' || sb === null) throw invalid('INVALID_ARGUMENT', `signature ${i} is not an object`)
    const publicKey = fieldBytes(sb.publicKey, PUBLIC_KEY_BYTES, `public key ${i}`)
    const signature = fieldBytes(sb.signature, SIGNATURE_BYTES, `signature ${i}`)
    const hex = toHex(publicKey)
    if (rawSeen.has(hex)) {
      duplicateSigners++
      return
    }
    rawSeen.add(hex)
    signerHex.add(hex)
    signatures.push({ publicKey, signature })
  })
  if (signatures.length === 0 && children.length === 0) {
    throw invalid('EMPTY_GROUP', 'a group needs at least one signature or child')
  }
  if (signatures.length > MAX_SIGNERS) {
    throw invalid('TOO_MANY_SIGNERS', `${signatures.length} signatures, at most ${MAX_SIGNERS}`)
  }
  return {
    index,
    key: groupKey(message, slot),
    message,
    slot,
    signatures,
    signerHex,
    children: [...children],
    priority: input.priority,
    duplicateSigners,
    trimmedChildren: 0,
    mergedFrom: [],
  }
}

function merge(base: Draft, other: Draft): void {
  const rawSeen = new Set(base.signatures.map((s) => toHex(s.publicKey)))
  for (const s of other.signatures) {
    const hex = toHex(s.publicKey)
    if (rawSeen.has(hex)) continue
    rawSeen.add(hex)
    base.signatures.push(s)
  }
  for (const child of other.children) {
    // By claim, not by object or bytes: two parses of malleated bytes are one child.
    if (base.children.some((c) => c === child || (c.claimKey !== undefined && c.claimKey === child.claimKey))) continue
    if (base.children.length >= MAX_CHILDREN) {
      base.trimmedChildren++
      continue
    }
    base.children.push(child)
  }
  base.signerHex = new Set(base.signatures.map((s) => toHex(s.publicKey)))
  for (const child of base.children) for (const s of child.signers) base.signerHex.add(toHex(s))
  base.duplicateSigners += other.duplicateSigners
  base.priority = maxPriority(base.priority, other.priority)
  base.mergedFrom.push(other.index)
}

function freezeGroup(d: Draft): SnapshotGroup {
  return Object.freeze({
    key: d.key,
    index: d.index,
    message: d.message,
    slot: d.slot,
    signatures: Object.freeze(d.signatures.map((s) => Object.freeze(s))),
    // Aggregates are immutable prover-owned handles: kept by reference, the array is frozen.
    children: Object.freeze([...d.children]),
    priority: d.priority ?? 0,
    signerCount: d.signerHex.size,
    duplicateSigners: d.duplicateSigners,
    trimmedChildren: d.trimmedChildren,
    mergedFrom: Object.freeze([...d.mergedFrom]),
  })
}

function sameSignerSet(a: Draft, b: Draft): boolean {
  if (a.signerHex.size !== b.signerHex.size) return false
  for (const s of b.signerHex) if (!a.signerHex.has(s)) return false
  return true
}

function maxPriority(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b)
}

/** Copy, so later mutation by the caller cannot reach the snapshot. */
function bytes(value: unknown, length: number, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalid('INVALID_ARGUMENT', `${what} must be a Uint8Array`)
  if (value.length !== length) throw invalid('INVALID_LENGTH', `${what} must be ${length} bytes, got ${value.length}`)
  return new Uint8Array(value)
}

function fieldBytes(value: unknown, length: number, what: string): Uint8Array {
  const copy = bytes(value, length, what)
  const view = new DataView(copy.buffer)
  for (let i = 0; i < length; i += 4) {
    if (view.getUint32(i, true) >= FIELD_MODULUS) {
      throw invalid('INVALID_ENCODING', `${what}: element ${i / 4} is not a canonical field element`)
    }
  }
  return copy
}

function checkSlot(slot: unknown): number {
  return checkSlotValue('slot', slot)
}

function safeKey(input: GroupInput): string | undefined {
  try {
    return groupKey(bytes(input.message, MESSAGE_BYTES, 'message'), checkSlot(input.slot))
  } catch {
    return undefined
  }
}

function invalid(code: ErrorCode, detail: string) {
  return new LeanAggError(code, detail)
}
