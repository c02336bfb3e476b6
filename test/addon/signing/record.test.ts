/** The durable record (issue 16): survives its prover, one holder across processes, import and export. */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Prover, type SecretKey } from '../../../src/index.js'
import { BACKEND, bytes, message, rejectsWith } from '../../support/helpers.js'

const root = new URL('../../..', import.meta.url).pathname
const open: Prover[] = []
function prover(directory?: string): Prover {
  const p = new Prover({ backend: BACKEND, signing: directory === undefined ? {} : { directory } })
  open.push(p)
  return p
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()))
})
const dirs: string[] = []
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'leanagg-record-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
let seed = 200
const key = (p: Prover): Promise<SecretKey> => p.generateKey(bytes(32, seed++), 0, 31)

describe(`the durable signing record (${BACKEND})`, () => {
  it('commits before returning, and the next prover on the directory refuses reuse', async () => {
    const d = dir()
    const a = prover(d)
    expect(a.signing.kind).toBe('durable')
    const k = await key(a)
    const sig = await a.sign(k, message(1), 3)
    expect(readdirSync(d).some((f) => f.endsWith('.sqlite'))).toBe(true)
    await a.close()
    const b = prover(d)
    const kb = await b.secretKeyFromBytes(k.toBytes())
    await rejectsWith(b.sign(kb, message(2), 3), 'SLOT_ALREADY_SIGNED')
    await rejectsWith(b.sign(kb, message(2), 1), 'SLOT_BELOW_HIGH_WATER')
    expect(await b.sign(kb, message(1), 3)).toEqual(sig)
  })

  it('is held by one process at a time: the second gets KEY_LOCKED, and the lock dies with its holder', async () => {
    const d = dir()
    const p = prover(d)
    const k = await key(p)
    // A child process takes the key's record and holds it until told to exit.
    const script = `
      import { Prover } from './dist/index.js'
      const p = new Prover({ backend: '${BACKEND}', signing: { directory: ${JSON.stringify(d)} } })
      const k = await p.secretKeyFromBytes(Buffer.from('${Buffer.from(k.toBytes()).toString('hex')}', 'hex'))
      await p.signing.acquire(k.publicKey)
      process.stderr.write('held\\n')
      process.stdin.on('data', () => process.exit(0))
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['pipe', 'ignore', 'pipe'] })
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (b: Buffer) => (b.toString().includes('held') ? resolve() : reject(new Error(b.toString()))))
      child.on('exit', (code) => reject(new Error(`child exited ${code}`)))
    })
    await rejectsWith(p.sign(k, message(1), 1), 'KEY_LOCKED')
    await rejectsWith(p.signing.acquire(k.publicKey), 'KEY_LOCKED')
    child.kill('SIGKILL')
    await new Promise((resolve) => child.on('close', resolve))
    await p.sign(k, message(1), 1)
  })

  it('exports and imports the interchange JSON, refusing a conflicting import whole', async () => {
    const from = prover(dir())
    const k1 = await key(from)
    const k2 = await key(from)
    await from.sign(k1, message(1), 2)
    await from.sign(k1, message(2), 4)
    await from.sign(k2, message(3), 7)
    const exported = await from.signing.export()
    expect(exported.metadata).toEqual({ interchange_format: 'leanagg-xmss-signing-record', interchange_format_version: '1' })
    expect(exported.data.map((e) => e.high_water_slot).sort()).toEqual(['4', '7'])
    const text = JSON.stringify(exported)
    await from.close()

    for (const to of [prover(dir()), prover()]) {
      expect(await to.signing.import(text)).toBe(3)
      expect(await to.signing.import(exported)).toBe(0)
      const k1b = await to.secretKeyFromBytes(k1.toBytes())
      await rejectsWith(to.sign(k1b, message(9), 4), 'SLOT_ALREADY_SIGNED')
      await rejectsWith(to.sign(k1b, message(9), 3), 'SLOT_BELOW_HIGH_WATER')
      const conflict = structuredClone(exported)
      const entry = conflict.data.find((e) => e.pubkey === `0x${Buffer.from(k1.publicKey).toString('hex')}`)!
      entry.signed[0]!.message = `0x${'77'.repeat(32)}`
      entry.signed.push({ slot: '30', message: `0x${'11'.repeat(32)}` })
      await rejectsWith(to.signing.import(conflict), 'SLOT_ALREADY_SIGNED')
      await to.sign(k1b, message(9), 30) // slot 30 was not imported
      await to.close()
    }
  })

  it('a minimal import (only a high-water mark) makes every slot up to it used, even out of order', async () => {
    const p = prover(dir())
    const k = await key(p)
    const pubkey = `0x${Buffer.from(k.publicKey).toString('hex')}`
    await p.signing.import({
      metadata: { interchange_format: 'leanagg-xmss-signing-record', interchange_format_version: '1' },
      data: [{ pubkey, high_water_slot: '12', signed: [] }],
    })
    await rejectsWith(p.sign(k, message(1), 12, { allowOutOfOrder: true }), 'SLOT_BELOW_HIGH_WATER')
    await rejectsWith(p.sign(k, message(1), 0, { allowOutOfOrder: true }), 'SLOT_BELOW_HIGH_WATER')
    await p.sign(k, message(1), 13)
    expect((await p.signing.export()).data[0]).toMatchObject({ pubkey, high_water_slot: '13', floor_slot: '12' })
  })

  it('refuses malformed interchange with typed codes', async () => {
    const p = prover()
    const meta = { interchange_format: 'leanagg-xmss-signing-record', interchange_format_version: '1' } as const
    const pubkey = `0x${'01'.repeat(32)}`
    await rejectsWith(p.signing.import('{'), 'INVALID_ARGUMENT')
    await rejectsWith(p.signing.import({ ...{ metadata: { ...meta, interchange_format_version: '2' } }, data: [] }), 'INVALID_ARGUMENT')
    await rejectsWith(p.signing.import({ metadata: meta, data: [{ pubkey, signed: [{ slot: '-1', message: pubkey }] }] }), 'INVALID_ARGUMENT')
    await rejectsWith(p.signing.import({ metadata: meta, data: [{ pubkey, signed: [{ slot: '1', message: '0x12' }] }] }), 'INVALID_LENGTH')
    await rejectsWith(p.signing.import({ metadata: meta, data: [{ pubkey: '0xzz', signed: [] }] }), 'INVALID_ARGUMENT')
    const dup = { slot: '1', message: pubkey }
    await rejectsWith(p.signing.import({ metadata: meta, data: [{ pubkey, signed: [dup, dup] }] }), 'INVALID_ARGUMENT')
  })

  it('fails closed on a damaged record: SIGNING_RECORD_FAILED, no signature', async () => {
    const d = dir()
    const a = prover(d)
    const k = await key(a)
    await a.sign(k, message(1), 1)
    await a.close()
    for (const f of readdirSync(d).filter((f) => f.includes('.sqlite'))) writeFileSync(join(d, f), 'overwritten by something else entirely')
    const b = prover(d)
    await rejectsWith(b.sign(await b.secretKeyFromBytes(k.toBytes()), message(1), 2), 'SIGNING_RECORD_FAILED')
  })
})
