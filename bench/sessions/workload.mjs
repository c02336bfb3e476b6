// A seeded devnet-like workload: per slot 1 to 8 groups (one per attestation data), 1 to 128
// signers each (log-uniform: small groups are common), and now and then children (earlier
// aggregates of the same data from other aggregators) covering part of the signers.
import { seededRandom } from 'leanagg'

/**
 * Slots of abstract groups: `{ slot, groups: [{ id, raw: [validator ids], children: [[ids]], jitter }] }`.
 * Validator ids of one group are disjoint from other groups of the slot.
 */
export function makeWorkload({ seed = 1, slots = 100, minGroups = 1, maxGroups = 8, minSigners = 1, maxSigners = 128, childRate = 0.2 } = {}) {
  const rand = seededRandom(seed)
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1))
  const out = []
  for (let s = 0; s < slots; s++) {
    const groups = []
    let next = 0
    const count = int(minGroups, maxGroups)
    for (let g = 0; g < count; g++) {
      const lo = Math.log2(minSigners)
      const size = Math.max(minSigners, Math.min(maxSigners, Math.round(2 ** (lo + rand() * (Math.log2(maxSigners) - lo)))))
      const ids = Array.from({ length: size }, (_, i) => next + i)
      next += size
      const children = []
      if (size >= 4 && rand() < childRate) {
        // 1-3 earlier aggregates, each over a prefix or slice of the group's signers.
        for (let c = int(1, 3); c > 0; c--) {
          const from = int(0, size - 2)
          children.push(ids.slice(from, int(from + 1, size)))
        }
      }
      // Raw signatures: those not covered by the children, plus some overlap (gossip repeats).
      const covered = new Set(children.flat())
      const raw = ids.filter((id) => !covered.has(id) || rand() < 0.3)
      if (raw.length === 0) raw.push(ids[0])
      groups.push({ id: `${s}/${g}`, raw, children, jitter: rand() * 2 - 1 })
    }
    out.push({ slot: s + 1, groups })
  }
  return out
}

/** Signers an aggregate of `group` adds over its largest child (the engine's notion of gain). */
export function gainOf(group) {
  const all = new Set([...group.raw, ...group.children.flat()])
  const largest = Math.max(0, ...group.children.map((c) => c.length))
  return all.size - largest
}

/** A 1-signature group without children: no aggregation gain (leanagg skips these by default). */
export function isTrivial(group) {
  return group.raw.length + group.children.length <= 1
}

/** The workloads the benchmark replays by default. */
export const WORKLOADS = Object.freeze({
  /** As on a devnet: 1-8 groups of 1-128 signers, a few children. */
  devnet: { minGroups: 1, maxGroups: 8, minSigners: 1, maxSigners: 128, childRate: 0.2 },
  /** A small devnet: 1-3 groups of 1-16 signers (most of them fit the deadline). */
  small: { minGroups: 1, maxGroups: 3, minSigners: 1, maxSigners: 16, childRate: 0.1 },
  /** Under load: 4-8 groups of 16-128 signers, children more often (nothing fits the deadline). */
  heavy: { minGroups: 4, maxGroups: 8, minSigners: 16, maxSigners: 128, childRate: 0.4 },
})
