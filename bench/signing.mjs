#!/usr/bin/env node
// Cost of the signing guard (issue 16): one `prover.sign` at a time, p50 and p99 ms, for
//   unguarded        no record (`signing: { unguardedForTests: true }`)
//   memory           the in-memory record (no directory)
//   durable sqlite   the durable record: one SQLite transaction, committed (fsynced) per signature
//   append + fsync   what a checksummed append-only file would cost per signature: the unguarded
//                    sign, then one checksummed line appended and fdatasync'ed (a prototype of the
//                    write path only; it has no recovery code)
// The sides alternate in blocks, so all see the same machine. The durable directory is under
// --dir (default the OS temp dir: check it is a real disk, not tmpfs, or fsync costs nothing).
//   node bench/signing.mjs [--backend simulated|lean-multisig] [--signs N] [--dir PATH]
import { createHash } from 'node:crypto'
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Prover } from '../dist/index.js'
import { quantile } from './lib/stats.mjs'

const { values: flags } = parseArgs({
  options: { backend: { type: 'string', default: 'simulated' }, signs: { type: 'string', default: '2000' }, dir: { type: 'string', default: tmpdir() } },
})
const total = Number(flags.signs)
const block = 100
const dir = mkdtempSync(join(flags.dir, 'leanagg-bench-signing-'))
const backend = flags.backend
const m = (slot) => {
  const b = new Uint8Array(32)
  new DataView(b.buffer).setUint32(0, slot, true)
  return b
}

const provers = {
  unguarded: new Prover({ backend, signing: { unguardedForTests: true } }),
  memory: new Prover({ backend }),
  'durable sqlite': new Prover({ backend, signing: { directory: join(dir, 'record') } }),
}
const logFd = openSync(join(dir, 'append.log'), 'a')
const sides = {
  unguarded: (k, s) => provers.unguarded.sign(k, m(s), s),
  memory: (k, s) => provers.memory.sign(k, m(s), s),
  'durable sqlite': (k, s) => provers['durable sqlite'].sign(k, m(s), s),
  'append + fsync': async (k, s) => {
    const sig = await provers.unguarded.sign(k, m(s), s)
    const line = `${s} ${Buffer.from(m(s)).toString('hex')} ${Buffer.from(sig).toString('hex')}`
    writeSync(logFd, `${line} ${createHash('sha256').update(line).digest('hex').slice(0, 16)}\n`)
    fdatasyncSync(logFd)
    return sig
  },
}
// One key per side (a key is held by one record), the same seed range.
const keys = {}
for (const [i, name] of Object.keys(sides).entries()) {
  const p = name === 'append + fsync' ? provers.unguarded : provers[name]
  keys[name] = await p.generateKey(new Uint8Array(32).fill(0x40 + i), 0, total + block)
}
const times = Object.fromEntries(Object.keys(sides).map((n) => [n, []]))
const next = Object.fromEntries(Object.keys(sides).map((n) => [n, 0]))
for (let done = 0; done < total; done += block) {
  for (const [name, sign] of Object.entries(sides)) {
    for (let i = 0; i < block; i++) {
      const slot = next[name]++
      const t = performance.now()
      await sign(keys[name], slot)
      times[name].push(performance.now() - t)
    }
  }
}
closeSync(logFd)
for (const p of Object.values(provers)) await p.close()
const recordDir = join(dir, 'record')
const recordBytes = readdirSync(recordDir).reduce((n, f) => n + statSync(join(recordDir, f)).size, 0)
rmSync(dir, { recursive: true, force: true })

const f = (x) => x.toFixed(3)
const base = quantile(times.unguarded, 0.5)
process.stdout.write(
  `backend ${backend}, ${total} signatures per side, one at a time, in alternating blocks of ${block}; durable directory on ${flags.dir}\n\n`,
)
process.stdout.write('| side | p50 ms | p99 ms | max ms | p50 over unguarded ms |\n| --- | --- | --- | --- | --- |\n')
for (const [name, xs] of Object.entries(times)) {
  const p50 = quantile(xs, 0.5)
  process.stdout.write(`| ${name} | ${f(p50)} | ${f(quantile(xs, 0.99))} | ${f(Math.max(...xs))} | ${f(p50 - base)} |\n`)
}
process.stdout.write(
  `\ndurable record on disk after ${total} signatures: ${(recordBytes / 1024).toFixed(0)} KiB (${(recordBytes / total).toFixed(0)} bytes per signed slot)\n`,
)
