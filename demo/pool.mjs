// @ts-check
/**
 * What the aggregator has seen: signatures as they arrive (from gossip, here from the workload)
 * and the aggregates it published. At interval 2 it turns them into the groups of one session.
 */
import { DATA } from './workload.mjs'

/** @typedef {import('leanagg').SignedBy} SignedBy */
/** @typedef {import('leanagg').Aggregate} Aggregate */
/** @typedef {import('leanagg').GroupInput} GroupInput */
/** @typedef {import('./workload.mjs').DataName} DataName */
/** @typedef {import('./workload.mjs').SigningTask} SigningTask */

/**
 * What one input group of a session is for (same position as the input).
 * @typedef {object} GroupMeta
 * @property {string} label e.g. 'head', 'fork-a', 'head@4+late'
 * @property {number} slot the attestation data's slot
 * @property {DataName} data
 * @property {number} signatures raw signatures in the group
 * @property {number} signers distinct signers the group covers (raw and children's)
 * @property {number} children
 */

/**
 * @typedef {object} Entry
 * @property {number} slot
 * @property {DataName} data
 * @property {Uint8Array} message
 * @property {SignedBy[]} onTime
 * @property {SignedBy[]} late
 */

export class AttestationPool {
  /** @type {Map<string, Entry>} */
  #entries = new Map()
  /** @type {Map<string, Aggregate>} */
  #published = new Map()

  /** A signature arrived. */
  add(/** @type {SigningTask} */ task, /** @type {SignedBy} */ signedBy) {
    const key = keyOf(task.signSlot, task.data)
    let entry = this.#entries.get(key)
    if (!entry) {
      entry = { slot: task.signSlot, data: task.data, message: task.message, onTime: [], late: [] }
      this.#entries.set(key, entry)
    }
    ;(task.late ? entry.late : entry.onTime).push(signedBy)
  }

  /** An aggregate was published for `data` of `slot`: later groups of that data can use it as a child. */
  publish(/** @type {number} */ slot, /** @type {DataName} */ data, /** @type {Aggregate} */ aggregate) {
    const key = keyOf(slot, data)
    const previous = this.#published.get(key)
    // Keep the widest: a late group's aggregate covers the earlier one's signers and more.
    // One claim is one aggregate, whatever its bytes (proof bytes are malleable): keep the first.
    if (previous?.claimKey === aggregate.claimKey) return
    if (!previous || aggregate.signerCount >= previous.signerCount) this.#published.set(key, aggregate)
  }

  /**
   * The groups of the session at interval 2 of `slot`: one per attestation data of the slot, and
   * one for the previous slot's head vote if late signatures for it arrived. That group takes the
   * previous slot's published aggregate as a child (same message and slot); if none was
   * published, it re-proves the slot's raw signatures instead.
   * @param {number} slot
   * @returns {{ inputs: GroupInput[], meta: GroupMeta[] }}
   */
  groupsFor(slot) {
    /** @type {GroupInput[]} */
    const inputs = []
    /** @type {GroupMeta[]} */
    const meta = []
    for (const data of DATA) {
      const entry = this.#entries.get(keyOf(slot, data))
      if (!entry || entry.onTime.length === 0) continue
      // This slot's votes first: they feed the safe-target update at interval 3.
      inputs.push({ message: entry.message, slot, signatures: [...entry.onTime], priority: 1 })
      meta.push({ label: data, slot, data, signatures: entry.onTime.length, signers: entry.onTime.length, children: 0 })
    }
    const previous = this.#entries.get(keyOf(slot - 1, 'head'))
    if (previous && previous.late.length > 0) {
      const child = this.#published.get(keyOf(slot - 1, 'head'))
      const signatures = child ? [...previous.late] : [...previous.late, ...previous.onTime]
      const children = child ? [child] : []
      inputs.push({ message: previous.message, slot: slot - 1, signatures, children, priority: 0 })
      const signers = new Set(signatures.map((s) => hex(s.publicKey)))
      for (const pk of child?.signers ?? []) signers.add(hex(pk))
      meta.push({
        label: `head@${slot - 1}+late`,
        slot: slot - 1,
        data: 'head',
        signatures: signatures.length,
        signers: signers.size,
        children: children.length,
      })
    }
    return { inputs, meta }
  }

  /** The on-time signatures received so far for `data` of `slot`. */
  onTime(/** @type {number} */ slot, /** @type {DataName} */ data) {
    return [...(this.#entries.get(keyOf(slot, data))?.onTime ?? [])]
  }

  /** Forget everything about slots before `slot`. */
  prune(/** @type {number} */ slot) {
    for (const [key, entry] of this.#entries) if (entry.slot < slot) this.#entries.delete(key)
    for (const [key, aggregate] of this.#published) if (aggregate.slot < slot) this.#published.delete(key)
  }
}

function keyOf(/** @type {number} */ slot, /** @type {DataName} */ data) {
  return `${slot}/${data}`
}

function hex(/** @type {Uint8Array} */ bytes) {
  return Buffer.from(bytes).toString('hex')
}
