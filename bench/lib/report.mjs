// Markdown tables from a results object: printed by the run and written into the README.
import { machineLine } from './machine.mjs'

const ms = (x) => (x == null ? '–' : x >= 100 ? String(Math.round(x)) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
const range = (s) => (s?.median == null ? '–' : `${ms(s.median)} (${ms(s.min)}–${ms(s.max)})`)
const ratio = (s) => (s?.median == null ? '–' : `${s.median.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})`)
const mb = (kb) => (kb == null || Number.isNaN(kb) ? '–' : String(Math.round(kb / 1024)))
const kib = (b) => (b == null ? '–' : `${(b / 1024).toFixed(1)}`)

function table(head, rows) {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}

const skipped = (section) => (section?.skipped ? `_Skipped: ${section.skipped}._` : null)

export function proveTable(r) {
  const p = r.prove
  if (p.skipped) return skipped(p)
  const caller = p.groups.some((g) => g.nativeCaller)
  const rows = p.groups.map((g) => [
    g.label,
    range(g.leanagg.proveMs),
    range(g.native?.proveMs),
    ratio(g.ratio),
    ...(caller ? [range(g.nativeCaller?.proveMs), ratio(g.ratioCaller)] : []),
    ms(g.native?.precheckMs),
    ms(g.leanagg.verifyMs?.median),
    ms(g.native?.verifyMs?.median),
    kib(g.proofBytes),
    g.leanagg.proverPeakRssKb?.n ? `${mb(g.leanagg.peakRssKb?.median)} / ${mb(g.leanagg.proverPeakRssKb.median)}` : mb(g.leanagg.peakRssKb?.median),
    mb(g.native?.peakRssKb?.median),
  ])
  const head = [
    'group',
    'leanagg prove ms',
    'native prove ms',
    'leanagg / native',
    ...(caller ? ['native, main thread ms', 'leanagg / that'] : []),
    'pre-checks ms',
    'leanagg verify ms',
    'native verify ms',
    'proof KiB',
    p.groups.some((g) => g.leanagg.proverPeakRssKb?.n) ? 'leanagg peak RSS MB (host / prover process)' : 'leanagg peak RSS MB',
    'native peak RSS MB',
  ]
  const notes = [
    `Median (min–max) of ${r.config.rounds} rounds; ratios are per round, the sides run back to back (order rotating).`,
    '"native": upstream called from a worker of a rayon pool of the same size (`ThreadPool::install`, as leanagg calls it); "native, main thread": called from the main thread with rayon\'s global pool, as upstream\'s own tests do.',
    '"pre-checks": leanagg verifies raw signatures and children before proving (leanMultisig checks raw signatures only inside the proof, and verifies children again itself); this column times that step natively.',
    `Inputs checked identical: ${p.sameInputs === null ? 'not checked (no native side)' : p.sameInputs ? 'yes (the native proof verifies in leanagg for the same message, slot and signers)' : 'NO'}. Peak RSS: ${p.peakMethod}.`,
  ]
  if (p.nativeSkipped) notes.push(`Native side skipped: ${p.nativeSkipped}.`)
  return `${table(head, rows)}\n\n${notes.join('\n')}`
}

export function loopTable(r) {
  const l = r.eventLoop
  if (l.skipped) return skipped(l)
  const rows = Object.entries(l.conditions).map(([name, c]) => [
    name,
    `${ms(c.timer.p50)} / ${ms(c.timer.p99)} / ${ms(c.timer.max)}`,
    `${ms(c.histogram.p50)} / ${ms(c.histogram.p99)} / ${ms(c.histogram.max)}`,
    `${(c.stalledShare * 100).toFixed(1)}%`,
    String(c.timer.samples),
    String(c.observedMs),
  ])
  return `${table(['condition', '1 ms timer lateness p50 / p99 / max ms', 'monitorEventLoopDelay p50 / p99 / max ms', 'stalled', 'timer samples', 'observed ms'], rows)}

${l.proofs} proofs of ${l.signatures} signatures back to back per condition, one condition after the other; idle lasts as long as the leanagg proofs did. Synchronous baseline: ${l.syncMethod}. monitorEventLoopDelay (resolution 1 ms) reports the interval between its samples, so about 1 ms when nothing blocks. "Stalled": share of the observed time during which a due timer waited more than 5 ms (a blocked loop yields one late sample per block, so percentiles of samples understate it; this does not).`
}

export function cancelTable(r) {
  const c = r.cancel
  if (c.skipped) return skipped(c)
  const rows = c.scenarios.map((s) => [
    s.name,
    s.isolation,
    s.proofInFlight == null ? '–' : s.proofInFlight ? 'yes' : 'no',
    range(s.settleMs),
    range(s.laneFreeMs),
    range(s.cpuStoppedMs),
    range(s.cpuFreeMs),
  ])
  return `${table(['scenario', 'isolation', 'proof in flight', 'to settled ms', 'to lane free ms', 'to CPU stopped ms', 'to CPU idle for good ms'], rows)}

Times from \`cancel()\`, \`abort()\` or the deadline; median (min–max) of ${c.rounds} rounds; groups of ${c.signatures} signatures (a proof takes about ${ms(c.proofMs)} ms here). With a proof in flight: cancelled ${c.cancelAfterMs} ms into it; "lane free" is when the abandoned proof returns (\`prover.idle()\`), "CPU stopped" when CPU time of this process and its children (sampled every 10 ms, in 50 ms windows) first falls under ${c.cpuIdleCores} cores, "CPU idle for good" when it stays there. Without: the group waits behind another proof started ${c.cancelAfterMs / 2} ms earlier and is cancelled ${c.cancelAfterMs / 2} ms later; that other proof keeps the lane and the CPU by design, so only the settle time applies. ${c.isolationNote}`
}

export function batchTable(r) {
  const b = r.batch
  if (b.skipped) return skipped(b)
  const rows = b.cases.map((k) => [k.name, String(k.items), range(k.batchMs), range(k.sequentialMs), k.speedup == null ? '–' : `${k.speedup.toFixed(2)}x`])
  return `${table(['items', 'count', 'one batchVerify ms', 'sequential calls ms', 'speedup'], rows)}

Median (min–max) of ${b.reps} repetitions, alternating. Sequential: one awaited \`verifyAggregate\` / \`verify\` per item.`
}

export function microTable(r) {
  const m = r.micro
  if (m.skipped) return skipped(m)
  const rows = m.tasks.map((t) =>
    t.error ? [t.name, t.error, '', '', '', ''] : [t.name, ms(t.meanMs), ms(t.p50Ms), ms(t.p99Ms), String(Math.round(t.opsPerS)), String(t.samples)],
  )
  return `${table(['call', 'mean ms', 'p50 ms', 'p99 ms', 'ops/s', 'samples'], rows)}

tinybench, ${m.timeMs} ms per task, one call at a time.`
}

export function setupTable(r) {
  const s = r.setup
  if (s.skipped) return skipped(s)
  const names = { leanagg: 'leanagg', native: 'native', nativeCaller: 'native, main thread' }
  const rows = Object.keys(names)
    .filter((side) => s[side])
    .map((side) =>
      s[side].skipped
        ? [names[side], '–', '–', '–', s[side].skipped]
        : [names[side], range(s[side].setupMs), s[side].pssKb?.n ? mb(s[side].pssKb.median) : '–', mb(s[side].rssBeforeKb.median), ''],
    )
  return `${table(['side', 'cold setup ms', 'PSS after setup MB', 'RSS before setup MB', 'note'], rows)}

${s.rounds} rounds, each side in a fresh process, order rotating. leanagg: \`new Prover()\` + \`setup()\` in Node (PSS summed over the Node process, its prover server and the server's worker, the moment \`setup()\` resolves, while that worker starts and before it gives back what it inherited free); native: \`setup_prover()\`. Memory over a node's life, measured once it is steady: \`npm run bench:memory\`.`
}

export function report(r) {
  const m = r.machine
  const load = `Load average ${m.loadAverage.join(' / ')} at the start${m.loadAverageEnd ? `, ${m.loadAverageEnd.join(' / ')} at the end` : ''} (1 / 5 / 15 min; other work shares the machine).`
  return `Machine: ${machineLine(r.machine)}. ${load} ${r.date.slice(0, 16).replace('T', ' ')} UTC, \`${r.command}\`, ${r.config.backend} backend, leanMultisig ${r.config.revision.slice(0, 8)}, log_inv_rate ${r.config.logInvRate}, ${r.config.threads} prover threads on both sides${r.isolation ? `, leanagg's proofs ${r.isolation === 'process' ? 'in prover processes' : 'in-process'}` : ''}.

#### Prove latency per group

${proveTable(r)}

#### Event-loop delay while proving

${loopTable(r)}

#### Cancellation

${cancelTable(r)}

#### Batch verification

${batchTable(r)}

#### Single calls (tinybench)

${microTable(r)}

#### Setup

${setupTable(r)}
`
}
