// What the host sees: event-loop delay (a 1 ms timer's lateness and monitorEventLoopDelay), and
// CPU time of this process and its child processes (native threads included).
import { readFileSync } from 'node:fs'
import { descendants } from './machine.mjs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { round, quantile } from './stats.mjs'

const STALL_MS = 5

/**
 * A 1 ms timer chain and one `monitorEventLoopDelay` histogram per phase. Lateness is credited to
 * the phase in which the timer was armed, so a timer armed before a blocking call counts for it.
 */
export class LoopProbe {
  #phases = new Map()
  #current
  #timer
  #running = false

  phase(name) {
    this.#current?.histogram.disable()
    let p = this.#phases.get(name)
    if (!p) {
      p = { lateness: [], histogram: monitorEventLoopDelay({ resolution: 1 }), ms: 0, since: 0 }
      this.#phases.set(name, p)
    }
    if (this.#current) this.#current.ms += performance.now() - this.#current.since
    p.since = performance.now()
    p.histogram.enable()
    this.#current = p
    if (!this.#running) {
      this.#running = true
      this.#arm()
    }
  }

  #arm() {
    const owner = this.#current
    const due = performance.now() + 1
    this.#timer = setTimeout(() => {
      owner.lateness.push(performance.now() - due)
      if (this.#running) this.#arm()
    }, 1)
  }

  stop() {
    this.#running = false
    clearTimeout(this.#timer)
    if (this.#current) {
      this.#current.histogram.disable()
      this.#current.ms += performance.now() - this.#current.since
      this.#current = undefined
    }
  }

  report(name) {
    const p = this.#phases.get(name)
    if (!p) return null
    const h = p.histogram
    const nsToMs = (ns) => round(ns / 1e6)
    // Time the loop could not run a due timer for more than STALL_MS: the lateness of such timers.
    const stalledMs = p.lateness.filter((x) => x > STALL_MS).reduce((a, b) => a + b, 0)
    return {
      observedMs: round(p.ms, 0),
      stalledMs: round(stalledMs, 1),
      stalledShare: p.ms > 0 ? round(stalledMs / p.ms, 4) : null,
      timer: {
        samples: p.lateness.length,
        p50: round(quantile(p.lateness, 0.5)),
        p99: round(quantile(p.lateness, 0.99)),
        max: round(Math.max(...p.lateness)),
      },
      // Values are the interval between the histogram's 1 ms samples (so about 1 ms when idle).
      histogram: {
        samples: h.count,
        p50: nsToMs(h.percentile(50)),
        p99: nsToMs(h.percentile(99)),
        max: nsToMs(h.max),
      },
    }
  }
}

const TICK_MS = 1000 / 100 // USER_HZ; /proc CPU times are in clock ticks

/** CPU time of every process below `pid`, in ms. */
function childCpuMs(pid) {
  let total = 0
  for (const kid of descendants(pid)) {
    try {
      const stat = readFileSync(`/proc/${kid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      total += (Number(fields[11]) + Number(fields[12])) * TICK_MS
    } catch {} // it exited while we looked
  }
  return total
}

/**
 * Samples CPU time every `intervalMs`: this process (`process.cpuUsage()`, every thread, so the
 * prover pool too) plus its descendants (from /proc, for a prover in another process).
 */
export class CpuSampler {
  samples = []
  #timer

  constructor(intervalMs = 10) {
    this.intervalMs = intervalMs
  }

  start() {
    this.#sample()
    this.#timer = setInterval(() => this.#sample(), this.intervalMs)
    return this
  }

  stop() {
    clearInterval(this.#timer)
    this.#sample()
  }

  #sample() {
    const u = process.cpuUsage()
    this.samples.push({ t: performance.now(), self: (u.user + u.system) / 1000, children: childCpuMs(process.pid) })
  }

  /**
   * When, after `fromT`, CPU use fell to idle: the start of the first `binMs` window under
   * `threshold` cores (`forGood: false`: when the work stopped), or of the first window from
   * which every later one stays under it (`forGood: true`: nothing else started after it).
   * Null if it never did. A child process that exits drops out of the sum; its disappearance
   * counts as free.
   */
  freeAfter(fromT, binMs = 50, threshold = 0.2, { forGood = true } = {}) {
    const s = this.samples.filter((x) => x.t >= fromT - this.intervalMs)
    if (s.length < 2) return null
    const bins = []
    let start = 0
    for (let i = 1; i < s.length; i++) {
      // The last, shorter window counts only if it is at least half a window long.
      if (s[i].t - s[start].t >= binMs || (i === s.length - 1 && s[i].t - s[start].t >= binMs / 2)) {
        const dt = s[i].t - s[start].t
        const self = s[i].self - s[start].self
        const kids = Math.max(0, s[i].children - s[start].children)
        bins.push({ t: s[start].t, cores: (self + kids) / dt })
        start = i
      }
    }
    let free = null
    if (forGood) {
      for (let i = bins.length - 1; i >= 0; i--) {
        if (bins[i].cores < threshold) free = bins[i].t
        else break
      }
    } else {
      free = bins.find((b) => b.cores < threshold)?.t ?? null
    }
    return free === null ? null : Math.max(0, free - fromT)
  }

  /** Mean cores in use between two times. */
  coresBetween(t0, t1) {
    const a = this.samples.find((x) => x.t >= t0)
    const b = [...this.samples].reverse().find((x) => x.t <= t1)
    if (!a || !b || b.t <= a.t) return null
    return (b.self - a.self + Math.max(0, b.children - a.children)) / (b.t - a.t)
  }
}
