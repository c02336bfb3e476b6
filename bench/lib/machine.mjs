// The machine the numbers come from, and the memory of this process and the prover processes it
// started (Linux /proc; null elsewhere).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'

export function machine() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown'
  let flags = ''
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8')
    cpuModel = info.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpuModel
    flags = info.match(/^flags\s*:\s*(.+)$/m)?.[1] ?? ''
  } catch {}
  const has = (f) => flags.split(/\s+/).includes(f)
  return {
    hostname: os.hostname(),
    cpuModel,
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpuFlags: flags ? { avx2: has('avx2'), avx512f: has('avx512f') } : null,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  }
}

/** One line: "AMD EPYC, 2 cores, 23.4 GiB, linux x64, Node v20". */
export function machineLine(m) {
  return `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.platform}, Node ${m.node}`
}

/** A file-name-safe name for the machine. */
export function machineSlug(m) {
  return (
    m.hostname
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'machine'
  )
}

/** Resident and peak resident memory of a process (this one by default) in kB, from /proc. */
export function memoryKb(pid = 'self') {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const field = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'))?.[1] ?? Number.NaN)
    return { rssKb: field('VmRSS'), peakRssKb: field('VmHWM') }
  } catch {
    return { rssKb: Math.round(process.memoryUsage.rss() / 1024), peakRssKb: null }
  }
}

/** Reset a process's peak resident memory (VmHWM) to its current one: `echo 5 > /proc/<pid>/clear_refs`. */
export function resetPeakMemory(pid = 'self') {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** Pids of a process's children (every thread's, from /proc/<pid>/task/<tid>/children); [] where /proc is missing. */
export function childrenOf(pid = process.pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number))
  } catch {
    return [] // it exited while we looked, or no /proc
  }
}

/** Pids of the processes below `pid`, children first: with process isolation, the prover server and its workers. */
export function descendants(pid = process.pid) {
  const out = []
  for (let level = childrenOf(pid); level.length; level = level.flatMap((p) => childrenOf(p))) out.push(...level)
  return out
}

/**
 * Proportional set size of a process in bytes (/proc/<pid>/smaps_rollup): a page shared by n
 * processes counts 1/n in each, so sums over processes count copy-on-write pages once, as the
 * kernel does. 0 once the process is gone (or without /proc).
 */
export function pss(pid = process.pid) {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * 1024
  } catch {
    return 0
  }
}

/** PSS of a process and every process below it (with isolation: the prover server and its workers). */
export const treePss = (pid = process.pid) => [pid, ...descendants(pid)].reduce((sum, p) => sum + pss(p), 0)
