/** The session clock's one-shot timer: deadlines far away must not fire at once. */
import { describe, expect, it } from 'vitest'
import { MAX_TIMER_MS, systemClock, timer } from '../../../src/session/clock.js'
import type { Clock } from '../../../src/session/types.js'

describe('timer', () => {
  it('a wait past what a Node timer holds neither fires nor warns (found by the fuzz harness: deadlineMs 2^40)', async () => {
    const warnings: Error[] = []
    const onWarning = (w: Error) => warnings.push(w)
    process.on('warning', onWarning)
    let fired = false
    const t = timer(systemClock, 2 ** 40, () => {
      fired = true
    })
    await new Promise((r) => setTimeout(r, 30))
    t.cancel()
    process.off('warning', onWarning)
    expect(fired).toBe(false)
    expect(warnings.map((w) => w.name)).not.toContain('TimeoutOverflowWarning')
  })

  it('takes such a wait in steps and fires once at its end', () => {
    const waits: number[] = []
    let pending: (() => void) | undefined
    const clock: Clock = {
      now: () => 0,
      setTimeout: (fn, ms) => {
        waits.push(ms)
        pending = fn
        return waits.length
      },
      clearTimeout: () => {
        pending = undefined
      },
    }
    let fired = 0
    timer(clock, 2 * MAX_TIMER_MS + 5, () => fired++)
    while (pending) {
      const run = pending
      pending = undefined
      run()
    }
    expect(waits).toEqual([MAX_TIMER_MS, MAX_TIMER_MS, 5])
    expect(fired).toBe(1)
  })

  it('cancel stops a stepped wait', () => {
    let pending: (() => void) | undefined
    const clock: Clock = {
      now: () => 0,
      setTimeout: (fn) => {
        pending = fn
        return 1
      },
      clearTimeout: () => {
        pending = undefined
      },
    }
    let fired = 0
    const t = timer(clock, 3 * MAX_TIMER_MS, () => fired++)
    pending?.()
    t.cancel()
    expect(pending).toBeUndefined()
    expect(fired).toBe(0)
  })

  it("systemClock's timers do not keep the process alive unless asked to (an open session's work is awaited)", () => {
    const quiet = systemClock.setTimeout(() => {}, 10_000) as NodeJS.Timeout
    const kept = systemClock.setTimeout(() => {}, 10_000, true) as NodeJS.Timeout
    expect(quiet.hasRef()).toBe(false)
    expect(kept.hasRef()).toBe(true)
    systemClock.clearTimeout(quiet)
    systemClock.clearTimeout(kept)
  })
})
