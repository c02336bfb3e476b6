// Prove-time model of leanMultisig on the reference machine (2-core AMD EPYC, AVX2, measured
// through leanagg): median time for a group of n raw signatures, plus a cost per child, and how
// much two proofs at once slow each other. Override with --curve / --child-ms / --shared.

/** [signatures, ms]: measured medians (1 sig 0.5-0.6 s, 8 0.8-0.9 s, 32 1.6 s, 128 3.6-4.1 s). */
export const MEASURED_CURVE = Object.freeze([
  [1, 550],
  [8, 850],
  [32, 1600],
  [128, 3800],
])

/** Each child (recursive verification of an earlier aggregate) adds 0.2-0.5 s, growing with its size. */
export const CHILD_MS = Object.freeze({ min: 200, max: 500 })

/**
 * Each extra proof at once adds this fraction of a proof's solo time. Measured: two groups of 8 at
 * once on a 2-thread pool, 4 groups in 3.1 s against 3.4 s one at a time -> each took 1.82x.
 */
export const SHARED_SLOWDOWN = 0.82

/** Piecewise-linear in n between measured points; the last slope beyond them. */
export function curveMs(curve, n) {
  const pts = curve
  if (n <= pts[0][0]) return pts[0][1]
  for (let i = 1; i < pts.length; i++) {
    const [n1, t1] = pts[i]
    const [n0, t0] = pts[i - 1]
    if (n <= n1 || i === pts.length - 1) return t0 + ((t1 - t0) * (n - n0)) / (n1 - n0)
  }
  return pts.at(-1)[1]
}

export function parseCurve(text) {
  const pts = text.split(',').map((p) => p.split(':').map(Number))
  if (pts.length < 2 || pts.some((p) => p.length !== 2 || !p.every(Number.isFinite))) {
    throw new Error(`--curve wants n:ms pairs like 1:550,8:850,32:1600,128:3800, got ${text}`)
  }
  return pts.sort((a, b) => a[0] - b[0])
}

/**
 * The model: `soloMs(rawSignatures, childSizes, jitter)` and `slowdown(k)`. `jitter` in [-1, 1]
 * spreads a group's time by +-noise (run-to-run noise measured here is about +-5%).
 */
export function proveModel({ curve = MEASURED_CURVE, childMs = CHILD_MS, shared = SHARED_SLOWDOWN, noise = 0.05 } = {}) {
  return {
    curve,
    childMs,
    shared,
    soloMs(raw, childSizes = [], jitter = 0) {
      let ms = curveMs(curve, Math.max(1, raw))
      for (const size of childSizes) ms += childMs.min + (childMs.max - childMs.min) * Math.min(1, size / 128)
      return ms * (1 + noise * jitter)
    },
    slowdown(k) {
      return k <= 1 ? 1 : 1 + shared * (k - 1)
    },
  }
}
