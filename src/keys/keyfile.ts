/**
 * Key files: a secret key at rest as JSON in the manner of EIP-2335, with a version, an integrity
 * checksum over the whole file, and optionally encryption under a passphrase (scrypt, then
 * AES-256-GCM, as EIP-8310 proposes for stateful keys), all from node:crypto.
 *
 * The checksum (SHA-256 of the file's other fields, in a canonical form) catches a changed byte
 * anywhere (KEY_CORRUPTED) before the passphrase is tried; with an intact file, a failed
 * decryption can only be the wrong passphrase (WRONG_PASSPHRASE). The cipher's associated data is
 * the public key and slot range, so they cannot be swapped onto another key's ciphertext.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt } from 'node:crypto'
import { LeanAggError } from '../errors.js'
import type { SecretKey } from '../aggregate.js'
import type { Prover } from '../prover.js'
import type { OpOptions } from '../types.js'

export const KEY_FILE_FORMAT = 'leanagg-xmss-key'
export const KEY_FILE_VERSION = 1
/** EIP-2335's scrypt cost: N = 2^18, r = 8, p = 1 (about 256 MiB and a second or so). */
export const DEFAULT_SCRYPT_LOG_N = 18
const R = 8
const P = 1

export interface KeyFileOptions {
  /** Encrypt under this passphrase (normalised to NFKD). Without it the file is only checksummed. */
  passphrase?: string
  /** scrypt cost as log2(N), 10..=20 (default 18). Lower only for tests. */
  scryptLogN?: number
}

interface KdfParams {
  dklen: number
  n: number
  r: number
  p: number
  salt: string
}

interface KeyFileBody {
  format: typeof KEY_FILE_FORMAT
  version: number
  pubkey: string
  backend: string
  first_slot: number
  last_slot: number
  crypto:
    | { kdf: { function: 'scrypt'; params: KdfParams }; cipher: { function: 'aes-256-gcm'; params: { iv: string; tag: string }; message: string } }
    | { kdf: null; cipher: { function: 'none'; message: string } }
}

export type KeyFile = KeyFileBody & { checksum: { function: 'sha256'; message: string } }

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`
const unhex = (s: unknown, what: string): Buffer => {
  if (typeof s !== 'string' || !/^0x([0-9a-f]{2})*$/i.test(s)) throw corrupted(`${what} is not hex`)
  return Buffer.from(s.slice(2), 'hex')
}

function corrupted(detail: string): LeanAggError {
  return new LeanAggError('KEY_CORRUPTED', `key file: ${detail}`)
}

/** JSON with keys sorted at every level: what the checksum is taken over. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

const sum = (body: unknown) => hex(createHash('sha256').update(canonical(body)).digest())

function derive(passphrase: string, salt: Buffer, logN: number): Promise<Buffer> {
  const n = 2 ** logN
  // scrypt runs on the libuv pool: the event loop stays free.
  return new Promise((resolve, reject) =>
    scrypt(passphrase.normalize('NFKD'), salt, 32, { N: n, r: R, p: P, maxmem: 256 * n * R }, (e, key) => (e ? reject(e) : resolve(key))),
  )
}

const aad = (b: Pick<KeyFileBody, 'pubkey' | 'first_slot' | 'last_slot'>) => Buffer.from(`${b.pubkey}:${b.first_slot}:${b.last_slot}`)

function logNOf(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 10 || v > 20) throw new LeanAggError('INVALID_ARGUMENT', 'scryptLogN must be an integer in 10..=20')
  return v
}

/** A key file (JSON text) for `key`. */
export async function encodeKeyFile(key: SecretKey, options: KeyFileOptions = {}): Promise<string> {
  const secret = key.toBytes()
  const head = {
    format: KEY_FILE_FORMAT,
    version: KEY_FILE_VERSION,
    pubkey: hex(key.publicKey),
    backend: key.backend,
    first_slot: key.firstSlot,
    last_slot: key.lastSlot,
  } as const
  let crypto: KeyFileBody['crypto']
  if (options.passphrase === undefined) {
    crypto = { kdf: null, cipher: { function: 'none', message: hex(secret) } }
  } else {
    if (typeof options.passphrase !== 'string' || options.passphrase.length === 0)
      throw new LeanAggError('INVALID_ARGUMENT', 'passphrase must be a non-empty string')
    const logN = logNOf(options.scryptLogN ?? DEFAULT_SCRYPT_LOG_N)
    const salt = randomBytes(32)
    const iv = randomBytes(12)
    const dk = await derive(options.passphrase, salt, logN)
    const cipher = createCipheriv('aes-256-gcm', dk, iv).setAAD(aad(head))
    const message = Buffer.concat([cipher.update(secret), cipher.final()])
    crypto = {
      kdf: { function: 'scrypt', params: { dklen: 32, n: 2 ** logN, r: R, p: P, salt: hex(salt) } },
      cipher: { function: 'aes-256-gcm', params: { iv: hex(iv), tag: hex(cipher.getAuthTag()) }, message: hex(message) },
    }
  }
  const body: KeyFileBody = { ...head, crypto }
  return `${JSON.stringify({ ...body, checksum: { function: 'sha256', message: sum(body) } }, null, 2)}\n`
}

/** The secret-key bytes inside a key file (for `prover.secretKeyFromBytes`). */
export async function decodeKeyFile(text: string, options: { passphrase?: string } = {}): Promise<{ secretKey: Uint8Array; file: KeyFile }> {
  let file: KeyFile
  try {
    file = JSON.parse(text) as KeyFile
  } catch {
    throw corrupted('not JSON')
  }
  if (typeof file !== 'object' || file === null || file.format !== KEY_FILE_FORMAT) throw corrupted(`not a ${KEY_FILE_FORMAT} file`)
  const { checksum, ...body } = file
  if (checksum?.function !== 'sha256' || checksum.message !== sum(body)) throw corrupted('checksum mismatch (the file was changed)')
  if (file.version !== KEY_FILE_VERSION) {
    throw new LeanAggError('INVALID_ENCODING', `key file: version ${String(file.version)} is not known (this leanagg reads ${KEY_FILE_VERSION})`)
  }
  const c = file.crypto
  if (c?.kdf === null && c.cipher?.function === 'none') return { secretKey: new Uint8Array(unhex(c.cipher.message, 'secret')), file }
  if (c?.kdf?.function !== 'scrypt' || c.cipher?.function !== 'aes-256-gcm') throw corrupted('unknown kdf or cipher')
  if (options.passphrase === undefined) throw new LeanAggError('WRONG_PASSPHRASE', 'key file: the key is encrypted: give its passphrase')
  const { n, r, p, salt } = c.kdf.params
  if (r !== R || p !== P || !Number.isInteger(Math.log2(n))) throw corrupted('unknown scrypt parameters')
  const dk = await derive(options.passphrase, unhex(salt, 'salt'), logNOf(Math.log2(n)))
  const decipher = createDecipheriv('aes-256-gcm', dk, unhex(c.cipher.params.iv, 'iv')).setAAD(aad(file))
  decipher.setAuthTag(unhex(c.cipher.params.tag, 'tag'))
  try {
    return { secretKey: new Uint8Array(Buffer.concat([decipher.update(unhex(c.cipher.message, 'ciphertext')), decipher.final()])), file }
  } catch {
    throw new LeanAggError('WRONG_PASSPHRASE', 'key file: the passphrase does not decrypt this key')
  }
}

/** Load a key file: decode, rebuild the key, and check it is the key the file names. */
export async function loadKeyFile(prover: Prover, text: string, options: OpOptions & { passphrase?: string } = {}): Promise<SecretKey> {
  const { secretKey, file } = await decodeKeyFile(text, options)
  const key = await prover.secretKeyFromBytes(secretKey, options)
  if (hex(key.publicKey) !== file.pubkey.toLowerCase() || key.firstSlot !== file.first_slot || key.lastSlot !== file.last_slot) {
    throw corrupted('the key does not match the public key and slot range the file names')
  }
  return key
}
