/**
 * Seeded random harness over every JS entry that takes bytes or structures from outside (issue
 * 10). Each input must end as a LeanAggError or a correct result. RELIABILITY_SECONDS bounds the
 * time per entry (short mode in CI), RELIABILITY_SEED picks the inputs; the counts are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seededRandom } from '../../src/testing.js'
import {
  type Aggregate,
  LeanAggError,
  type MergedAggregate,
  type Prover,
  buildSnapshot,
  decodeKeyFile,
  encodeKeyFile,
  snapshotFromBytes,
  snapshotToBytes,
} from '../../src/index.js'
import { Prover as ProverClass } from '../../src/index.js'
import { BACKEND, REAL, keys, makeProver, message, signAll } from '../support/helpers.js'

const SECONDS = Number(process.env.RELIABILITY_SECONDS ?? 3)
const SEED = Number(process.env.RELIABILITY_SEED ?? 1)
const tried: Record<string, { inputs: number; errors: Record<string, number> }> = {}

/** Seeded, reproducible inputs. */
function rng(seed: number) {
  const next = seededRandom(seed)
  const int = (n: number) => Math.floor(next() * n)
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256))
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
  return { next, int, bytes, pick }
}
type Rng = ReturnType<typeof rng>

/** Mutate valid bytes: flip bits, truncate, extend, overwrite a u32 with a huge value. */
function mutate(r: Rng, valid: Uint8Array): Uint8Array {
  const b = valid.slice()
  switch (r.int(6)) {
    case 0: {
      const bit = r.int(b.length * 8)
      b[bit >> 3]! ^= 1 << (bit & 7)
      return b
    }
    case 1:
      return b.subarray(0, r.int(b.length))
    case 2:
      return Uint8Array.from([...b, ...r.bytes(1 + r.int(8))])
    case 3: {
      const at = r.int(Math.max(1, b.length - 4))
      new DataView(b.buffer).setUint32(at, r.pick([0xffff_ffff, 0x8000_0000, 0x7f00_0001, 1 << 20, 0]), true)
      return b
    }
    case 4:
      return r.bytes(r.pick([0, 1, 3, 4, 5, 16, 17, 100, 1000]))
    default: {
      for (let i = 0; i < 1 + r.int(8); i++) b[r.int(b.length)] = r.int(256)
      return b
    }
  }
}

/** Run `fn` on random inputs for SECONDS; every failure must be a LeanAggError. */
async function fuzz(entry: string, fn: (r: Rng) => Promise<unknown> | unknown, budget = SECONDS) {
  const r = rng(SEED * 7919 + entry.length * 31 + entry.charCodeAt(0))
  const stats = { inputs: 0, errors: {} as Record<string, number> }
  tried[entry] = stats
  const end = Date.now() + budget * 1000
  while (Date.now() < end) {
    stats.inputs++
    try {
      await fn(r)
    } catch (e) {
      if (!(e instanceof LeanAggError)) throw new Error(`${entry}: input ${stats.inputs} (seed ${SEED}) threw a non-typed error: ${String(e)}`)
      stats.errors[e.code] = (stats.errors[e.code] ?? 0) + 1
    }
  }
  expect(stats.inputs).toBeGreaterThan(0)
}

describe(`fuzz (${BACKEND}, seed ${SEED}, ${SECONDS}s per entry)`, () => {
  let prover: Prover
  let agg: Aggregate
  let aggBytes: Uint8Array
  let merged: MergedAggregate
  let mergedBytes: Uint8Array
  const msg = message(5)
  const slot = 2
  let pk: Uint8Array
  let sig: Uint8Array
  let snapBytes: Uint8Array

  beforeAll(async () => {
    prover = makeProver()
    await prover.setup()
    const ks = await keys(prover, 3, 300, 0, 7)
    const sigs = await signAll(prover, ks, msg, slot)
    pk = sigs[0]!.publicKey
    sig = sigs[0]!.signature
    agg = await prover.aggregate({ message: msg, slot, signatures: sigs })
    aggBytes = agg.toBytes()
    merged = await prover.merge([agg])
    mergedBytes = merged.toBytes()
    snapBytes = snapshotToBytes(buildSnapshot([{ message: msg, slot, signatures: sigs, children: [agg] }]))
  }, 300_000)

  afterAll(async () => {
    await prover.close()
    process.stderr.write(`\nfuzz inputs per entry (seed ${SEED}, ${BACKEND}):\n${JSON.stringify(tried, null, 1)}\n`)
  })

  it('aggregateFromBytes: a verifying parse carries exactly the original claim', () =>
    fuzz('aggregateFromBytes', async (r) => {
      const a = await prover.aggregateFromBytes(mutate(r, aggBytes))
      if (await prover.verifyAggregate(a)) {
        expect(a.claimKey).toBe(agg.claimKey)
        if (!REAL) expect(a.toBytes()).toEqual(aggBytes)
      }
    }))

  it('mergedFromBytes: a verifying parse carries exactly the original claims', () =>
    fuzz('mergedFromBytes', async (r) => {
      const m = await prover.mergedFromBytes(mutate(r, mergedBytes), { maxBytes: r.pick([16, 1 << 20, 1 << 24]) })
      if (await prover.verifyMerged(m)) {
        expect(m.claimKey).toBe(merged.claimKey)
        if (!REAL) expect(m.toBytes()).toEqual(mergedBytes)
      }
    }))

  it('public keys and signatures (verify, verifySync)', () =>
    fuzz('verify', async (r) => {
      const k = r.next() < 0.5 ? mutate(r, pk) : pk
      const s = r.next() < 0.5 ? mutate(r, sig) : sig
      const ok = prover.verifySync(k, msg, s, r.pick([slot, slot + 1, -1, 2 ** 32, 1.5]))
      if (ok) expect([k, s]).toEqual([pk, sig])
      await prover.verify(k, mutate(r, msg), s, slot)
    }))

  it('secret-key bytes', () =>
    fuzz(
      'secretKeyFromBytes',
      async (r) => {
        const b = r.next() < 0.5 ? r.bytes(r.pick([0, 39, 40, 41, 80])) : Uint8Array.from([...r.bytes(32), ...[r.int(4), 0, 0, 0], ...[r.int(16), 0, 0, 0]])
        await prover.secretKeyFromBytes(b)
      },
      REAL ? 1 : SECONDS,
    ))

  it('secret-key bytes, mutated from valid ones: a key rebuilt from them is the original', async () => {
    const key = await prover.generateKey(new Uint8Array(32).fill(9), 0, 3)
    const valid = key.toBytes()
    await fuzz(
      'secretKeyFromBytes (mutated)',
      async (r) => {
        const b = mutate(r, valid)
        const back = await prover.secretKeyFromBytes(b)
        // Only the exact bytes (or their unversioned 40-byte body) rebuild a key.
        expect(back.publicKey).toEqual(key.publicKey)
      },
      REAL ? 1 : SECONDS,
    )
  })

  it('key files and signing interchange (issue 16)', async () => {
    const key = await prover.generateKey(new Uint8Array(32).fill(10), 0, 3)
    const file = await encodeKeyFile(key, { passphrase: 'pw', scryptLogN: 10 })
    await fuzz('decodeKeyFile', async (r) => {
      const text = new TextDecoder().decode(mutate(r, new TextEncoder().encode(file)))
      const { secretKey } = await decodeKeyFile(text, { passphrase: r.pick(['pw', 'other']) })
      expect(secretKey).toEqual(key.toBytes())
    })
    const guarded = new ProverClass({ backend: BACKEND })
    const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`
    const entry = { pubkey: hex(pk), high_water_slot: '2', signed: [{ slot: '2', message: hex(msg), signature: hex(sig) }] }
    const valid = JSON.stringify({ metadata: { interchange_format: 'leanagg-xmss-signing-record', interchange_format_version: '1' }, data: [entry] })
    await fuzz('signing.import', async (r) => {
      await guarded.signing.import(new TextDecoder().decode(mutate(r, new TextEncoder().encode(valid))))
    })
    await guarded.close()
  })

  it('snapshots and groups (SSZ)', () =>
    fuzz('snapshotFromBytes', (r) => {
      const s = snapshotFromBytes(mutate(r, snapBytes), () => agg)
      expect(Array.isArray(s.groups)).toBe(true)
    }))

  it('buildSnapshot on random structures', () =>
    fuzz('buildSnapshot', (r) => {
      const weird = [null, undefined, 0, -1, Number.NaN, 2 ** 53, 'x', {}, [], msg, r.bytes(32), 3n, true]
      const g = () => ({
        message: r.next() < 0.7 ? msg : r.pick(weird),
        slot: r.next() < 0.7 ? slot : r.pick(weird),
        signatures: r.next() < 0.7 ? [{ publicKey: r.next() < 0.8 ? pk : r.pick(weird), signature: r.next() < 0.8 ? sig : mutate(r, sig) }] : r.pick(weird),
        children: r.next() < 0.7 ? [] : r.next() < 0.5 ? [agg] : r.pick(weird),
        priority: r.next() < 0.8 ? undefined : r.pick(weird),
      })
      buildSnapshot(Array.from({ length: r.int(5) }, g) as never, { includeTrivial: r.next() < 0.5 })
    }))

  it('prover and session options (wrong types, NaN, negative, huge)', () =>
    fuzz(
      'options',
      async (r) => {
        const weird = [undefined, null, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 40, 'x', {}, [], true]
        const p = new ProverClass({
          backend: r.next() < 0.9 ? 'simulated' : r.pick(weird),
          ...(r.next() < 0.5 && { threads: r.pick(weird) }),
          ...(r.next() < 0.5 && { maxConcurrentProofs: r.pick(weird) }),
          ...(r.next() < 0.3 && { simulated: { proveBaseMs: r.pick(weird), verifyMs: r.pick(weird) } }),
          ...(r.next() < 0.3 && { sessions: { busy: r.pick(['skip', 'queue', 'cancel-previous', ...weird]) } }),
        } as never)
        try {
          await p.setup()
          const session = p.startSession(buildSnapshot([{ message: msg, slot, signatures: [{ publicKey: pk, signature: sig }] }], { includeTrivial: true }), {
            ...(r.next() < 0.5 && { deadlineMs: r.pick([...weird, 50]) }),
            ...(r.next() < 0.3 && { concurrency: r.pick(weird) }),
            ...(r.next() < 0.3 && { late: r.pick(['drop', 'deliver', ...weird]) }),
            ...(r.next() < 0.3 && { logInvRate: r.pick([...weird, 5]) }),
          } as never)
          // A huge simulated latency is a valid request: close() must still settle everything.
          const closing = new Promise((r) => setTimeout(r, 20)).then(() => p.close({ timeoutMs: 100 }))
          // Every group settles with an outcome, whatever the options were.
          const summary = await session.done
          expect(summary.outcomes).toHaveLength(1)
          await closing
        } finally {
          await p.close({ timeoutMs: 100 })
        }
      },
      REAL ? 1 : SECONDS,
    ))
})
