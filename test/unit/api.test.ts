import { describe, expect, it } from 'vitest'
import * as api from '../../src/index.js'
import { native } from '../../src/native.js'
import { REAL, throwsWith } from '../support/helpers.js'

describe('package surface', () => {
  it('exports what the README documents', () => {
    const documented = [
      'Aggregate',
      'AggregationEngine',
      'DEFAULT_LOG_INV_RATE',
      'DEFAULT_MAX_AGGREGATE_BYTES',
      'DEFAULT_QUIET_MS',
      'DEFAULT_WARM_UP_SIGNERS',
      'ERROR_CODES',
      'LeanAggError',
      'MergedAggregate',
      'OnlineCostEstimator',
      'Prover',
      'SecretKey',
      'availableBackends',
      'buildSnapshot',
      'isLeanAggError',
      'reportedExternalMemory',
      'snapshotFromBytes',
      'snapshotToBytes',
      'ValidatorRegistry',
      'aggregateByIndex',
      'verifyByIndex',
      'mergeByIndex',
      'splitByMessage',
      'verifyMultiByIndex',
      'attestationGroup',
      'toSingleMessageAggregate',
      'SingleMessageAggregate',
      'MultiMessageAggregate',
      'AggregationBits',
      'AttestationData',
    ]
    expect(Object.keys(api)).toEqual(expect.arrayContaining(documented))
    const exported = api as Record<string, unknown>
    for (const name of documented) expect(exported[name]).toBeDefined()
  })

  it("ERROR_CODES lists the addon's codes, then the TypeScript layer's own", () => {
    expect(api.ERROR_CODES.slice(0, native.errorCodes().length)).toEqual(native.errorCodes())
    expect(api.ERROR_CODES.slice(native.errorCodes().length)).toEqual([
      'CLOSED',
      'SESSION_SEALED',
      'UNSUPPORTED_PLATFORM',
      'BINDING_NOT_FOUND',
      'VALIDATOR_INDEX_OUT_OF_RANGE',
      'DUPLICATE_VALIDATOR',
      'PARTICIPANTS_MISMATCH',
      'WRONG_PASSPHRASE',
    ])
  })

  it('the simulated backend is always built; the real one only in the real-prover build', () => {
    const backends = api.availableBackends()
    expect(backends).toContain('simulated')
    if (REAL) expect(backends).toContain('lean-multisig')
  })

  it.skipIf(REAL)('asking for leanMultisig in the default build is BACKEND_UNAVAILABLE, not a fallback', () => {
    const e = throwsWith(() => new api.Prover({ backend: 'lean-multisig' }), 'BACKEND_UNAVAILABLE')
    expect(e.message).toContain('build:lean-multisig')
  })
})
