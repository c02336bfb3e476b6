// @ts-check
/**
 * A slot clock: slot s starts at genesis + s x slotMs and has `intervals` equal intervals. Ticks
 * are scheduled against absolute times, so a late timer never shifts the ticks after it.
 */

export class SlotClock {
  /**
   * @param {{ genesisMs: number, slotMs: number, intervals: number, now?: () => number }} options
   */
  constructor({ genesisMs, slotMs, intervals, now = Date.now }) {
    this.genesisMs = genesisMs
    this.slotMs = slotMs
    this.intervals = intervals
    this.intervalMs = slotMs / intervals
    this.now = now
    /** @type {NodeJS.Timeout | undefined} */
    this.timer = undefined
    /** @type {(() => void) | undefined} */
    this.finish = undefined
  }

  /** Wall-clock ms at which `interval` of `slot` starts (interval may equal `intervals`: the next slot). */
  intervalStart(/** @type {number} */ slot, /** @type {number} */ interval) {
    return this.genesisMs + slot * this.slotMs + interval * this.intervalMs
  }

  /**
   * Call `onTick(slot, interval)` at every interval of slots first..last, in order. Resolves at the
   * end of the last slot with 'finished', or with 'stopped' once `stop()` is called; rejects (and
   * stops) if `onTick` throws.
   * @param {number} first
   * @param {number} last
   * @param {(slot: number, interval: number) => void} onTick
   * @returns {Promise<'finished' | 'stopped'>}
   */
  run(first, last, onTick) {
    return new Promise((resolve, reject) => {
      let slot = first
      let interval = 0
      this.finish = () => {
        this.finish = undefined
        clearTimeout(this.timer)
        resolve('stopped')
      }
      const next = () => {
        if (this.finish === undefined) return
        // Slot last + 1, interval 0 is the end of the last slot.
        const wait = this.intervalStart(slot, interval) - this.now()
        if (wait > 0) {
          this.timer = setTimeout(next, wait)
          return
        }
        if (slot > last) {
          this.finish = undefined
          resolve('finished')
          return
        }
        // Due (or overdue after a blocked loop): deliver it, never skip one.
        const s = slot
        const i = interval
        if (++interval === this.intervals) {
          interval = 0
          slot++
        }
        try {
          onTick(s, i)
        } catch (err) {
          this.finish = undefined
          reject(err)
          return
        }
        next()
      }
      next()
    })
  }

  /** Stop ticking; `run` resolves with 'stopped'. Idempotent. */
  stop() {
    this.finish?.()
  }
}
