/** One truth for limits, codes and rules (issue 10): the addon defines, TypeScript imports. */
import { beforeAll, describe, expect, it } from 'vitest'
import * as api from '../../src/index.js'
import * as limits from '../../src/limits.js'
import { TS_ONLY_CODES } from '../../src/errors.js'
import { native } from '../../src/native.js'
import { fromNative } from '../../src/native-errors.js'
import * as snapshot from '../../src/session/snapshot.js'
import { BAD_GROUPS, type GoodParts } from '../support/bad-groups.js'
import { BACKEND, REAL, keys, makeProver, message, signAll } from '../support/helpers.js'

describe('one source of truth', () => {
  it("the limits are the pinned prover's and leanagg's layouts, and every layer sees the same", () => {
    expect({ ...limits }).toEqual({
      MESSAGE_BYTES: 32,
      MESSAGE_FIELDS: 8,
      PUBLIC_KEY_BYTES: 32,
      SIGNATURE_BYTES: 1208,
      SECRET_KEY_BYTES: 77,
      MAX_CHILDREN: 16,
      MAX_MERGE: 16,
      MAX_SIGNERS: 2 ** 15,
      MAX_GROUP_SIGNERS: 2 ** 16,
      MAX_KEY_SLOTS: 2 ** 20,
      MAX_SLOT: 2 ** 32 - 1,
      FIELD_MODULUS: 2 ** 31 - 2 ** 24 + 1,
      MIN_LOG_INV_RATE: 1,
      MAX_LOG_INV_RATE: 4,
      DEFAULT_LOG_INV_RATE: 2,
    })
    const fromApi = api as Record<string, unknown>
    const fromSnapshot = snapshot as Record<string, unknown>
    for (const [name, value] of Object.entries(limits)) {
      if (name in fromApi) expect(fromApi[name], name).toBe(value)
      if (name in fromSnapshot) expect(fromSnapshot[name], name).toBe(value)
    }
  })

  it('error codes: the addon and TypeScript know exactly the same ones, in order', () => {
    const tsOnly: readonly string[] = TS_ONLY_CODES
    expect(api.ERROR_CODES.filter((c) => !tsOnly.includes(c))).toEqual(native.errorCodes())
    // A TypeScript-only code the addon also knew would be listed twice.
    expect(native.errorCodes().filter((c) => tsOnly.includes(c))).toEqual([])
  })

  it('every code the addon throws arrives typed, and no code means two things', () => {
    for (const code of native.errorCodes()) expect(fromNative(new Error(`${code}: detail`))).toMatchObject({ code, message: 'detail' })
    expect(new Set(api.ERROR_CODES).size).toBe(api.ERROR_CODES.length)
    for (const code of TS_ONLY_CODES) expect(native.errorCodes()).not.toContain(code)
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
