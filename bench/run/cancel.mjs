// The cancel section: what an abort frees, and how fast, in each isolation mode.
import { setTimeout as sleep } from 'node:timers/promises'
import { SLOT } from '../lib/inputs.mjs'
import { CpuSampler } from '../lib/probes.mjs'
import { round, summary } from '../lib/stats.mjs'

/** Both isolation modes where this build and platform can run proofs in processes. */
function isolationModes(ctx) {
  const { prover } = ctx
  return prover.capabilities.processIsolationAvailable ? ['in-process', 'process'] : ['in-process']
}

export async function cancelSection(ctx) {
  const { Prover, config, simulated, log, prover, groupOf } = ctx
  const group = groupOf(config.cancelSize)
  // Sessions need a second group (another message) so the first one is not the only work.
  const group2 = { message: new Uint8Array(32).fill(0xc3), slot: SLOT, signatures: [] }
  for (let i = 0; i < config.cancelSize; i++) {
    const seed = new Uint8Array(32).fill(0xc0)
    new DataView(seed.buffer).setUint32(0, i, true)
    const key = await prover.generateKey(seed, 0, 15)
    group2.signatures.push({ publicKey: key.publicKey, signature: await prover.sign(key, group2.message, SLOT) })
  }
  const t = performance.now()
  await prover.aggregate(group)
  const proofMs = performance.now() - t
  const idleCores = 0.2
  const after = config.cancelAfterMs

  // Each scenario calls mark.start(t) at the cancel, abort or deadline, and mark.settled() when
  // the caller's promise settles; it returns whether its own proof was running at that moment.
  // "Without a proof in flight": the work waits behind another proof (started first, never
  // cancelled), so its CPU is that other proof's and "CPU free" does not apply.
  const scenarios = (p) => [
    {
      name: 'aggregate(): abort() during the proof',
      cpu: true,
      run: async (mark) => {
        const ac = new AbortController()
        const pr = p.aggregate(group, { signal: ac.signal }).catch(() => undefined)
        await sleep(after)
        const inFlight = p.load.running > 0
        mark.start(performance.now())
        ac.abort()
        await pr
        mark.settled()
        return inFlight
      },
    },
    {
      name: 'session: cancel() during a proof',
      cpu: true,
      run: async (mark) => {
        const s = p.startSession([group, group2], { admission: false })
        await sleep(after)
        const inFlight = p.load.running > 0
        mark.start(performance.now())
        s.cancel('bench')
        await s.done
        mark.settled()
        return inFlight
      },
    },
    {
      name: 'session: deadline during a proof',
      cpu: true,
      run: async (mark) => {
        const t0 = performance.now()
        const s = p.startSession([group, group2], { admission: false, deadlineMs: after, late: 'drop' })
        mark.start(t0 + after)
        await sleep(Math.max(0, after - 2))
        const inFlight = p.load.running > 0
        await s.done
        mark.settled()
        return inFlight
      },
    },
    {
      name: 'aggregate(): abort() while queued behind another proof',
      cpu: false,
      run: async (mark) => {
        const other = p.aggregate(group)
        await sleep(after / 2)
        const ac = new AbortController()
        const pr = p.aggregate(group, { signal: ac.signal }).catch(() => undefined)
        await sleep(after / 2)
        const queued = p.load.queued > 0
        mark.start(performance.now())
        ac.abort()
        await pr
        mark.settled()
        await other
        return !queued
      },
    },
    {
      name: 'session: cancel() while its group waits behind another proof',
      cpu: false,
      run: async (mark) => {
        const other = p.aggregate(group)
        await sleep(after / 2)
        const s = p.startSession([group2], { admission: false })
        await sleep(after / 2)
        const queued = p.load.queued > 0
        mark.start(performance.now())
        s.cancel('bench')
        await s.done
        mark.settled()
        await other
        return !queued
      },
    },
    {
      name: 'session: deadline while its group waits behind another proof',
      cpu: false,
      run: async (mark) => {
        const other = p.aggregate(group)
        await sleep(after / 2)
        const t0 = performance.now()
        const s = p.startSession([group2], { admission: false, deadlineMs: after / 2, late: 'drop' })
        mark.start(t0 + after / 2)
        await sleep(Math.max(0, after / 2 - 2))
        const queued = p.load.queued > 0
        await s.done
        mark.settled()
        await other
        return !queued
      },
    },
  ]

  const modes = isolationModes(ctx)
  const out = []
  for (const isolation of modes) {
    const p = prover.capabilities.isolation === isolation ? prover : new Prover({ backend: config.backend, threads: config.threads, simulated, isolation })
    if (p !== prover) await p.setup()
    for (const d of scenarios(p)) {
      const runs = []
      for (let r = 0; r < config.cancelRounds; r++) {
        await p.idle()
        await sleep(100)
        const cpu = new CpuSampler(10).start()
        let t0 = 0
        let settledAt = 0
        const inFlight = await d.run({ start: (t) => (t0 = t), settled: () => (settledAt = performance.now()) })
        await p.idle()
        const laneFreeMs = performance.now() - t0
        await sleep(300) // watch the CPU after the lane is free
        cpu.stop()
        runs.push({
          inFlight,
          settleMs: settledAt - t0,
          laneFreeMs: d.cpu ? laneFreeMs : null,
          cpuStoppedMs: d.cpu ? cpu.freeAfter(t0, 50, idleCores, { forGood: false }) : null,
          cpuFreeMs: d.cpu ? cpu.freeAfter(t0, 50, idleCores) : null,
        })
      }
      const first = runs[0]
      log(`cancel: ${d.name} (${isolation}): settled ${first.settleMs.toFixed(1)} ms${d.cpu ? `, CPU free ${first.cpuFreeMs?.toFixed(0)} ms` : ''}`)
      out.push({
        name: d.name,
        isolation,
        proofInFlight: runs.every((x) => x.inFlight) ? true : runs.every((x) => !x.inFlight) ? false : null,
        settleMs: summary(runs.map((x) => x.settleMs)),
        laneFreeMs: summary(runs.map((x) => x.laneFreeMs).filter((x) => x != null)),
        cpuStoppedMs: summary(runs.map((x) => x.cpuStoppedMs).filter((x) => x != null)),
        cpuFreeMs: summary(runs.map((x) => x.cpuFreeMs).filter((x) => x != null)),
      })
    }
    if (p !== prover) await p.close()
  }
  return {
    rounds: config.cancelRounds,
    signatures: config.cancelSize,
    cancelAfterMs: after,
    proofMs: round(proofMs),
    cpuIdleCores: idleCores,
    isolationNote: modes.includes('process')
      ? 'With isolation: "process" the proof\'s process is killed, so its CPU stops at once; the prover server then forks a replacement worker once it has been idle for 100 ms (tens of ms of one core, off every proof\'s path): that is the gap between "CPU stopped" and "CPU idle for good".'
      : 'Only in-process: process isolation is not available in this build or on this platform (`prover.capabilities`).',
    scenarios: out,
  }
}
