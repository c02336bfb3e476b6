// A prover whose proofs share a CPU, on leanagg's ManualClock, so that every policy (leanagg's
// engine included) replays the same slots deterministically in milliseconds of real time.
import { FakeProver } from 'leanagg'

/**
 * leanagg's `FakeProver` over a shared CPU, timed by `model`: up to `lanes` proofs run at once (the
 * rest queue, as in leanagg's proving lane) and k proofs at once each advance at 1/slowdown(k) of
 * solo speed. Like the real prover, an aborted call rejects at once but its native work runs to the
 * end. `prover.calls` keeps every proof: { slot, key, queuedAt, startedAt, endedAt, aborted, ... }.
 */
export function cpuProver(clock, model, { lanes = 1 } = {}) {
  return new FakeProver(clock, {
    lanes,
    latency: (group) =>
      model.soloMs(
        group.signatures.length,
        (group.children ?? []).map((c) => c.signers.length),
        jitterOf(group.message),
      ),
    slowdown: (k) => model.slowdown(k),
    aggregate: fakeAggregate,
  })
}

// ---- leanagg inputs for abstract workload groups ---------------------------------------------

export const SIGNATURE = new Uint8Array(1208) // canonical zeros: the simulation never verifies signatures

/** Public key of validator `id` in `slot`: canonical field elements, unique per (slot, id). */
export function publicKey(slot, id) {
  const k = new Uint8Array(32)
  const v = new DataView(k.buffer)
  v.setUint32(0, id, true)
  v.setUint32(4, slot % 0x7f000000, true)
  v.setUint32(8, 1, true)
  return k
}

/** The group's message carries its id and its prove-time jitter, so any copy maps back to both. */
export function messageOf(slot, index, jitter) {
  const m = new Uint8Array(32)
  const v = new DataView(m.buffer)
  v.setUint32(0, slot, true)
  v.setUint32(4, index, true)
  v.setUint32(8, Math.floor(((jitter + 1) / 2) * 0xffffffff), true)
  return m
}

/** The prove-time jitter a message carries (see `messageOf`). */
export function jitterOf(message) {
  const v = new DataView(message.buffer, message.byteOffset, message.byteLength)
  return (v.getUint32(8, true) / 0xffffffff) * 2 - 1
}

/** A stand-in aggregate: what the engine and the policies read (slot, signers, proofSize). */
export function fakeAggregate(group) {
  const seen = new Map()
  for (const s of group.signatures) seen.set(Buffer.from(s.publicKey).toString('hex'), s.publicKey)
  for (const c of group.children ?? []) for (const k of c.signers) seen.set(Buffer.from(k).toString('hex'), k)
  return {
    backend: 'simulated',
    slot: group.slot,
    messageFields: new Uint32Array(8),
    signers: [...seen.values()],
    proofSize: 200_000,
    toBytes: () => new Uint8Array(0),
  }
}

/** leanagg `GroupInput`s for one slot of the workload, in arrival order. */
export function groupInputs(slotWork) {
  return slotWork.groups.map((g, index) => ({
    message: messageOf(slotWork.slot, index, g.jitter),
    slot: slotWork.slot,
    signatures: g.raw.map((id) => ({ publicKey: publicKey(slotWork.slot, id), signature: SIGNATURE })),
    children: g.children.map((ids) =>
      fakeAggregate({ slot: slotWork.slot, signatures: ids.map((id) => ({ publicKey: publicKey(slotWork.slot, id) })), children: [] }),
    ),
  }))
}
