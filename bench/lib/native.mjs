// Client of the native benchmark program (native/lean-multisig/bench/native_bench.rs):
// leanMultisig called directly from Rust, in a long-lived child process driven over stdin.
import { spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'

const REPLY = '@@bench '

/** Where `cargo build --release --example native_bench` puts the program (or $LEANAGG_NATIVE_BENCH). */
export function nativeBinPath(root) {
  return process.env.LEANAGG_NATIVE_BENCH ?? path.join(root, 'target', 'release', 'examples', 'native_bench')
}

export function nativeAvailable(root) {
  return existsSync(nativeBinPath(root))
}

export class NativeBench {
  #child
  #pending = []
  #exited
  /** Lines leanMultisig printed on stdout (not replies); counted, never shown. */
  otherLines = 0
  info

  static async start(bin, threads, runOn = 'pool') {
    const nb = new NativeBench(bin, threads, runOn)
    nb.info = await nb.#next()
    return nb
  }

  constructor(bin, threads, runOn = 'pool') {
    this.#child = spawn(bin, ['--threads', String(threads), '--run-on', runOn], { stdio: ['pipe', 'pipe', 'inherit'] })
    this.#exited = new Promise((resolve) => this.#child.once('exit', (code, signal) => resolve({ code, signal })))
    this.#child.once('exit', (code, signal) => {
      for (const p of this.#pending.splice(0)) p.reject(new Error(`native_bench exited (${code ?? signal})`))
    })
    this.#child.once('error', (e) => {
      for (const p of this.#pending.splice(0)) p.reject(e)
    })
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      if (!line.startsWith(REPLY)) {
        this.otherLines++
        return
      }
      const reply = JSON.parse(line.slice(REPLY.length))
      const p = this.#pending.shift()
      if (!p) return
      if (reply.ok) p.resolve(reply)
      else p.reject(new Error(`native_bench: ${reply.error}`))
    })
  }

  get pid() {
    return this.#child.pid
  }

  #next() {
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }))
  }

  /** Send one command; resolves with its reply. */
  request(command) {
    const reply = this.#next()
    this.#child.stdin.write(`${command}\n`)
    return reply
  }

  /**
   * Prove with the JS thread blocked for the proof's whole duration: the request goes out, then
   * the thread blocks opening the FIFO `fifo` until the program opens it for writing, which it
   * does the moment `aggregate_type_1` returns. Resolves with the reply and the blocked time.
   */
  async proveBlocking(id, fifo) {
    const reply = this.#next()
    await new Promise((resolve, reject) => this.#child.stdin.write(`prove ${id} ${fifo} -\n`, (e) => (e ? reject(e) : resolve())))
    const t0 = performance.now()
    const fd = openSync(fifo, 'r') // blocks the event loop until the proof is done
    const buf = Buffer.alloc(16)
    readSync(fd, buf)
    closeSync(fd)
    const blockedMs = performance.now() - t0
    return { ...(await reply), blockedMs }
  }

  async close() {
    this.#child.stdin.end('exit\n')
    await this.#exited
  }
}
