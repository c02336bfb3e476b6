/** Large keys (issue 16): keygen runs off the event loop and its promise stops at an abort. */
import { describe, expect, it } from 'vitest'
import { BACKEND, REAL, bytes, makeProver, rejectsWith } from '../../support/helpers.js'

// On the simulated backend keygen is instant, so only the real prover can show a busy keygen.
describe.skipIf(!REAL)(`a large keygen (${BACKEND})`, () => {
  it('leaves the event loop free while it runs', async () => {
    const prover = makeProver()
    let ticks = 0
    const ticker = setInterval(() => ticks++, 5)
    let doneAtTick = -1
    await prover.generateKey(bytes(32, 61), 0, 2 ** 14 - 1).then(() => (doneAtTick = ticks))
    clearInterval(ticker)
    // Timers fired while the key was being built: the JS thread was never blocked by it.
    expect(doneAtTick).toBeGreaterThan(0)
    await prover.close()
  })

  it('rejects with ABORTED when aborted, without waiting for the keygen', async () => {
    const prover = makeProver()
    const ac = new AbortController()
    const keygen = prover.generateKey(bytes(32, 62), 0, 2 ** 14 - 1, { signal: ac.signal })
    let keygenSettled = false
    keygen.then(
      () => (keygenSettled = true),
      () => (keygenSettled = true),
    )
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(keygenSettled).toBe(false)
    ac.abort()
    await rejectsWith(keygen, 'ABORTED')
    await prover.close()
  })
})
