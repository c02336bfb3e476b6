// @ts-check
/**
 * Who signs what, and when it arrives. Deterministic per slot (a seeded PRNG), so two runs with
 * the same flags see the same workload.
 *
 * Each slot has three attestation data: most validators vote for the head, a few for two other
 * heads (fork-a, fork-b). A few validators miss the slot: they sign that slot's head vote late,
 * during the next slot, where it is aggregated together with the slot's published aggregate.
 * XMSS is stateful: each validator signs each slot index at most once, on time or late.
 */
import { seededRandom } from 'leanagg'
import { attestationData, messageOf } from './spec.mjs'

/** @typedef {'head' | 'fork-a' | 'fork-b'} DataName */

/**
 * One signature to produce: `validator` signs `message` (attestation data `data` of slot
 * `signSlot`) at `atMs` after the start of the slot it is scheduled in.
 * @typedef {object} SigningTask
 * @property {number} validator
 * @property {number} signSlot
 * @property {DataName} data
 * @property {Uint8Array} message
 * @property {number} atMs
 * @property {boolean} late signed during the slot after `signSlot`
 */

/** @type {readonly DataName[]} */
export const DATA = Object.freeze(['head', 'fork-a', 'fork-b'])

/** The 32-byte message of attestation data `data` in `slot`: the data's hash_tree_root. */
export function messageFor(/** @type {number} */ slot, /** @type {DataName} */ data) {
  return messageOf(attestationData(slot, data))
}

/** How many validators miss the slot, vote fork-a, vote fork-b; the rest vote head. */
export function groupSizes(/** @type {number} */ validators) {
  const missed = Math.max(1, Math.round(validators * 0.06))
  const forkA = Math.round(validators * 0.19)
  const forkB = Math.round(validators * 0.09)
  return { missed, forkA, forkB, head: validators - missed - forkA - forkB }
}

/**
 * Who does what in `slot`: a fresh shuffle per slot, so different validators miss or fork.
 * @param {number} slot
 * @param {number} validators
 */
export function rolesFor(slot, validators) {
  const order = shuffle(validators, seededRandom(slot * 0x9e3779b1))
  const { missed, forkA, forkB } = groupSizes(validators)
  /** @type {Map<number, DataName | 'missed'>} */
  const roles = new Map()
  for (const [i, v] of order.entries()) {
    roles.set(v, i < missed ? 'missed' : i < missed + forkA ? 'fork-a' : i < missed + forkA + forkB ? 'fork-b' : 'head')
  }
  return roles
}

/**
 * The signatures produced during `slot`, spread over [0, windowMs): this slot's on-time votes and,
 * if the previous slot ran, the late head votes of the validators that missed it.
 * @param {number} slot
 * @param {number} validators
 * @param {number} windowMs intervals 0 and 1
 * @param {boolean} previousRan
 * @returns {SigningTask[]}
 */
export function planSlot(slot, validators, windowMs, previousRan) {
  const random = seededRandom(slot * 0x85ebca6b + 1)
  const at = () => Math.floor(random() * windowMs)
  /** @type {SigningTask[]} */
  const tasks = []
  for (const [validator, role] of rolesFor(slot, validators)) {
    if (role === 'missed') continue
    tasks.push({ validator, signSlot: slot, data: role, message: messageFor(slot, role), atMs: at(), late: false })
  }
  if (previousRan) {
    for (const [validator, role] of rolesFor(slot - 1, validators)) {
      if (role !== 'missed') continue
      tasks.push({ validator, signSlot: slot - 1, data: 'head', message: messageFor(slot - 1, 'head'), atMs: at(), late: true })
    }
  }
  return tasks.sort((a, b) => a.atMs - b.atMs)
}

/** Fisher-Yates over 0..n-1. */
function shuffle(/** @type {number} */ n, /** @type {() => number} */ random) {
  const a = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[a[i], a[j]] = [/** @type {number} */ (a[j]), /** @type {number} */ (a[i])]
  }
  return a
}
