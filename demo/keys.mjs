// @ts-check
/**
 * Validator keys: derived from seeds, generated once, cached on disk between runs.
 *
 * The cache is never trusted blindly. A manifest records the format version, backend, slot range,
 * count, and for each key its public key and the SHA-256 of its file. On load every key is
 * rebuilt with `secretKeyFromBytes` and must give the manifest's public key and slot range from a
 * file with the manifest's checksum; anything that fails to read or check is regenerated, and
 * the caller is told which and why.
 *
 * A key's bytes are its seed and slot range (40 bytes), and rebuilding one regenerates its whole
 * Merkle tree: loading costs about what generating costs. The demo measures both and says so.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'

/** @typedef {import('leanagg').Prover} Prover */
/** @typedef {import('leanagg').SecretKey} SecretKey */

const FORMAT = 1
const MANIFEST = 'manifest.json'

/**
 * @typedef {object} ManifestKey
 * @property {number} index
 * @property {string} file
 * @property {string} publicKey hex
 * @property {string} sha256 hex of the file
 */

/**
 * @typedef {object} Manifest
 * @property {number} format
 * @property {string} backend
 * @property {number} firstSlot
 * @property {number} lastSlot
 * @property {number} count
 * @property {number | undefined} generateMsPerKey mean keygen time measured when keys were last generated
 * @property {ManifestKey[]} keys
 */

/**
 * @typedef {object} KeyReport
 * @property {SecretKey[]} keys
 * @property {number} firstSlot
 * @property {number} lastSlot
 * @property {number} loaded keys rebuilt from the cache and checked
 * @property {number} generated keys generated (none cached, or cache rejected)
 * @property {{ index: number, why: string }[]} rejected cached keys that failed a check (regenerated)
 * @property {string | undefined} manifestProblem why the whole cache was not used, if it was not
 * @property {number | undefined} loadMsPerKey mean time of one load, this run
 * @property {number | undefined} generateMsPerKey mean time of one keygen, this run
 * @property {number | undefined} cachedGenerateMsPerKey mean keygen time recorded when the cache was made
 * @property {number} wallMs
 */

/** The seed of validator `index`: public on purpose, these are demo keys. */
export function seedFor(/** @type {number} */ index) {
  return new Uint8Array(createHash('sha256').update(`leanagg-demo/validator/${index}`).digest())
}

/**
 * Load `count` keys covering slots firstSlot..lastSlot from `dir`, regenerating what is missing
 * or fails a check, and rewrite the manifest.
 * @param {Prover} prover
 * @param {{ dir: string, count: number, firstSlot: number, lastSlot: number, signal?: AbortSignal, onProgress?: (done: number, total: number) => void }} options
 * @returns {Promise<KeyReport>}
 */
export async function loadKeys(prover, { dir, count, firstSlot, lastSlot, signal, onProgress }) {
  const started = performance.now()
  await mkdir(dir, { recursive: true }).catch((err) => {
    throw new Error(`key cache ${dir}: ${messageOf(err)}`)
  })
  const { manifest, problem } = await readManifest(dir, prover.backend, firstSlot, lastSlot)
  // A wider cached range that covers ours is as good, and keeps the cache valid across --slots.
  const range = manifest ? { firstSlot: manifest.firstSlot, lastSlot: manifest.lastSlot } : { firstSlot, lastSlot }
  const cached = new Map((manifest?.keys ?? []).map((k) => [k.index, k]))

  /** @type {SecretKey[]} */
  const keys = new Array(count)
  /** @type {ManifestKey[]} */
  const entries = new Array(count)
  /** @type {{ index: number, why: string }[]} */
  const rejected = []
  /** @type {number[]} */
  const loadMs = []
  /** @type {number[]} */
  const generateMs = []
  let done = 0
  onProgress?.(0, count)

  await forEachLimited(count, Math.max(2, availableParallelism()), async (index) => {
    const entry = cached.get(index)
    if (entry) {
      const t = performance.now()
      try {
        const { key, sha256 } = await loadOne(prover, dir, entry, range, signal)
        loadMs.push(performance.now() - t)
        keys[index] = key
        entries[index] = { ...entry, sha256 }
      } catch (err) {
        if (signal?.aborted) throw err
        rejected.push({ index, why: messageOf(err) })
      }
    }
    if (!keys[index]) {
      const t = performance.now()
      const key = await prover.generateKey(seedFor(index), range.firstSlot, range.lastSlot, { signal })
      generateMs.push(performance.now() - t)
      keys[index] = key
      entries[index] = await storeOne(dir, index, key)
    }
    onProgress?.(++done, count)
  })

  const generateMsPerKey = mean(generateMs)
  await writeManifest(dir, {
    format: FORMAT,
    backend: prover.backend,
    ...range,
    count: Math.max(count, manifest?.count ?? 0),
    generateMsPerKey: generateMsPerKey ?? manifest?.generateMsPerKey,
    // Keys beyond `count` stay listed: a later run with more validators checks them on load.
    keys: [...entries, ...(manifest?.keys ?? []).filter((k) => k.index >= count)],
  })
  return {
    keys,
    ...range,
    loaded: loadMs.length,
    generated: generateMs.length,
    rejected: rejected.sort((a, b) => a.index - b.index),
    manifestProblem: problem,
    loadMsPerKey: mean(loadMs),
    generateMsPerKey,
    cachedGenerateMsPerKey: manifest?.generateMsPerKey,
    wallMs: performance.now() - started,
  }
}

/**
 * @param {string} dir
 * @param {string} backend
 * @param {number} firstSlot
 * @param {number} lastSlot
 * @returns {Promise<{ manifest?: Manifest, problem?: string }>}
 */
async function readManifest(dir, backend, firstSlot, lastSlot) {
  /** @type {unknown} */
  let raw
  try {
    raw = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8'))
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') return { problem: 'no cache yet' }
    return { problem: `unreadable manifest (${messageOf(err)})` }
  }
  const m = /** @type {Partial<Manifest>} */ (raw)
  if (typeof m !== 'object' || m === null || m.format !== FORMAT) return { problem: `manifest format is not ${FORMAT}` }
  if (m.backend !== backend) return { problem: `cached keys are for the ${m.backend} backend` }
  if (!isU32(m.firstSlot) || !isU32(m.lastSlot) || !isU32(m.count) || !Array.isArray(m.keys)) return { problem: 'malformed manifest' }
  if (m.firstSlot > firstSlot || m.lastSlot < lastSlot) {
    return { problem: `cached keys cover slots ${m.firstSlot}..${m.lastSlot}, ${firstSlot}..${lastSlot} needed` }
  }
  // Entries that are malformed are dropped here, so their keys are regenerated.
  const keys = m.keys.filter(
    (k) =>
      typeof k === 'object' &&
      k !== null &&
      isU32(k.index) &&
      /^key-\d{4,}\.bin$/.test(String(k.file)) &&
      /^[0-9a-f]{64}$/.test(String(k.publicKey)) &&
      /^[0-9a-f]{64}$/.test(String(k.sha256)),
  )
  const generateMsPerKey = typeof m.generateMsPerKey === 'number' ? m.generateMsPerKey : undefined
  return { manifest: { format: FORMAT, backend, firstSlot: m.firstSlot, lastSlot: m.lastSlot, count: m.count, generateMsPerKey, keys } }
}

/**
 * Read, checksum, rebuild and check one cached key; throws with the reason on any mismatch.
 * @param {Prover} prover
 * @param {string} dir
 * @param {ManifestKey} entry
 * @param {{ firstSlot: number, lastSlot: number }} range
 * @param {AbortSignal | undefined} signal
 */
async function loadOne(prover, dir, entry, range, signal) {
  /** @type {Buffer} */
  let bytes
  try {
    bytes = await readFile(join(dir, entry.file))
  } catch (err) {
    throw new Error(`${entry.file}: unreadable (${/** @type {NodeJS.ErrnoException} */ (err).code ?? messageOf(err)})`)
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  if (sha256 !== entry.sha256) throw new Error(`${entry.file}: checksum mismatch`)
  let key
  try {
    key = await prover.secretKeyFromBytes(bytes, { signal })
  } catch (err) {
    if (signal?.aborted) throw err
    throw new Error(`${entry.file}: not a key (${messageOf(err)})`)
  }
  if (Buffer.from(key.publicKey).toString('hex') !== entry.publicKey) throw new Error(`${entry.file}: public key mismatch`)
  if (key.firstSlot !== range.firstSlot || key.lastSlot !== range.lastSlot) {
    throw new Error(`${entry.file}: covers slots ${key.firstSlot}..${key.lastSlot}, not ${range.firstSlot}..${range.lastSlot}`)
  }
  return { key, sha256 }
}

/**
 * @param {string} dir
 * @param {number} index
 * @param {SecretKey} key
 * @returns {Promise<ManifestKey>}
 */
async function storeOne(dir, index, key) {
  const file = `key-${String(index).padStart(4, '0')}.bin`
  const bytes = key.toBytes()
  // Secret key material: owner-only, written whole before the manifest ever names it.
  await writeAtomic(join(dir, file), bytes)
  return { index, file, publicKey: Buffer.from(key.publicKey).toString('hex'), sha256: createHash('sha256').update(bytes).digest('hex') }
}

async function writeManifest(/** @type {string} */ dir, /** @type {Manifest} */ manifest) {
  await writeAtomic(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`)
}

/** Write to a temporary file and rename: a crash never leaves a half-written file under the real name. */
async function writeAtomic(/** @type {string} */ path, /** @type {string | Uint8Array} */ data) {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, data, { mode: 0o600 })
  await rename(tmp, path)
}

/**
 * Run `fn(0..n-1)` with at most `limit` at once; the first failure stops new starts and rejects
 * once the running ones have settled.
 * @param {number} n
 * @param {number} limit
 * @param {(i: number) => Promise<void>} fn
 */
async function forEachLimited(n, limit, fn) {
  let next = 0
  /** @type {unknown} */
  let failure
  let failed = false
  const worker = async () => {
    while (!failed && next < n) {
      const i = next++
      try {
        await fn(i)
      } catch (err) {
        if (!failed) failure = err
        failed = true
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker))
  if (failed) throw failure
}

/** @returns {v is number} */
function isU32(/** @type {unknown} */ v) {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff
}

function mean(/** @type {number[]} */ xs) {
  return xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length
}

function messageOf(/** @type {unknown} */ err) {
  return err instanceof Error ? err.message : String(err)
}
