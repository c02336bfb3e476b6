// The crash test's signer (test/reliability/crash.mjs runs and kills it): loads the key, takes its
// durable signing record, then signs slot after slot from START, each with one of two messages
// chosen at random, and writes every signature it gets, one JSON line each, the moment it has it.
// Lines: {"ready":true} once, {"begin":slot} before each sign, {"slot","message","signature"}
// after it, {"refused":slot,"code"} for a typed refusal.
import { writeSync } from 'node:fs'
import { Prover } from '../../dist/index.js'

const { CRASH_DIR, CRASH_KEY, CRASH_BACKEND, CRASH_START, CRASH_SEED, CRASH_UNGUARDED } = process.env
const out = (v) => writeSync(1, `${JSON.stringify(v)}\n`)
const hex = (b) => `0x${Buffer.from(b).toString('hex')}`
let state = Number(CRASH_SEED) >>> 0 || 1
const coin = () => {
  state ^= state << 13
  state ^= state >>> 17
  state ^= state << 5
  return (state >>> 0) & 1
}
/** Two candidate messages per slot: a restart that picks the other one must be refused. */
const messageFor = (slot, which) => {
  const m = new Uint8Array(32)
  new DataView(m.buffer).setUint32(0, slot, true)
  m[31] = which
  return m
}

// CRASH_UNGUARDED: the crash test's own check, shown to fail without the guard.
const signing = CRASH_UNGUARDED ? { unguardedForTests: true } : { directory: CRASH_DIR }
const prover = new Prover({ backend: CRASH_BACKEND, signing })
const key = await prover.secretKeyFromBytes(Buffer.from(CRASH_KEY, 'hex'))
await prover.signing.acquire(key.publicKey)
out({ ready: true })
for (let slot = Number(CRASH_START); slot <= key.lastSlot; slot++) {
  const message = messageFor(slot, coin())
  out({ begin: slot })
  try {
    const signature = await prover.sign(key, message, slot)
    out({ slot, message: hex(message), signature: hex(signature) })
  } catch (e) {
    if (e?.code !== 'SLOT_ALREADY_SIGNED' && e?.code !== 'SLOT_BELOW_HIGH_WATER') throw e
    out({ refused: slot, code: e.code })
  }
}
await prover.close()
