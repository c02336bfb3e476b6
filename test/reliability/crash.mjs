#!/usr/bin/env node
// Crash test of the durable signing record (issue 16): a child signs slot after slot with a
// durable record; this process kills it with SIGKILL at a random instant, restarts it (from a
// slot at or below the last one it saw, so restarts retry slots that may have been committed but
// not seen, with a message that may differ), and at the end checks every signature any child
// ever wrote: no slot has two different signatures (or messages), each verifies, and each is the
// one the record holds.
//   node test/reliability/crash.mjs [--kills N] [--real] [--seed N] [--unguarded]
// Default 40 kills (the short mode of test:reliability); `--kills 1000` is the long mode.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const { values: flags } = parseArgs({
  options: {
    kills: { type: 'string', default: '40' },
    real: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    'max-delay-ms': { type: 'string' },
    // The children sign without the guard: shows that the check catches a slot signed twice.
    unguarded: { type: 'boolean', default: false },
  },
})
const backend = flags.real ? 'lean-multisig' : 'simulated'
const kills = Number(flags.kills)
let rng = Number(flags.seed) >>> 0 || 1
const random = () => {
  rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0
  return rng / 2 ** 32
}
const { Prover } = await import(resolve(root, 'dist/index.js'))
const dir = mkdtempSync(join(tmpdir(), 'leanagg-crash-'))
// Each child rebuilds its key (keygen grows with the range: about 0.2 s for 2^8 slots on the real
// prover), so the children sign with small keys, and the next key takes over when one is nearly
// used up; each key has its own record.
const lastSlot = flags.real ? 2 ** 8 - 1 : 2 ** 10 - 1
const setupProver = new Prover({ backend, signing: { unguardedForTests: true } })
const keys = []
let lastSeenSlot = -1
async function newKey() {
  const key = await setupProver.generateKey(new Uint8Array(32).fill(keys.length + 1), 0, lastSlot)
  keys.push({ key, hex: Buffer.from(key.toBytes()).toString('hex'), seen: new Map() })
  lastSeenSlot = -1
}

/** Every signature ever written, by key and slot. */
let seen
const stats = { rounds: 0, kills: 0, killedInsideSign: 0, signatures: 0, repeats: 0, refused: 0, conflicts: [] }

function record(line) {
  const v = JSON.parse(line)
  if (v.signature) {
    stats.signatures++
    lastSeenSlot = Math.max(lastSeenSlot, v.slot)
    const before = seen.get(v.slot)
    if (!before) seen.set(v.slot, v)
    else if (before.signature === v.signature && before.message === v.message) stats.repeats++
    else stats.conflicts.push({ slot: v.slot, first: before, second: v })
  } else if (v.refused !== undefined) {
    stats.refused++
    lastSeenSlot = Math.max(lastSeenSlot, v.refused)
  }
  return v
}

/** One child, started at `start` and killed `delayMs` after it is ready. */
function round(start, delayMs) {
  return new Promise((resolveRound, reject) => {
    const child = spawn(process.execPath, [join(root, 'test/reliability/crash-child.mjs')], {
      env: {
        ...process.env,
        CRASH_DIR: dir,
        CRASH_KEY: keys.at(-1).hex,
        CRASH_BACKEND: backend,
        CRASH_START: String(start),
        CRASH_SEED: String(stats.rounds + 1),
        CRASH_UNGUARDED: flags.unguarded ? '1' : '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let buffered = ''
    let last
    let stderr = ''
    let timer
    child.stdout.on('data', (chunk) => {
      buffered += chunk
      let nl = buffered.indexOf('\n')
      while (nl >= 0) {
        last = record(buffered.slice(0, nl))
        buffered = buffered.slice(nl + 1)
        if (last.ready) timer = setTimeout(() => child.kill('SIGKILL'), delayMs)
        nl = buffered.indexOf('\n')
      }
    })
    child.stderr.on('data', (c) => (stderr += c))
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      // A partial last line was cut by the kill: it never counted as written.
      if (signal === 'SIGKILL') {
        stats.kills++
        if (last?.begin !== undefined) stats.killedInsideSign++
        resolveRound()
      } else if (code === 0) resolveRound()
      else reject(new Error(`child exited ${code ?? signal}: ${stderr.trim()}`))
    })
  })
}

const started = Date.now()
// Delays span the child's first signs; a durable sign is a few ms (an fsync).
const maxDelay = Number(flags['max-delay-ms'] ?? (flags.real ? 60 : 25))
await newKey()
while (stats.kills < kills) {
  stats.rounds++
  if (lastSeenSlot + 64 > lastSlot) await newKey()
  seen = keys.at(-1).seen
  // Restart at, or a little below, the last slot seen: those slots may be committed and unseen.
  const start = Math.max(0, lastSeenSlot + 1 - Math.floor(random() * 3))
  await round(start, random() * maxDelay)
}
// Every child is dead: what the record holds, read by a fresh prover, must match what was written.
const check = new Prover({ backend, signing: { directory: dir } })
let notRecorded = 0
let invalid = 0
let slotsSigned = 0
for (const { key, seen } of keys) {
  const exported = await check.signing.export({ publicKeys: [key.publicKey] })
  const recorded = new Map((exported.data[0]?.signed ?? []).map((s) => [Number(s.slot), s]))
  slotsSigned += seen.size
  for (const [slot, v] of seen) {
    const r = recorded.get(slot)
    if (!r || r.signature !== v.signature || r.message !== v.message) notRecorded++
    const valid = await check.verify(key.publicKey, Buffer.from(v.message.slice(2), 'hex'), Buffer.from(v.signature.slice(2), 'hex'), slot)
    if (!valid) invalid++
  }
}
await check.close()
await setupProver.close()
rmSync(dir, { recursive: true, force: true })
const ok = stats.conflicts.length === 0 && notRecorded === 0 && invalid === 0
process.stderr.write(
  `crash test (${backend}): ${stats.kills} SIGKILLs in ${stats.rounds} rounds (${stats.killedInsideSign} while a sign was in flight), ` +
    `${keys.length} keys, ${slotsSigned} slots signed, ${stats.signatures} signatures written (${stats.repeats} repeats of a recorded one), ${stats.refused} refusals; ` +
    `slots with two different signatures: ${stats.conflicts.length}; written but not the recorded one: ${notRecorded}; invalid: ${invalid}; ` +
    `${((Date.now() - started) / 1000).toFixed(1)} s\n`,
)
if (!ok) {
  process.stderr.write(
    `first conflicts: ${JSON.stringify(stats.conflicts.slice(0, 3).map((c) => ({ slot: c.slot, messages: [c.first.message, c.second.message] })))}\n`,
  )
  process.exit(1)
}
