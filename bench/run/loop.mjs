// The loop section: event-loop delay while proving.
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { LoopProbe } from '../lib/probes.mjs'
import { summary } from '../lib/stats.mjs'

export async function loopSection(ctx) {
  const { config, log, work, prover, native, groupOf, loadNative } = ctx
  const group = groupOf(config.loopSize)
  await loadNative('loop', group)
  let syncMethod
  let fifo
  if (native) {
    fifo = path.join(work, 'done.fifo')
    execFileSync('mkfifo', [fifo])
    syncMethod =
      'the same proof by the native program, the JS thread blocked (a synchronous FIFO read) from the request until the proof returns, as a synchronous binding call would block it'
  } else {
    syncMethod = 'Atomics.wait on the JS thread for the time the leanagg proof just before took (no native program in this run)'
  }
  // One phase after the other, each with its own probe histogram (an event-loop histogram that
  // is disabled and enabled again records the gap as one interval): proofs back to back.
  const probe = new LoopProbe()
  const blocker = new Int32Array(new SharedArrayBuffer(4))
  const blocked = []
  const durations = []
  log(`event loop: ${config.loopProofs} leanagg proofs back to back`)
  probe.phase('leanagg (async, off the JS thread)')
  await sleep(5)
  for (let i = 0; i < config.loopProofs; i++) {
    const t = performance.now()
    await prover.aggregate(group)
    durations.push(performance.now() - t)
  }
  await sleep(5)
  log(`event loop: ${config.loopProofs} proofs blocking the JS thread`)
  probe.phase('synchronous baseline (JS thread blocked)')
  await sleep(5)
  for (let i = 0; i < config.loopProofs; i++) {
    if (native) blocked.push((await native.proveBlocking('loop', fifo)).blockedMs)
    else {
      const t0 = performance.now()
      Atomics.wait(blocker, 0, 0, durations[i])
      blocked.push(performance.now() - t0)
    }
    await sleep(1) // back to the loop between proofs, as a caller of a synchronous API would be
  }
  await sleep(5)
  log('event loop: idle')
  probe.phase('idle')
  await sleep(durations.reduce((x, y) => x + y, 0))
  probe.stop()
  const names = ['idle', 'leanagg (async, off the JS thread)', 'synchronous baseline (JS thread blocked)']
  return {
    signatures: config.loopSize,
    proofs: config.loopProofs,
    syncMethod,
    syncBlockedMs: summary(blocked),
    conditions: Object.fromEntries(names.map((n) => [n, probe.report(n)])),
  }
}
