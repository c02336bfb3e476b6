// The benchmark's inputs: keys, signatures and child aggregates, made once through leanagg and
// cached on disk (key generation for 256 keys takes a while), then written per group in the
// byte layout the native program reads (see native_bench.rs), so both sides prove the same bytes.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export const SLOT = 7
export const MESSAGE = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff)
const CACHE_VERSION = 1

const b64 = (u8) => Buffer.from(u8).toString('base64')
const fromB64 = (s) => new Uint8Array(Buffer.from(s, 'base64'))

/** `count` signatures over MESSAGE at SLOT by distinct keys (cached per backend). */
export async function signatures(prover, count, cacheDir, log) {
  const file = path.join(cacheDir, `signatures-${prover.backend}-v${CACHE_VERSION}.json`)
  if (existsSync(file)) {
    const cached = JSON.parse(readFileSync(file, 'utf8'))
    const sigs = cached.signatures.map((s) => ({ publicKey: fromB64(s.publicKey), signature: fromB64(s.signature) }))
    // A cache of another build or revision fails here and is rebuilt.
    if (sigs.length >= count && sigs.every((s, i) => i >= count || prover.verifySync(s.publicKey, MESSAGE, s.signature, SLOT))) {
      log(`inputs: ${count} signatures from the cache`)
      return { signatures: sigs.slice(0, count), keygenMs: cached.keygenMs, cached: true }
    }
  }
  log(`inputs: generating ${count} keys and signatures (cached for later runs)`)
  const t = performance.now()
  const out = []
  for (let i = 0; i < count; i++) {
    const seed = new Uint8Array(32)
    new DataView(seed.buffer).setUint32(0, i + 1, true)
    seed[31] = 0x5b
    const key = await prover.generateKey(seed, 0, 15)
    out.push({ publicKey: key.publicKey, signature: await prover.sign(key, MESSAGE, SLOT) })
  }
  const keygenMs = (performance.now() - t) / count
  mkdirSync(cacheDir, { recursive: true })
  writeFileSync(file, JSON.stringify({ keygenMs, signatures: out.map((s) => ({ publicKey: b64(s.publicKey), signature: b64(s.signature) })) }))
  return { signatures: out, keygenMs, cached: false }
}

/**
 * `count` child aggregates of `size` signatures each (disjoint signers), for the groups with
 * children. Cached as proof bytes; a cache that no longer parses or verifies is rebuilt.
 */
export async function children(prover, sigs, count, size, cacheDir, log) {
  const file = path.join(cacheDir, `children-${prover.backend}-${size}-v${CACHE_VERSION}.json`)
  if (existsSync(file)) {
    try {
      const cached = JSON.parse(readFileSync(file, 'utf8'))
      if (cached.children.length >= count) {
        const aggs = []
        for (const bytes of cached.children.slice(0, count)) {
          const agg = await prover.aggregateFromBytes(fromB64(bytes))
          if (!(await prover.verifyAggregate(agg, { expected: { message: MESSAGE, slot: SLOT } }))) throw new Error('stale')
          aggs.push(agg)
        }
        log(`inputs: ${count} child aggregates from the cache`)
        return aggs
      }
    } catch {}
  }
  log(`inputs: proving ${count} child aggregates of ${size} signatures (cached for later runs)`)
  const aggs = []
  for (let c = 0; c < count; c++) {
    aggs.push(await prover.aggregate({ message: MESSAGE, slot: SLOT, signatures: sigs.slice(c * size, (c + 1) * size) }))
  }
  mkdirSync(cacheDir, { recursive: true })
  writeFileSync(file, JSON.stringify({ children: aggs.map((a) => b64(a.toBytes())) }))
  return aggs
}

/** One group's inputs in the native program's format (little-endian, see native_bench.rs). */
export function groupFileBytes(group, logInvRate) {
  const parts = []
  const u32 = (v) => {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, v, true)
    parts.push(b)
  }
  parts.push(new TextEncoder().encode('LAGGIN01'), group.message)
  u32(group.slot)
  u32(logInvRate)
  u32(group.signatures.length)
  u32(group.children?.length ?? 0)
  for (const s of group.signatures) parts.push(s.publicKey, s.signature)
  for (const c of group.children ?? []) {
    const bytes = c.toBytes()
    u32(bytes.length)
    parts.push(bytes)
  }
  return Buffer.concat(parts)
}
