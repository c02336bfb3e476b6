// The prove section: per-group prove latency, leanagg and the native program side by side on the same inputs.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { MESSAGE, SLOT } from '../lib/inputs.mjs'
import { descendants, memoryKb, resetPeakMemory } from '../lib/machine.mjs'
import { round, summary } from '../lib/stats.mjs'
import { rotate } from './rounds.mjs'

async function leanaggRound(ctx, group) {
  const { config, prover } = ctx
  // With process isolation the proof runs in a worker of the prover server: its peak is measured
  // on its own (it includes the setup state it shares with the server, as native's peak does).
  const provers = descendants()
  const peakReset = resetPeakMemory() && provers.every((pid) => resetPeakMemory(pid))
  const rssBeforeKb = memoryKb().rssKb
  let t = performance.now()
  const agg = await prover.aggregate(group, { logInvRate: config.logInvRate })
  const proveMs = performance.now() - t
  const peakRssKb = peakReset ? memoryKb().peakRssKb : null
  const proverPeaks = peakReset ? provers.map((pid) => memoryKb(pid).peakRssKb).filter((kb) => kb > 0) : []
  const proverPeakRssKb = proverPeaks.length ? Math.max(...proverPeaks) : null
  t = performance.now()
  const valid = await prover.verifyAggregate(agg)
  const verifyMs = performance.now() - t
  t = performance.now()
  const proofBytes = agg.proofSize // serialises (compresses) on the JS thread, once
  const toBytesMs = performance.now() - t
  if (!valid) throw new Error('a leanagg aggregate does not verify')
  return { agg, proveMs, verifyMs, toBytesMs, proofBytes, rssBeforeKb, peakRssKb, proverPeakRssKb }
}

export async function proveSection(ctx) {
  const { config, log, nativeReason, results, work, prover, natives, native, kids, groupOf, signersOf, loadNative } = ctx
  const groups = [
    ...config.sizes.map((n) => ({ id: `s${n}`, label: `${n} signature${n === 1 ? '' : 's'}`, signatures: n, children: 0, group: groupOf(n) })),
    ...config.children.map((k) => ({
      id: `c${k}`,
      label: `${k} children of ${config.childSize}`,
      signatures: k * config.childSize,
      children: k,
      group: { message: MESSAGE, slot: SLOT, signatures: [], children: kids.slice(0, k) },
    })),
  ]
  for (const g of groups) {
    await loadNative(g.id, g.group)
    g.precheckMs = native ? (await native.request(`precheck ${g.id}`)).precheckMs : null
    g.runs = Object.fromEntries(['leanagg', ...Object.keys(natives)].map((x) => [x, []]))
  }
  log('prove: warm-up (one untimed proof per side)')
  await prover.aggregate(groups[0].group)
  for (const nb of Object.values(natives)) await nb.request(`prove ${groups[0].id} - -`)
  const sides = ['leanagg', ...Object.keys(natives)]

  const proofFiles = new Map()
  const lastAggs = []
  for (let r = 0; r < config.rounds; r++) {
    for (const g of groups) {
      for (const side of rotate(sides, r + groups.indexOf(g))) {
        if (side === 'leanagg') {
          const run = await leanaggRound(ctx, g.group)
          g.runs.leanagg.push(run)
          if (r === config.rounds - 1) lastAggs.push(run.agg)
        } else {
          const out = r === 0 && side === 'native' ? path.join(work, `${g.id}.proof`) : '-'
          const reply = await natives[side].request(`prove ${g.id} - ${out}`)
          if (!reply.valid) throw new Error('a native proof does not verify')
          if (out !== '-') proofFiles.set(g.id, out)
          g.runs[side].push(reply)
        }
      }
      const times = sides.map((x) => `${x} ${g.runs[x].at(-1).proveMs.toFixed(0)} ms`).join(', ')
      log(`prove: round ${r + 1}/${config.rounds}, ${g.label}: ${times}`)
    }
  }

  // Same work: each native proof must verify in leanagg, for the group's message, slot and signers.
  let sameInputs = null
  if (native) {
    sameInputs = true
    for (const g of groups) {
      const agg = await prover.aggregateFromBytes(readFileSync(proofFiles.get(g.id)))
      const ok = await prover.verifyAggregate(agg, { expected: { message: MESSAGE, slot: SLOT, signers: signersOf(g.group) } })
      sameInputs &&= ok
    }
  }

  const nativeSummary = (N, g) => ({
    proveMs: summary(N.map((x) => x.proveMs)),
    verifyMs: summary(N.map((x) => x.verifyMs)),
    peakRssKb: summary(N.map((x) => x.peakRssKb)),
    rssBeforeKb: summary(N.map((x) => x.rssBeforeKb)),
    proofBytes: N[0].proofBytes,
    precheckMs: round(g.precheckMs),
  })
  // Per round: leanagg's time over the native time measured next to it.
  const ratio = (L, N) =>
    N?.length
      ? summary(
          L.map((l, i) => l.proveMs / N[i].proveMs),
          4,
        )
      : null
  const out = groups.map((g) => {
    const L = g.runs.leanagg
    const N = g.runs.native
    return {
      id: g.id,
      label: g.label,
      signatures: g.signatures,
      children: g.children,
      proofBytes: L[0].proofBytes,
      leanagg: {
        proveMs: summary(L.map((x) => x.proveMs)),
        verifyMs: summary(L.map((x) => x.verifyMs)),
        toBytesMs: summary(L.map((x) => x.toBytesMs)),
        peakRssKb: summary(L.map((x) => x.peakRssKb).filter((x) => x != null)),
        proverPeakRssKb: summary(L.map((x) => x.proverPeakRssKb).filter((x) => x != null)),
        rssBeforeKb: summary(L.map((x) => x.rssBeforeKb)),
      },
      native: N?.length ? nativeSummary(N, g) : null,
      nativeCaller: g.runs.nativeCaller?.length ? nativeSummary(g.runs.nativeCaller, g) : null,
      ratio: ratio(L, N),
      ratioCaller: ratio(L, g.runs.nativeCaller),
    }
  })
  return {
    groups: out,
    lastAggs,
    sameInputs,
    nativeSkipped: native ? undefined : nativeReason,
    peakMethod:
      results.isolation === 'process'
        ? 'peak RSS (VmHWM) during the proof, reset before it with /proc/<pid>/clear_refs: leanagg’s host process (Node, V8, the addon) and the prover process that proved (it shares the setup state with the prover server copy-on-write), and native’s whole process'
        : 'peak RSS (VmHWM) of each side’s whole process during the proof, reset before it with /proc/self/clear_refs',
  }
}
