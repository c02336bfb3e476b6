/** Secret keys at rest (issue 16): versioned, checksummed bytes and key files, optionally encrypted. */
import { afterAll, describe, expect, it } from 'vitest'
import { decodeKeyFile, encodeKeyFile, loadKeyFile, SECRET_KEY_BYTES } from '../../../src/index.js'
import { BACKEND, bytes, makeProver, rejectsWith } from '../../support/helpers.js'

const prover = makeProver()
afterAll(() => prover.close())
const fast = { scryptLogN: 10 }

describe(`key bytes and key files (${BACKEND})`, () => {
  it('key bytes carry a version and a checksum: every flipped byte is refused with KEY_CORRUPTED', async () => {
    const key = await prover.generateKey(bytes(32, 1), 0, 7)
    const b = key.toBytes()
    expect(b.length).toBe(SECRET_KEY_BYTES)
    expect(Buffer.from(b.subarray(0, 5))).toEqual(Buffer.from([0x4c, 0x41, 0x47, 0x4b, 1]))
    for (const i of [0, 4, 5, 36, 40, 44, b.length - 1]) {
      const c = Uint8Array.from(b)
      c[i]! ^= 1
      await rejectsWith(prover.secretKeyFromBytes(c), 'KEY_CORRUPTED')
    }
    // The unversioned 40-byte form of earlier releases still reads.
    const legacy = await prover.secretKeyFromBytes(b.subarray(5, 45))
    expect(legacy.publicKey).toEqual(key.publicKey)
    await rejectsWith(prover.secretKeyFromBytes(b.subarray(1)), 'INVALID_LENGTH')
  })

  it('a key file round-trips, plain and under a passphrase', async () => {
    const key = await prover.generateKey(bytes(32, 2), 4, 11)
    for (const options of [{}, { passphrase: 'correct horse', ...fast }]) {
      const text = await encodeKeyFile(key, options)
      const back = await loadKeyFile(prover, text, options)
      expect(back.publicKey).toEqual(key.publicKey)
      expect([back.firstSlot, back.lastSlot]).toEqual([4, 11])
    }
    const encrypted = await encodeKeyFile(key, { passphrase: 'pw', ...fast })
    expect(encrypted).not.toContain(Buffer.from(key.toBytes()).toString('hex'))
    expect(JSON.parse(encrypted).crypto.kdf.function).toBe('scrypt')
  })

  it('a wrong or missing passphrase is WRONG_PASSPHRASE; a changed file is KEY_CORRUPTED', async () => {
    const key = await prover.generateKey(bytes(32, 3), 0, 7)
    const text = await encodeKeyFile(key, { passphrase: 'right', ...fast })
    await rejectsWith(decodeKeyFile(text, { passphrase: 'wrong' }), 'WRONG_PASSPHRASE')
    await rejectsWith(decodeKeyFile(text), 'WRONG_PASSPHRASE')
    const file = JSON.parse(text)
    // Each field changed: the checksum catches it before any passphrase is tried.
    const edits: ((f: typeof file) => void)[] = [
      (f) => (f.last_slot = 8),
      (f) => (f.pubkey = `0x${'00'.repeat(32)}`),
      (f) => (f.crypto.kdf.params.n = 2 ** 20),
      (f) => (f.crypto.cipher.message = f.crypto.cipher.message.replace(/.$/, (c: string) => (c === '0' ? '1' : '0'))),
      (f) => (f.checksum.message = `0x${'00'.repeat(32)}`),
      (f) => (f.format = 'other'),
    ]
    for (const edit of edits) {
      const f = structuredClone(file)
      edit(f)
      await rejectsWith(decodeKeyFile(JSON.stringify(f), { passphrase: 'right' }), 'KEY_CORRUPTED')
    }
    await rejectsWith(decodeKeyFile(text.slice(0, -10), { passphrase: 'right' }), 'KEY_CORRUPTED')
    const plain = JSON.parse(await encodeKeyFile(key))
    plain.crypto.cipher.message = plain.crypto.cipher.message.replace('0x4c', '0x4d')
    await rejectsWith(decodeKeyFile(JSON.stringify(plain)), 'KEY_CORRUPTED')
  })

  it('refuses bad options with typed codes', async () => {
    const key = await prover.generateKey(bytes(32, 4), 0, 7)
    await rejectsWith(encodeKeyFile(key, { passphrase: '' }), 'INVALID_ARGUMENT')
    await rejectsWith(encodeKeyFile(key, { passphrase: 'x', scryptLogN: 30 }), 'INVALID_ARGUMENT')
  })
})
