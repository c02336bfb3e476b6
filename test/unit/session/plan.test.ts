import { describe, expect, it } from 'vitest'
import type { ResolvedAdmission } from '../../../src/session/options.js'
import { chooseWithin, gainOf, nextStep, rankItems, sharedEnds } from '../../../src/session/plan.js'
import type { PlanItem, RunningWork, StepInput } from '../../../src/session/plan.js'
import { buildSnapshot } from '../../../src/session/snapshot.js'
import { fakeAggregate } from '../../../src/testing.js'
import { group } from '../../support/fake-groups.js'

/** An item named by its index; need = estimate (factor 1, no margin) unless a test says otherwise. */
const item = (index: number, gain: number, estimateMs: number, priority = 0): PlanItem => ({ index, gain, estimateMs, priority })
const ids = (items: readonly PlanItem[]) => items.map((i) => i.index)
const solo = (i: PlanItem) => i.estimateMs

describe('gainOf: signers newly covered', () => {
  const child = fakeAggregate(group(1, 1, 6, 0)) // signers 0..5
  it.each([
    ['raw signatures only', group(1, 1, 8, 0), 8],
    ['a child covering 6 of 8 signers', group(1, 1, 8, 0, [child]), 2],
    ['a child plus disjoint raw signers', group(1, 1, 4, 100, [child]), 4],
    ['raw signers all inside the child', group(1, 1, 3, 0, [child]), 0],
  ])('%s', (_name, g, gain) => {
    const [snap] = buildSnapshot([g], { includeTrivial: true }).groups
    expect(gainOf(snap!)).toBe(gain)
  })
})

describe('rankItems: the order groups are considered in', () => {
  it.each([
    ['most signers per ms first', [item(0, 4, 400), item(1, 8, 400), item(2, 2, 100)], [1, 2, 0]],
    ['caller priority before value', [item(0, 100, 100), item(1, 1, 900, 2), item(2, 1, 900, 1)], [1, 2, 0]],
    ['equal density: more signers first', [item(0, 4, 200), item(1, 8, 400)], [1, 0]],
    ['full tie: input order', [item(3, 4, 200), item(1, 4, 200)], [1, 3]],
    ['an estimate of 0 counts as 1 ms', [item(0, 1, 0), item(1, 2, 1)], [1, 0]],
  ])('%s', (_name, items, order) => {
    expect(ids(rankItems(items))).toEqual(order)
  })
})

describe('chooseWithin: the set that covers the most signers before the deadline', () => {
  it.each([
    ['everything fits', [item(0, 8, 300), item(1, 4, 200)], 750, [0, 1]],
    ['one group does not fit', [item(0, 8, 900)], 750, []],
    ['a small group that fits beats a large one that does not', [item(0, 8, 900), item(1, 2, 600)], 750, [1]],
    ['a large group that fits beats small ones that gain less', [item(0, 32, 700), item(1, 4, 300), item(2, 4, 300)], 750, [0]],
    ['small groups beat a large one when they gain more', [item(0, 10, 700), item(1, 6, 350), item(2, 6, 350)], 750, [1, 2]],
    ['nothing fits: no time left', [item(0, 1, 10)], 0, []],
    ['nothing fits: deadline passed', [item(0, 1, 10)], -5, []],
    ['exactly fits', [item(0, 3, 250), item(1, 3, 500)], 750, [0, 1]],
    ['priority is served first, even if it gains less', [item(0, 32, 500), item(1, 2, 500, 1)], 750, [1]],
    ['a lower tier gets the time a higher tier left', [item(0, 32, 500), item(1, 2, 200, 1), item(2, 8, 300)], 750, [1, 0]],
    ['zero-gain groups still use spare time', [item(0, 0, 100), item(1, 5, 100)], 750, [1, 0]],
  ])('%s', (_name, items, capacity, chosen) => {
    expect(ids(chooseWithin(rankItems(items), capacity, solo))).toEqual(chosen)
  })

  it('prefers groups whose signers are not already covered by a child', () => {
    const child = fakeAggregate(group(1, 1, 7, 0))
    const snap = buildSnapshot([group(1, 1, 8, 0, [child]), group(2, 1, 4, 50)])
    const items = snap.groups.map((g) => ({ index: g.index, priority: 0, gain: gainOf(g), estimateMs: 400 }))
    // Room for one: the 8-signer group adds 1 signer over its child, the 4-signer group adds 4.
    expect(ids(chooseWithin(rankItems(items), 500, solo))).toEqual([1])
  })

  it('never overruns the capacity, whatever the grid rounding', () => {
    let seed = 7
    const rand = () => {
      seed = (seed * 16807) % 2147483647
      return seed / 2147483647
    }
    for (let trial = 0; trial < 200; trial++) {
      const items = Array.from({ length: 1 + Math.floor(rand() * 12) }, (_, i) => item(i, Math.floor(rand() * 128), 50 + rand() * 900))
      const capacity = rand() * 2000
      const chosen = chooseWithin(rankItems(items), capacity, solo)
      expect(chosen.reduce((s, i) => s + i.estimateMs, 0)).toBeLessThanOrEqual(capacity + 1e-6)
      // Maximal: no unchosen item would have fitted in the time left (up to the grid's rounding).
      const left = capacity - chosen.reduce((s, i) => s + i.estimateMs, 0)
      const rounding = (items.length + 1) * Math.max(1, capacity / 2048)
      const spare = items.filter((i) => !chosen.includes(i) && i.estimateMs <= left - rounding)
      expect(spare).toEqual([])
    }
  })
})

describe('sharedEnds: proofs sharing the prover', () => {
  it.each([
    ['one proof', [100], (k: number) => k, [100]],
    ['two equal proofs, fully shared', [100, 100], (k: number) => k, [200, 200]],
    ['the short one ends first, the long one speeds up after', [100, 300], (k: number) => k, [200, 400]],
    ['a pool that gains from sharing', [100, 300], (k: number) => 1 + 0.5 * (k - 1), [150, 350]],
  ])('%s', (_name, work, slowdown, ends) => {
    expect(sharedEnds(0, work, slowdown)).toEqual(ends)
  })
})

describe('nextStep: what a session starts next', () => {
  const admission: ResolvedAdmission = { factor: 1, marginMs: 0, nothingFits: 'start-best', probeAfter: 8 }
  const skip: ResolvedAdmission = { ...admission, nothingFits: 'skip' }
  const base: StepInput<PlanItem> = {
    now: 0,
    deadlineAt: 750,
    pending: [],
    running: [],
    lanes: 1,
    foreignFreeAt: 0,
    admission,
    slowdown: (k) => 1 + 0.8 * (k - 1),
    probeDue: false,
  }
  const big = item(0, 8, 900)
  const small = item(1, 2, 600)
  const tiny = item(2, 1, 300)
  const fitting: RunningWork = { remainingMs: 300, mustFit: true }
  const lateWork: RunningWork = { remainingMs: 800, mustFit: false }

  it.each<[string, Partial<StepInput<PlanItem>>, ReturnType<typeof nextStep>]>([
    ['no deadline: the first ranked group, unchecked', { deadlineAt: undefined, pending: [big, small] }, { kind: 'start', item: big, admission: 'unchecked' }],
    ['admission off: unchecked', { admission: false, pending: [big] }, { kind: 'start', item: big, admission: 'unchecked' }],
    ['the best group that fits', { pending: [big, small] }, { kind: 'start', item: small, admission: 'fits' }],
    ['nothing fits, late results kept: the most valuable anyway', { pending: [big, item(3, 4, 800)] }, { kind: 'start', item: big, admission: 'best-effort' }],
    ['nothing fits, skip: give up', { admission: skip, pending: [big] }, { kind: 'give-up' }],
    [
      'nothing fits, skip, probe due: the cheapest',
      { admission: skip, probeDue: true, pending: [big, item(3, 4, 800)] },
      { kind: 'start', item: item(3, 4, 800), admission: 'probe' },
    ],
    [
      'another session holds the prover until 500: only what fits after it',
      { pending: [small, item(5, 1, 200)], foreignFreeAt: 500 },
      { kind: 'start', item: item(5, 1, 200), admission: 'fits' },
    ],
    [
      'another session holds the prover until 500: nothing fits after it',
      { pending: [small, tiny], foreignFreeAt: 500 },
      { kind: 'start', item: small, admission: 'best-effort' },
    ],
    ['the lane is taken', { pending: [small], running: [fitting] }, { kind: 'wait' }],
    ['nothing pending', { pending: [] }, { kind: 'wait' }],
    ['second lane: both still fit', { lanes: 2, pending: [item(4, 2, 200)], running: [fitting] }, { kind: 'start', item: item(4, 2, 200), admission: 'fits' }],
    ['second lane would push a fitting proof late', { lanes: 2, pending: [small], running: [fitting] }, { kind: 'wait' }],
    ['second lane for late work when sharing pays', { lanes: 2, pending: [big], running: [lateWork] }, { kind: 'start', item: big, admission: 'best-effort' }],
    ['no second lane for late work when sharing gains nothing', { lanes: 2, slowdown: (k) => k, pending: [big], running: [lateWork] }, { kind: 'wait' }],
    ['no second lane while another session holds the prover', { lanes: 2, foreignFreeAt: 100, pending: [tiny], running: [lateWork] }, { kind: 'wait' }],
  ])('%s', (_name, input, expected) => {
    expect(nextStep({ ...base, ...input })).toEqual(expected)
  })

  it('the safety factor and margin count against the deadline', () => {
    const g = item(0, 4, 600)
    expect(nextStep({ ...base, admission: skip, pending: [g] }).kind).toBe('start')
    expect(nextStep({ ...base, admission: { ...skip, factor: 1.3 }, pending: [g] }).kind).toBe('give-up')
    expect(nextStep({ ...base, admission: { ...skip, marginMs: 200 }, pending: [g] }).kind).toBe('give-up')
  })
})
