// The setup section: each side set up in fresh processes, in rotating order.
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { pss } from '../lib/machine.mjs'
import { NativeBench, nativeBinPath } from '../lib/native.mjs'
import { summary } from '../lib/stats.mjs'
import { rotate } from './rounds.mjs'

export async function setupSection(ctx) {
  const { config, log, useNative, nativeReason, root } = ctx
  const probeLeanagg = () => {
    const out = execFileSync(process.execPath, [path.join(root, 'bench/lib/setup-probe.mjs'), config.backend, String(config.threads)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    return JSON.parse(
      out
        .split('\n')
        .find((l) => l.startsWith('@@bench '))
        .slice(8),
    )
  }
  const probeNative = async (runOn) => {
    const nb = await NativeBench.start(nativeBinPath(root), config.threads, runOn)
    const r = await nb.request('setup')
    const pssKb = Math.round(pss(nb.pid) / 1024)
    await nb.close()
    return { setupMs: r.setupMs, rssBeforeKb: nb.info.rssKb, rssKb: r.rssKb, pssKb, peakRssKb: r.peakRssKb }
  }
  const sides = ['leanagg', ...(useNative ? config.nativeModes : [])]
  const runs = Object.fromEntries(sides.map((x) => [x, []]))
  for (let r = 0; r < config.setupRounds; r++) {
    for (const side of rotate(sides, r)) {
      log(`setup: round ${r + 1}/${config.setupRounds}, ${side === 'leanagg' ? side : `native (${side})`} (fresh process)`)
      runs[side].push(side === 'leanagg' ? probeLeanagg() : await probeNative(side))
    }
  }
  const sum = (xs) => ({
    setupMs: summary(xs.map((x) => x.setupMs)),
    rssKb: summary(xs.map((x) => x.rssKb)),
    pssKb: summary(xs.map((x) => x.pssKb)),
    serverRssKb: summary(xs.map((x) => x.serverRssKb ?? 0)),
    rssBeforeKb: summary(xs.map((x) => x.rssBeforeKb)),
    peakRssKb: summary(xs.map((x) => x.peakRssKb)),
  })
  const out = { rounds: config.setupRounds, leanagg: sum(runs.leanagg), native: useNative ? sum(runs.pool) : { skipped: nativeReason } }
  if (runs.caller) out.nativeCaller = sum(runs.caller)
  return out
}
