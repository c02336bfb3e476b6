/**
 * One group of an open session: the votes (raw signatures) and child aggregates received for one
 * (message, slot), in arrival order, with what has been proved of it. Inputs are validated and
 * copied by the snapshot's own rules (`normaliseGroup`) before they reach it.
 */
import type { Aggregate } from '../aggregate.js'
import type { ArrivalCandidate } from './arrival-plan.js'
import { LeanAggError } from '../errors.js'
import { MAX_CHILDREN, MAX_SIGNERS } from '../limits.js'
import type { AggregationGroup, SignedBy } from '../types.js'
import type { GroupResult } from './outcomes.js'
import { normaliseGroup, toHex } from './snapshot.js'
import type { Draft, GroupInput } from './snapshot.js'
import type { AbandonReason, ErrorCode } from './types.js'

/** What `OpenSession.add` took from one input. */
export interface AddReceipt {
  /** The group's key, `hex(message):slot`. */
  readonly key: string
  /** The group's index in the session (order of first arrival). */
  readonly index: number
  /** Raw signatures new to the group. */
  readonly added: number
  /** Raw signatures whose public key the group already had (first wins). */
  readonly duplicates: number
  /** Child aggregates new to the group. */
  readonly childrenAdded: number
}

/** A proof of a group's first `take` raw signatures and its children, frozen when it starts. */
export interface ProofInput extends AggregationGroup {
  readonly key: string
  readonly index: number
  readonly signatures: readonly SignedBy[]
  readonly children: readonly Aggregate[]
  readonly signerCount: number
}

export class OpenGroup {
  readonly key: string
  readonly index: number
  readonly message: Uint8Array
  readonly slot: number
  priority: number
  readonly #signatures: SignedBy[] = []
  readonly #rawHex: string[] = []
  readonly #seen = new Set<string>()
  readonly #children: Aggregate[] = []
  readonly #childHex = new Set<string>()
  duplicateSigners = 0
  trimmedChildren = 0
  readonly firstArrivalAt: number
  lastArrivalAt: number
  /** Adds that brought something new. */
  #arrivals = 1

  // What has been proved of it.
  best: GroupResult | undefined
  bestOnTime: GroupResult | undefined
  /** Proofs of it in flight. */
  readonly inFlight = new Set<{ readonly input: ProofInput }>()
  proofs = 0
  /** Prover ms spent on results a better one replaced, and on proofs abandoned or dropped. */
  replacedMs = 0
  failure: { code: ErrorCode; detail: string } | undefined
  abandoned: { status: 'cancelled'; reason: AbandonReason; startedAt: number } | { status: 'late-dropped'; startedAt: number } | undefined
  /** Planning record for the summary. */
  estimateMs = 0
  admission: GroupResult['admission'] | undefined
  /** At some plan its full proof did not fit before the deadline. */
  overBudget = false

  constructor(draft: Draft, index: number, now: number) {
    this.key = draft.key
    this.index = index
    this.message = draft.message
    this.slot = draft.slot
    this.priority = draft.priority ?? 0
    this.firstArrivalAt = now
    this.lastArrivalAt = now
  }

  /**
   * Raw signatures expected at clock time `t`: while its votes still come (before `settledAt`),
   * at its pace so far (`rate`), until `cutoffAt`.
   */
  expectedAt(t: number, now: number, settledAt: number, cutoffAt: number): number {
    if (now >= settledAt || t <= now) return this.raw
    return Math.min(MAX_SIGNERS, Math.floor(this.raw + this.rate(now) * (Math.min(t, cutoffAt) - now)))
  }

  /** Inputs (votes and children) per ms since its first one. */
  rate(now: number): number {
    return (this.raw + this.childCount) / Math.max(1, now - this.firstArrivalAt)
  }

  /**
   * When its votes count as settled: no new one for `quietMs`, or for five of its average gaps
   * if they come slower than that (a steady trickle is not a pause: votes arriving at random
   * leave a gap of three averages now and then, of five rarely). Two arrivals tell no pace:
   * until a third, it takes four quiet spells.
   */
  ripeAt(quietMs: number): number {
    if (this.#arrivals < 3) return this.lastArrivalAt + (this.#arrivals === 1 ? quietMs : 4 * quietMs)
    const gap = (this.lastArrivalAt - this.firstArrivalAt) / (this.#arrivals - 1)
    return this.lastArrivalAt + Math.max(quietMs, 5 * gap)
  }

  get raw(): number {
    return this.#signatures.length
  }

  get childCount(): number {
    return this.#children.length
  }

  /** Distinct signers a proof of the first `take` raw signatures and every child covers. */
  signersOf(take: number): number {
    let n = this.#childHex.size
    for (let i = 0; i < Math.min(take, this.#rawHex.length); i++) if (!this.#childHex.has(this.#rawHex[i]!)) n++
    return n
  }

  /** Signers of the best result or of a proof in flight. */
  get covered(): number {
    let n = this.best?.signerCount ?? 0
    for (const run of this.inFlight) n = Math.max(n, run.input.signerCount)
    return n
  }

  get served(): boolean {
    return this.best !== undefined || this.inFlight.size > 0
  }

  /** Take `draft`'s new signatures and children; all or nothing (throws typed, changes nothing). */
  add(draft: Draft, now: number): AddReceipt {
    const fresh = draft.signatures.filter((s) => !this.#seen.has(toHex(s.publicKey)))
    if (this.#signatures.length + fresh.length > MAX_SIGNERS) {
      throw new LeanAggError('TOO_MANY_SIGNERS', `group ${this.key} would hold ${this.#signatures.length + fresh.length} signatures, at most ${MAX_SIGNERS}`)
    }
    const backend = this.#children[0]?.backend
    if (backend !== undefined && draft.children.some((c) => c.backend !== backend)) {
      throw new LeanAggError('BACKEND_MISMATCH', 'a child is from another backend than the group has')
    }
    for (const s of fresh) {
      const hex = toHex(s.publicKey)
      this.#seen.add(hex)
      this.#rawHex.push(hex)
      this.#signatures.push(Object.freeze(s))
    }
    let childrenAdded = 0
    for (const child of draft.children) {
      // By claim, not by object or bytes: two parses of malleated bytes are one child.
      if (this.#children.some((c) => c === child || (c.claimKey !== undefined && c.claimKey === child.claimKey))) continue
      if (this.#children.length >= MAX_CHILDREN) {
        this.trimmedChildren++
        continue
      }
      this.#children.push(child)
      for (const s of child.signers) this.#childHex.add(toHex(s))
      childrenAdded++
    }
    const duplicates = draft.duplicateSigners + (draft.signatures.length - fresh.length)
    this.duplicateSigners += duplicates
    if (draft.priority !== undefined) this.priority = Math.max(this.priority, draft.priority)
    // Inputs taken at one instant (one addMany, or adds in one tick) are one arrival.
    if ((fresh.length > 0 || childrenAdded > 0) && now > this.lastArrivalAt) {
      this.lastArrivalAt = now
      this.#arrivals++
    }
    return Object.freeze({ key: this.key, index: this.index, added: fresh.length, duplicates, childrenAdded })
  }

  /**
   * How the planner sees it at `now`. `settled`: no more votes will come to the session, so it
   * holds what it has.
   */
  candidate(at: { now: number; estimateMs: (take: number) => number; quietMs: number; settled: boolean; cutoffAt: number }): ArrivalCandidate {
    const { now, settled, cutoffAt } = at
    const ripeAt = this.ripeAt(at.quietMs)
    return {
      index: this.index,
      priority: this.priority,
      raw: this.raw,
      signersOf: (take) => this.signersOf(take),
      estimateMs: at.estimateMs,
      covered: this.covered,
      served: this.served,
      ripeAt,
      rate: this.rate(now),
      expectedAt: (t) => (settled ? this.raw : this.expectedAt(t, now, ripeAt, cutoffAt)),
      blocked: this.failure !== undefined,
    }
  }

  /** The frozen input of a proof of the first `take` raw signatures and every child. */
  proofInput(take: number): ProofInput {
    return Object.freeze({
      key: this.key,
      index: this.index,
      message: this.message,
      slot: this.slot,
      signatures: Object.freeze(this.#signatures.slice(0, take)),
      children: Object.freeze([...this.#children]),
      signerCount: this.signersOf(take),
    })
  }
}

/** An open session's groups, in order of first arrival, and the votes taken over all of them. */
export class OpenGroups {
  readonly order: OpenGroup[] = []
  readonly #byKey = new Map<string, OpenGroup>()
  /** Raw signatures taken so far, over every group (against `expectedVotes`). */
  votes = 0

  /** Validate and copy every input first, so a bad one takes nothing of the batch; then take them. */
  take(inputs: readonly GroupInput[], now: number): AddReceipt[] {
    const drafts = inputs.map((input, i) => normaliseGroup(input, i))
    return drafts.map((draft) => {
      let group = this.#byKey.get(draft.key)
      if (group === undefined) {
        group = new OpenGroup(draft, this.order.length, now)
        this.#byKey.set(group.key, group)
        this.order.push(group)
      }
      const receipt = group.add(draft, now)
      this.votes += receipt.added
      return receipt
    })
  }
}
