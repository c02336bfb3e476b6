/**
 * Process isolation on the simulated backend, whose faults really crash and whose `burnCpu`
 * really spins: a stopped proof's process is gone, a crash fails one proof, the host lives on.
 */
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { buildSnapshot, type Prover } from '../../src/index.js'
import { REAL, childrenOf, keys, makeProver, message, rejectsWith, signAll, throwsWith, until } from '../support/helpers.js'

const LINUX = process.platform === 'linux'

/** Children of this process's prover servers: the one proving, or the spare waiting for work. */
function proverProcesses(): number[] {
  return childrenOf(process.pid).flatMap(childrenOf)
}

const alive = (pid: number) => {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

/** CPU time (ticks) of a process, from /proc/<pid>/stat; 0 once it is gone. */
function ticks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return Number(f[11]) + Number(f[12])
  } catch {
    return 0
  }
}

/**
 * The process proving now (`burnCpu`): the prover process that has used CPU since this was called.
 * A proof counted as running may not have reached a worker yet; only its CPU use says it has.
 */
async function provingProcess(under = proverProcesses): Promise<number> {
  const before = new Map(under().map((w) => [w, ticks(w)]))
  let busy: number | undefined
  await until(() => {
    busy = under().find((w) => ticks(w) >= (before.get(w) ?? 0) + 3)
    return busy !== undefined
  })
  return busy!
}

const open: Prover[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()))
})

type Options = NonNullable<Parameters<typeof makeProver>[0]>

async function isolated(simulated: Options['simulated'] = {}, extra: Options = {}) {
  const prover = makeProver({ isolation: 'process', simulated, ...extra })
  open.push(prover)
  await prover.setup()
  const ks = await keys(prover, 2)
  const group = async (m: Uint8Array) => ({ message: m, slot: 1, signatures: await signAll(prover, ks, m, 1) })
  return { prover, group }
}

describe.skipIf(REAL)('process isolation (simulated)', () => {
  it('reports what the prover can do', async () => {
    const inProcess = makeProver()
    open.push(inProcess)
    expect(inProcess.capabilities).toMatchObject({ isolation: 'in-process', processIsolationAvailable: LINUX })
    const { prover } = await isolated()
    expect(prover.capabilities).toEqual({ isolation: 'process', canStopRunningProof: true, processIsolationAvailable: true })
  })

  it('proves, verifies and streams a session like in-process', async () => {
    const { prover, group } = await isolated({ proveBaseMs: 5 })
    const groups = await Promise.all([message(1), message(2), message(3)].map(group))
    const session = prover.startSession(buildSnapshot(groups), { deadlineMs: 60_000, verify: true })
    const results = []
    for await (const r of session) results.push(r)
    expect((await session.done).aggregated).toBe(3)
    expect(results.every((r) => r.verified && r.signerCount === 2)).toBe(true)
  })

  it.runIf(LINUX)(
    'an aborted proof is killed: its process is gone, the caller gets ABORTED at once',
    async () => {
      const { prover, group } = await isolated({ proveBaseMs: 10_000, burnCpu: true })
      const ac = new AbortController()
      const proof = prover.aggregate(await group(message(1)), { signal: ac.signal })
      await until(() => prover.load.running === 1)
      const pid = await provingProcess()
      ac.abort()
      await rejectsWith(proof, 'ABORTED')
      await until(() => !alive(pid))
      await prover.idle() // the lane is free again long before the 10 s proof would have ended
      expect(prover.load).toEqual({ running: 0, queued: 0 })
    },
    30_000,
  )

  it.runIf(LINUX)(
    'a cancelled session kills its proof in flight',
    async () => {
      const { prover, group } = await isolated({ proveBaseMs: 10_000, burnCpu: true })
      const session = prover.startSession(buildSnapshot([await group(message(1))]), { deadlineMs: 60_000, admission: false })
      await until(() => prover.load.running === 1)
      const pid = await provingProcess()
      session.cancel('test')
      const summary = await session.done
      expect(summary.outcome).toBe('cancelled')
      await until(() => !alive(pid))
    },
    30_000,
  )

  it.runIf(LINUX)(
    'close() kills the proof in flight and the server, and reports nothing still running',
    async () => {
      const { prover, group } = await isolated({ proveBaseMs: 10_000, burnCpu: true })
      const proof = prover.aggregate(await group(message(1))).catch((e: unknown) => e)
      await until(() => prover.load.running === 1)
      const pid = await provingProcess()
      const report = await prover.close({ timeoutMs: 5000 })
      expect(report.proofStillRunning).toBe(false)
      expect(((await proof) as { code: string }).code).toBe('ABORTED')
      expect(alive(pid)).toBe(false)
      await until(() => childrenOf(process.pid).length === 0)
    },
    30_000,
  )

  it.each([
    ['abort', 'PROVER_CRASHED', 'SIGABRT'],
    ['segfault', 'PROVER_CRASHED', 'SIGSEGV'],
    ['stack-overflow', 'PROVER_CRASHED', 'overflowed its stack'],
    ['out-of-memory', 'PROVER_OUT_OF_MEMORY', 'memory allocation'],
    ['garbled-answer', 'PROVER_CRASHED', 'malformed answer'],
  ] as const)('a prover that dies of %s fails that proof with %s; the next proof works', async (kind, code, detail) => {
    const bad = message(66)
    const { prover, group } = await isolated({ crashOn: [{ message: bad, kind }] }, { maxProofMemoryBytes: 256 << 20 })
    const servers = LINUX ? childrenOf(process.pid) : []
    const e = await rejectsWith(prover.aggregate(await group(bad)), code)
    expect(e.message).toContain(detail)
    const ok = await prover.aggregate(await group(message(1)))
    expect(await prover.verifyAggregate(ok)).toBe(true)
    // The same server proved it: a crash costs one worker, never the server and its setup.
    if (LINUX) expect(childrenOf(process.pid)).toEqual(servers)
  })

  it('a session goes on after a crashed group', async () => {
    const bad = message(66)
    const { prover, group } = await isolated({ crashOn: [{ message: bad, kind: 'abort' }] })
    const session = prover.startSession(buildSnapshot([await group(bad), await group(message(1)), await group(message(2))]), { deadlineMs: 60_000 })
    const summary = await session.done
    expect(summary.aggregated).toBe(2)
    expect(summary.failedByCode).toEqual({ PROVER_CRASHED: 1 })
  })

  it('an aggregate of another claim from the prover process is refused', async () => {
    const lie = message(67)
    const { prover, group } = await isolated({ wrongClaimOn: [lie] })
    const e = await rejectsWith(prover.aggregate(await group(lie)), 'PROVER_FAILED')
    expect(e.message).toContain('another claim')
  })

  it('faults of the prover process are refused in-process (they would kill this process)', () => {
    throwsWith(() => makeProver({ simulated: { crashOn: [{ message: message(1), kind: 'abort' }] } }), 'INVALID_ARGUMENT')
    throwsWith(() => makeProver({ isolation: 'threads' as 'process' }), 'INVALID_ARGUMENT')
    throwsWith(() => makeProver({ isolation: 'process', maxProofMemoryBytes: -1 }), 'INVALID_ARGUMENT')
  })
})

/**
 * The prover server itself dies (a crash, the OOM killer, an operator's SIGKILL): the proof in flight
 * fails with a typed code, the server is started again at once, the host lives on. On both
 * backends: the real server is killed mid-proof and mid-verification.
 */
describe.runIf(LINUX)('a prover server that dies', () => {
  /** This process's prover server (the only child of a test's one isolated prover). */
  async function server(): Promise<number> {
    await until(() => childrenOf(process.pid).length === 1)
    return childrenOf(process.pid)[0]!
  }

  async function restarted(dead: number): Promise<number> {
    await until(() => childrenOf(process.pid).length === 1 && childrenOf(process.pid)[0] !== dead)
    return server()
  }

  it('killed mid-proof: the proof fails as PROVER_CRASHED, the server comes back, the next proof verifies', async () => {
    const { prover, group } = await isolated({ proveBaseMs: 5_000, burnCpu: true })
    const pid = await server()
    const proof = prover.aggregate(await group(message(1)))
    await provingProcess(() => childrenOf(pid))
    process.kill(pid, 'SIGKILL')
    await rejectsWith(proof, 'PROVER_CRASHED')
    await restarted(pid)
    // The server was started again off every call's path; a proof waits for its setup if need be.
    const after = await prover.aggregate(await group(message(3)))
    expect(await prover.verifyAggregate(after)).toBe(true)
  }, 120_000)

  it('closed while it restarts: close() does not wait for the new server, which stops once started', async () => {
    // The simulated server's setup takes 3 s: the restart is still setting up when close() comes.
    const { prover } = await isolated({ setupMs: 3_000 })
    const pid = await server()
    process.kill(pid, 'SIGKILL')
    await until(() => childrenOf(process.pid).some((c) => c !== pid && alive(c)))
    const next = childrenOf(process.pid).find((c) => c !== pid && alive(c))!
    await prover.close()
    // close() came back while the new server was still in its setup (it used to wait for it) ...
    expect(alive(next)).toBe(true)
    // ... and that server is stopped once its start is done: nothing is left running.
    await until(() => !alive(next))
  }, 60_000)

  it('killed mid-verification: verification (in the host) goes on untouched, and the server comes back', async () => {
    // Simulated: one verification takes 2 s. Real: 32 of them in one batch, about a second.
    const { prover, group } = await isolated({ verifyMs: 2_000 })
    const aggregate = await prover.aggregate(await group(message(4)))
    const pid = await server()
    const copies = REAL ? 32 : 1
    const verdicts = prover.batchVerify(Array.from({ length: copies }, () => ({ kind: 'aggregate' as const, aggregate })))
    process.kill(pid, 'SIGKILL')
    expect((await verdicts).map((v) => v.valid)).toEqual(Array(copies).fill(true))
    await restarted(pid)
    expect(await prover.verifyAggregate(await prover.aggregate(await group(message(5))))).toBe(true)
  }, 120_000)
})
