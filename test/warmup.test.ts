/** Setup leaves the prover warm: one proof through the path later proofs take (issue 14). */
import { describe, expect, it } from 'vitest'
import { DEFAULT_WARM_UP_SIGNERS } from '../src/index.js'
import { REAL, makeProver, rejectsWith } from './helpers.js'

function recorder() {
  const lines: { msg: string; fields: Record<string, unknown> | undefined }[] = []
  const logger = {
    debug: (msg: string, fields?: Record<string, unknown>) => lines.push({ msg, fields }),
    warn: (msg: string, fields?: Record<string, unknown>) => lines.push({ msg, fields }),
  }
  return { lines, logger }
}

describe('setup({ warmUp })', () => {
  it('proves one group of throwaway signatures at the end of setup; the prover then proves as before', async () => {
    const { lines, logger } = recorder()
    const prover = makeProver({ logger })
    await prover.setup({ warmUp: 4 })
    expect(lines.map((l) => l.msg)).toContain('prover warmed up')
    expect(lines.map((l) => l.msg)).not.toContain('prover warm-up failed')
    expect(prover.load).toEqual({ running: 0, queued: 0 })
    await prover.close()
  })

  it.skipIf(REAL)('is off by default on the simulated backend, on by default on leanMultisig', async () => {
    const { lines, logger } = recorder()
    const prover = makeProver({ logger })
    await prover.setup()
    expect(lines.map((l) => l.msg)).not.toContain('prover warmed up')
    await prover.close()
    expect(DEFAULT_WARM_UP_SIGNERS).toBeGreaterThanOrEqual(2)
  })

  it('a bad warmUp rejects with INVALID_ARGUMENT and leaves the prover usable', async () => {
    const prover = makeProver()
    for (const warmUp of [1, 1.5, -3, Number.NaN]) await rejectsWith(prover.setup({ warmUp }), 'INVALID_ARGUMENT')
    await prover.setup({ warmUp: false })
    expect(prover.isSetUp).toBe(true)
    await prover.close()
  })
})
