/** Shared test fixtures: the backend under test comes from LEANAGG_BACKEND (default simulated). */
import { readdirSync, readFileSync } from 'node:fs'
import { expect } from 'vitest'
import { Prover, type BackendName, type ProverOptions, type SecretKey, type SignedBy, LeanAggError } from '../../src/index.js'

export const BACKEND: BackendName = (process.env.LEANAGG_BACKEND as BackendName | undefined) ?? 'simulated'
export const REAL = BACKEND === 'lean-multisig'

/**
 * A prover for tests. The suites reuse a few seeded keys across many provers and sign one key's
 * slot for many messages (to build groups), which the signing guard refuses by design: their
 * provers opt out with `unguardedForTests` unless a test passes `signing` itself
 * (test/addon/signing/*.test.ts tests the guard, and that it is on by default).
 */
export function makeProver(options: Partial<ProverOptions> = {}): Prover {
  return new Prover({ backend: BACKEND, signing: { unguardedForTests: true }, ...options })
}

export function bytes(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill)
}

export function message(n: number): Uint8Array {
  const m = new Uint8Array(32)
  new DataView(m.buffer).setUint32(0, n, true)
  m[31] = 0xa5
  return m
}

/** `count` keys for slots first..last, seeds derived from `base`. */
export async function keys(prover: Prover, count: number, base = 0, first = 0, last = 15): Promise<SecretKey[]> {
  const out = []
  for (let i = 0; i < count; i++) out.push(await prover.generateKey(bytes(32, base + i + 1), first, last))
  return out
}

export async function signAll(prover: Prover, signers: SecretKey[], msg: Uint8Array, slot: number): Promise<SignedBy[]> {
  return Promise.all(signers.map(async (k) => ({ publicKey: k.publicKey, signature: await prover.sign(k, msg, slot) })))
}

/** Assert that `p` rejects with a LeanAggError of `code`. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<LeanAggError> {
  const e = await p.then(
    () => {
      throw new Error(`expected rejection with ${code}, but it resolved`)
    },
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(LeanAggError)
  expect((e as LeanAggError).code).toBe(code)
  return e as LeanAggError
}

export function throwsWith(fn: () => unknown, code: string): LeanAggError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(LeanAggError)
    expect((e as LeanAggError).code).toBe(code)
    return e as LeanAggError
  }
  throw new Error(`expected a throw with ${code}`)
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex')
}

/** Pids of the processes whose parent is `pid` (Linux /proc). */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'))?.[1] === String(pid)
      } catch {
        return false // it exited while we looked
      }
    })
    .map(Number)
}

/**
 * Wait until `ready()` holds, polling every few milliseconds. No time limit of its own: a
 * condition that never comes fails the test by its timeout, so no assertion leans on the clock.
 */
export async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((r) => setTimeout(r, 2))
}

/** Whether `p` has settled by the next turn of the event loop (i.e. "at once", with no clock). */
export async function settlesAtOnce(p: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending')
  const first = await Promise.race([
    p.then(
      () => undefined,
      () => undefined,
    ),
    new Promise((r) => setImmediate(() => r(pending))),
  ])
  return first !== pending
}
