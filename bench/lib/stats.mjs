// Small statistics helpers. Every summary keeps its raw values so the JSON can be re-analysed.

/** Quantile `q` (0..1) of `xs`, linear interpolation between order statistics. */
export function quantile(xs, q) {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return s[lo] + (s[hi] - s[lo]) * (pos - lo)
}

export const median = (xs) => quantile(xs, 0.5)

/** Median, spread and the values themselves, rounded to `digits` decimals. */
export function summary(xs, digits = 3) {
  if (xs.length === 0) return { n: 0, median: null, min: null, max: null, p25: null, p75: null, values: [] }
  const r = (x) => round(x, digits)
  return {
    n: xs.length,
    median: r(median(xs)),
    min: r(Math.min(...xs)),
    max: r(Math.max(...xs)),
    p25: r(quantile(xs, 0.25)),
    p75: r(quantile(xs, 0.75)),
    values: xs.map(r),
  }
}

export function round(x, digits = 3) {
  if (x === null || x === undefined || !Number.isFinite(x)) return x ?? null
  const f = 10 ** digits
  return Math.round(x * f) / f
}
