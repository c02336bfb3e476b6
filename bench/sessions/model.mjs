// Prove-time model of leanMultisig on the reference machine (2-core AMD EPYC, AVX2, measured
// through leanagg): median time for a group of n raw signatures, plus a cost per child, and how
// much two proofs at once slow each other. Override with --curve / --child-ms / --shared.

/**
 * [signatures, ms]: the latest measured medians through leanagg (isolated bench: 1 signature
 * ~280 ms, 8 ~450-560, 32 ~900, 128 ~2300-2400). The older curve 550/850/1600/3800 was measured
 * before the native build and the prover's own improvements; pass it with --curve to compare.
 */
export const MEASURED_CURVE = Object.freeze([
  [1, 280],
  [8, 500],
  [32, 900],
  [128, 2300],
])

/**
 * Each child (recursive verification of an earlier aggregate) adds 2.1-2.3 s, growing with its
 * size: measured, 2 children of 8 take ~4.4-4.6 s and 4 children ~8.7-9.1 s, i.e. about 2.1-2.2 s
 * per child of 8 over the 280 ms base (the model gives 4.5 s and 8.7 s). Recursion is far slower
 * than re-proving from raw signatures at this revision.
 */
export const CHILD_MS = Object.freeze({ min: 2100, max: 2300 })

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
    throw new Error(`--curve wants n:ms pairs like 1:280,8:500,32:900,128:2300, got ${text}`)
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
