import { describe, expect, it } from 'vitest'
import { DEFAULT_ADMISSION, resolveSessionOptions } from '../../../src/session/options.js'
import type { SessionDefaults, SessionOptions } from '../../../src/session/options.js'

const resolve = (o: SessionOptions, d: SessionDefaults = {}) => resolveSessionOptions(o, d, 1000)

describe('resolveSessionOptions', () => {
  it.each<[string, SessionOptions, SessionDefaults, object]>([
    [
      'defaults: late results kept, so nothing-fits starts the best group',
      {},
      {},
      { late: 'deliver', concurrency: 1, admission: { ...DEFAULT_ADMISSION, factor: 1, nothingFits: 'start-best' } },
    ],
    ["late: 'drop' skips when nothing fits, and keeps a safety factor", { late: 'drop' }, {}, { admission: { factor: 1.1, nothingFits: 'skip' } }],
    ['engine defaults apply', {}, { late: 'drop', concurrency: 2 }, { late: 'drop', concurrency: 2, admission: { nothingFits: 'skip' } }],
    [
      'session options win',
      { concurrency: 3, admission: { nothingFits: 'skip', probeAfter: 0 } },
      { concurrency: 2 },
      { concurrency: 3, admission: { nothingFits: 'skip', probeAfter: 0 } },
    ],
    ['admission off', { admission: false }, {}, { admission: false }],
    ['the earlier deadline wins', { deadlineAt: 1500, deadlineMs: 300 }, {}, { deadlineAt: 1300 }],
  ])('%s', (_name, options, defaults, expected) => {
    expect(resolve(options, defaults)).toMatchObject(expected)
  })

  it.each<[string, SessionOptions]>([
    ["'start-best' with late: 'drop'", { late: 'drop', admission: { nothingFits: 'start-best' } }],
    ['unknown nothingFits', { admission: { nothingFits: 'always' as never } }],
    ['factor 0', { admission: { factor: 0 } }],
    ['negative margin', { admission: { marginMs: -1 } }],
    ['fractional probeAfter', { admission: { probeAfter: 1.5 } }],
    ['admission not an object', { admission: 5 as never }],
    ['unknown late policy', { late: 'keep' as never }],
    ['concurrency 0', { concurrency: 0 }],
    ['deadlineMs NaN', { deadlineMs: Number.NaN }],
  ])('rejects %s with INVALID_ARGUMENT', (_name, options) => {
    expect(() => resolve(options)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })
})
