// The machine the numbers come from, and this process's memory (Linux /proc; null elsewhere).
import { readFileSync, writeFileSync } from 'node:fs'
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

/** Resident and peak resident memory of this process in kB, from /proc/self/status. */
export function memoryKb() {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const field = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'))?.[1] ?? Number.NaN)
    return { rssKb: field('VmRSS'), peakRssKb: field('VmHWM') }
  } catch {
    return { rssKb: Math.round(process.memoryUsage.rss() / 1024), peakRssKb: null }
  }
}

/** Reset the peak resident memory (VmHWM) to the current one: `echo 5 > /proc/self/clear_refs`. */
export function resetPeakMemory() {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
    return true
  } catch {
    return false
  }
}
