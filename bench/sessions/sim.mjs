// A prover whose proofs share a CPU, on leanagg's ManualClock, so that every policy (leanagg's
// engine included) replays the same slots deterministically in milliseconds of real time.

const ABORTED = () => Object.assign(new Error('the operation was aborted'), { name: 'AbortError', code: 'ABORTED' })

/**
 * leanagg's `GroupProver` over a shared CPU: up to `lanes` proofs run at once (the rest queue, as
 * in leanagg's proving lane) and k proofs at once each advance at 1/slowdown(k) of solo speed.
 * Like the real prover, an aborted call rejects at once but its native work runs to the end.
 * `log` keeps every proof: { slot, key, queuedAt, startedAt, endedAt, abandoned }.
 */
export class CpuProver {
  log = []
  #clock
  #model
  #lanes
  #queue = []
  #running = new Set()
  #since = 0
  #timer
  #idle = []

  constructor(clock, model, { lanes = 1 } = {}) {
    this.#clock = clock
    this.#model = model
    this.#lanes = lanes
    if (Number.isFinite(lanes)) this.maxConcurrentProofs = lanes
  }

  aggregate(group, { signal } = {}) {
    if (signal?.aborted) return Promise.reject(ABORTED())
    const entry = { slot: group.slot, key: keyOf(group.message, group.slot), queuedAt: this.#clock.now(), abandoned: false }
    this.log.push(entry)
    const ms = this.#model.soloMs(
      group.signatures.length,
      (group.children ?? []).map((c) => c.signers.length),
      jitterOf(group.message),
    )
    return new Promise((resolve, reject) => {
      let settled = false
      const job = {
        left: ms,
        finish: () => {
          entry.endedAt = this.#clock.now()
          if (!settled) resolve(fakeAggregate(group))
          settled = true
        },
      }
      const start = () => {
        entry.startedAt = this.#clock.now()
        this.#advance()
        this.#running.add(job)
        this.#schedule()
      }
      signal?.addEventListener(
        'abort',
        () => {
          entry.abandoned = true
          const i = this.#queue.indexOf(start)
          if (i >= 0) this.#queue.splice(i, 1) // never starts
          if (!settled) reject(ABORTED())
          settled = true
        },
        { once: true },
      )
      if (this.#running.size < this.#lanes) start()
      else this.#queue.push(start)
    })
  }

  async verifyAggregate() {
    return true
  }

  idle() {
    if (this.#running.size === 0 && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #advance() {
    const now = this.#clock.now()
    const rate = 1 / this.#model.slowdown(this.#running.size)
    for (const job of this.#running) job.left -= (now - this.#since) * rate
    this.#since = now
  }

  #schedule() {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#running.size === 0) return
    const first = Math.min(...[...this.#running].map((j) => j.left))
    this.#timer = this.#clock.setTimeout(() => this.#onTimer(), Math.max(0, first * this.#model.slowdown(this.#running.size)))
  }

  #onTimer() {
    this.#timer = undefined
    this.#advance()
    for (const job of [...this.#running]) {
      if (job.left > 1e-3) continue // below the clock's resolution at epoch-sized times
      this.#running.delete(job)
      job.finish()
    }
    while (this.#running.size < this.#lanes && this.#queue.length > 0) this.#queue.shift()()
    this.#schedule()
    if (this.#running.size === 0 && this.#queue.length === 0) for (const w of this.#idle.splice(0)) w()
  }
}

export function keyOf(message, slot) {
  return `${Buffer.from(message).toString('hex')}:${slot}`
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
