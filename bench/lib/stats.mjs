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

/** Median, spread and the values themselves. */
export function summary(xs) {
  if (xs.length === 0) return { n: 0, median: null, min: null, max: null, p25: null, p75: null, values: [] }
  return {
    n: xs.length,
    median: round(median(xs)),
    min: round(Math.min(...xs)),
    max: round(Math.max(...xs)),
    p25: round(quantile(xs, 0.25)),
    p75: round(quantile(xs, 0.75)),
    values: xs.map(round),
  }
}

export function round(x, digits = 3) {
  if (x === null || x === undefined || !Number.isFinite(x)) return x ?? null
  const f = 10 ** digits
  return Math.round(x * f) / f
}
