/** One truth for limits, codes and rules (issue 10): the addon defines, TypeScript imports. */
import { beforeAll, describe, expect, it } from 'vitest'
import { TS_ONLY_CODES } from '../src/errors.js'
import * as api from '../src/index.js'
import * as limits from '../src/limits.js'
import { native } from '../src/native.js'
import * as snapshot from '../src/session/snapshot.js'
import { BAD_GROUPS, type GoodParts } from './fixtures/bad-groups.js'
import { BACKEND, REAL, keys, makeProver, message, signAll } from './helpers.js'

describe('one source of truth', () => {
  it('every limit TypeScript uses is the addon constant', () => {
    const fromNative = native as Record<string, unknown>
    const fromApi = api as Record<string, unknown>
    const fromSnapshot = snapshot as Record<string, unknown>
    for (const [name, value] of Object.entries(limits)) {
      expect(value, name).toBe(fromNative[name])
      if (name in fromApi) expect(fromApi[name], name).toBe(value)
      if (name in fromSnapshot) expect(fromSnapshot[name], name).toBe(value)
    }
    expect(limits.FIELD_MODULUS).toBe(2 ** 31 - 2 ** 24 + 1)
    expect(limits.SIGNATURE_BYTES).toBe(1208)
  })

  it('error codes: the addon and TypeScript know exactly the same ones, in order', () => {
    const tsOnly: readonly string[] = TS_ONLY_CODES
    expect(api.ERROR_CODES.filter((c) => !tsOnly.includes(c))).toEqual(native.errorCodes())
    // A TypeScript-only code the addon also knew would be listed twice.
    expect(native.errorCodes().filter((c) => tsOnly.includes(c))).toEqual([])
  })
})

describe('options (regressions found by the options fuzzer)', () => {
  it.each([0, -1, 1.5, Number.NaN, '2'])('maxConcurrentProofs %s is INVALID_ARGUMENT, not a RangeError', (v) => {
    expect(() => makeProver({ maxConcurrentProofs: v as number })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })
})

describe(`one table of bad groups, both layers (${BACKEND})`, () => {
  let prover: api.Prover
  let good: GoodParts

  beforeAll(async () => {
    prover = makeProver()
    await prover.setup()
    const msg = message(77)
    const slot = 5
    const signers = await keys(prover, 3, 200, 0, 7)
    const signatures = await signAll(prover, signers, msg, slot)
    // Children are cheap only on the simulated backend; the real one runs the rest of the table.
    const childCount = REAL ? 0 : limits.MAX_CHILDREN + 1
    const children = await Promise.all(
      Array.from({ length: childCount }, (_, i) => prover.aggregate({ message: msg, slot, signatures: signatures.slice(i % 3, (i % 3) + 1) })),
    )
    const otherSlotChild = REAL
      ? (undefined as never)
      : await prover.aggregate({ message: msg, slot: 6, signatures: await signAll(prover, signers.slice(0, 1), msg, 6) })
    good = { message: msg, slot, signatures, children, otherSlotChild }
  }, 120_000)

  const rows = BAD_GROUPS.filter((r) => !REAL || !/children|child of another/.test(r.name))

  it.each(rows.map((r) => [r.name, r] as const))(
    '%s',
    async (_name, row) => {
      const input = row.make(good)
      // buildSnapshot: the group is dropped as invalid with the code, or kept as repaired.
      const snap = api.buildSnapshot([input as api.GroupInput], { includeTrivial: true })
      // prover.aggregate: rejects with the code, or proves the repaired group.
      const result = await prover.aggregate(input as api.AggregationGroup).then(
        (a) => ({ signerCount: a.signerCount }),
        (e: unknown) => {
          expect(e, String(e)).toBeInstanceOf(api.LeanAggError)
          return { code: (e as api.LeanAggError).code }
        },
      )
      expect(result).toEqual(row.expect)
      if ('code' in row.expect) {
        expect(snap.groups).toHaveLength(0)
        expect(snap.dropped[0]).toMatchObject({ reason: 'invalid', code: row.expect.code })
      } else {
        expect(snap.groups[0]?.signerCount).toBe(row.expect.signerCount)
      }
    },
    60_000,
  )
})
