/**
 * Untrusted proof bytes (issue 10): a malformed proof is an invalid aggregate, never a prover
 * fault; malleated bytes never give a claim a second identity; no error names a build path.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { type Aggregate, LeanAggError, type Prover, buildSnapshot } from '../../src/index.js'
import { BACKEND, REAL, keys, makeProver, message, rejectsWith, signAll } from '../support/helpers.js'

const SLOT = 4
/** An absolute path of the build machine: `/x/y...` or `C:\x\y`. */
const ABSOLUTE_PATH = /(^|[\s"'`(])(\/[^\s/]+\/|[A-Za-z]:\\)/

describe(`untrusted proof bytes (${BACKEND})`, () => {
  let prover: Prover
  let agg: Aggregate
  const msg = message(7)

  beforeAll(async () => {
    prover = makeProver()
    await prover.setup()
    const ks = await keys(prover, 3)
    agg = await prover.aggregate({ message: msg, slot: SLOT, signatures: await signAll(prover, ks, msg, SLOT) })
  })

  it('claimKey names the claim: same for every aggregate of one claim, other for any other', async () => {
    expect(agg.claimKey).toMatch(/^[0-9a-f]{64}$/)
    const parsed = await prover.aggregateFromBytes(agg.toBytes())
    expect(parsed).not.toBe(agg)
    expect(parsed.claimKey).toBe(agg.claimKey)
    expect(parsed.toBytes()).toEqual(agg.toBytes())
    const ks = await keys(prover, 3)
    const other = await prover.aggregate({ message: msg, slot: SLOT, signatures: await signAll(prover, ks.slice(0, 2), msg, SLOT) })
    expect(other.claimKey).not.toBe(agg.claimKey)
    const merged = await prover.merge([agg])
    expect(merged.claimKey).toMatch(/^[0-9a-f]{64}$/)
    expect((await prover.mergedFromBytes(merged.toBytes())).claimKey).toBe(merged.claimKey)
  })

  it('the snapshot dedupes children by claim, not by object or bytes', async () => {
    const again = await prover.aggregateFromBytes(agg.toBytes())
    const ks = await keys(prover, 2, 40)
    const sigs = await signAll(prover, ks, msg, SLOT)
    const snap = buildSnapshot([
      { message: msg, slot: SLOT, signatures: sigs.slice(0, 1), children: [agg] },
      { message: msg, slot: SLOT, signatures: sigs.slice(1), children: [again] },
    ])
    expect(snap.groups).toHaveLength(1)
    expect(snap.groups[0]!.children).toHaveLength(1)
  })

  it.skipIf(REAL)('a proof that makes the verifier assert is invalid, not PROVER_PANIC (regression)', async () => {
    // The simulated verifier asserts on a wrong proof whose tag starts with 0, as leanMultisig
    // asserts on some malformed proofs ("Scalars length must be a multiple of the extension size").
    const bytes = agg.toBytes()
    bytes[bytes.length - 32] = 0
    bytes[bytes.length - 31]! ^= 1
    const bad = await prover.aggregateFromBytes(bytes)
    expect(await prover.verifyAggregate(bad)).toBe(false)
    const [r] = await prover.batchVerify([{ kind: 'aggregate', aggregate: bad }])
    expect(r).toMatchObject({ valid: false })
    await rejectsWith(prover.aggregate({ message: msg, slot: SLOT, signatures: [], children: [bad] }), 'INVALID_CHILD')
    await rejectsWith(prover.merge([bad]), 'INVALID_CHILD')

    const merged = await prover.merge([agg])
    const mb = merged.toBytes()
    mb[mb.length - 32] = 0
    mb[mb.length - 31]! ^= 1
    const badMerged = await prover.mergedFromBytes(mb)
    expect(await prover.verifyMerged(badMerged)).toBe(false)
    await rejectsWith(prover.split(badMerged, 0), 'INVALID_AGGREGATE')
  })

  it('single-bit flips: a typed error, or invalid, or exactly the original claim with canonical bytes', async () => {
    const bytes = agg.toBytes()
    const bits = bytes.length * 8
    // Every bit of a simulated aggregate; a sample (header, lz4 prefix, body) of a real one.
    const positions = REAL
      ? [
          ...Array.from({ length: 64 }, (_, i) => i),
          ...Array.from({ length: 40 }, (_, i) => 64 + Math.floor((((i * 2654435761) % 2 ** 32) / 2 ** 32) * (bits - 64))),
        ]
      : Array.from({ length: bits }, (_, i) => i)
    const outcomes = { error: 0, invalid: 0, same: 0 }
    for (const bit of positions) {
      const flipped = bytes.slice()
      flipped[bit >> 3]! ^= 1 << (bit & 7)
      let parsed: Aggregate
      try {
        parsed = await prover.aggregateFromBytes(flipped)
      } catch (e) {
        expect(e).toBeInstanceOf(LeanAggError)
        expect(['INVALID_AGGREGATE', 'BACKEND_MISMATCH']).toContain((e as LeanAggError).code)
        expect((e as Error).message).not.toMatch(ABSOLUTE_PATH)
        outcomes.error++
        continue
      }
      if (!(await prover.verifyAggregate(parsed))) {
        outcomes.invalid++
        continue
      }
      // It verifies: then it proves exactly the original claim, and nothing else.
      expect(parsed.claimKey).toBe(agg.claimKey)
      expect(await prover.verifyAggregate(parsed, { expected: { message: msg, slot: SLOT, signers: agg.signers } })).toBe(true)
      expect(await prover.verifyAggregate(parsed, { expected: { slot: SLOT + 1 } })).toBe(false)
      if (!REAL) expect(parsed.toBytes()).toEqual(bytes)
      outcomes.same++
    }
    expect(outcomes.error + outcomes.invalid + outcomes.same).toBe(positions.length)
  }, 600_000)

  it.skipIf(REAL)('a prover panic names no path of the build machine', async () => {
    const panicking = makeProver({ simulated: { panicOn: [msg] } })
    await panicking.setup()
    const ks = await keys(panicking, 1)
    const e = await rejectsWith(panicking.aggregate({ message: msg, slot: SLOT, signatures: await signAll(panicking, ks, msg, SLOT) }), 'PROVER_PANIC')
    expect(e.message).toMatch(/simulated prover panic/)
    expect(e.message).not.toMatch(ABSOLUTE_PATH)
    expect(e.message).toMatch(/at [\w.-]+\.rs:\d+/)
    await panicking.close()
  })
})
