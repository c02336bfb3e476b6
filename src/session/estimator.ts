/**
 * Proving-cost model: ms = baseMs + perSignerMs * signers + perChildMs * children, fitted online
 * by recursive least squares with forgetting, starting from a prior the caller can pass. Proofs
 * that shared the prover with others are not fitted into it: they teach the shared-pool slowdown.
 * Robust to outliers (Huber): a sample's prediction error is clipped to max(3 residual deviations,
 * a quarter of the prediction, 20 ms) before it updates the fit, and the residual deviation is
 * tracked from clipped errors, so one cold or preempted proof moves the estimate by a bounded step
 * and does not widen the gate for the next. A second outlier in a row on the same side is a change
 * (the machine got slower or faster): the coefficients that sample involves are scaled so the fit
 * predicts it, and a lasting change is learned within two samples.
 */
import { LeanAggError } from '../errors.js'

export interface CostPrior {
  baseMs: number
  perSignerMs: number
  perChildMs: number
}

/**
 * Prior from leanMultisig at the pinned revision, measured through leanagg on a 2-core AVX2 machine
 * (README benchmarks): 1 signature about 280 ms, 8 about 450-560, 32 about 900, 128 about 2300;
 * each child aggregate about 2 s more (2 children of 8 take 4.4-4.6 s). A linear fit of those.
 * Pass your own measured prior on other hardware; the fit replaces it within a few proofs.
 */
export const DEFAULT_COST_PRIOR: Readonly<CostPrior> = Object.freeze({ baseMs: 300, perSignerMs: 16, perChildMs: 2000 })

export interface CostSample {
  /** Raw signatures proved (children's signers are not re-verified). */
  signers: number
  children: number
  /** Measured proving time. */
  ms: number
  /** Proofs running at once, averaged over this one's run (1: it had the prover to itself). */
  concurrent?: number
}

export interface EstimatorSnapshot extends CostPrior {
  samples: number
  /** Exponentially weighted RMS of the prediction error before each update. */
  residualStdMs: number
  /** Fraction of its solo time each extra proof running at once adds (see `slowdown`). */
  sharedSlowdown?: number
}

/** What the engine needs; inject your own to share a model across engines or persist it. */
export interface CostEstimator {
  /** Expected proving time in ms, never negative. */
  estimate(signers: number, children: number): number
  observe(sample: CostSample): void
  snapshot(): EstimatorSnapshot
  /**
   * Optional: how many times longer each of `concurrent` proofs running at once takes than one
   * alone (1 for one proof). Without it the engine assumes `concurrent`: no gain from a second lane.
   */
  slowdown?(concurrent: number): number
}

export interface OnlineCostEstimatorOptions {
  prior?: Partial<CostPrior>
  /** How many samples' worth of confidence the prior carries. Default 2. */
  priorWeight?: number
  /**
   * RLS forgetting factor in (0, 1]: older samples weigh less so the fit follows load (at 0.98 a
   * sample's weight halves after 34 newer ones). Default 0.98.
   */
  forgetting?: number
  /**
   * Prior for the shared-pool slowdown: each extra proof at once adds this fraction of a proof's
   * solo time (1: no gain from proving two at once; 0: they do not compete). Default 0.9; two
   * 8-signature leanMultisig proofs at once on a 2-core pool measured 0.82.
   */
  sharedSlowdown?: number
}

export class OnlineCostEstimator implements CostEstimator {
  readonly #theta: number[]
  #p: number[][]
  readonly #p0Trace: number
  readonly #lambda: number
  #samples = 0
  #residualVar = 0
  /** Sign of the last sample's error if it was clipped, else 0. */
  #lastOutlier = 0
  #shared: number
  /**
   * Proof time is not linear in signers (at this revision it is steeper below 32): per power-of-two
   * size class, the ratio of measured time to the linear fit, learned as proofs come in.
   */
  readonly #shape = new Map<number, number>()

  constructor(options: OnlineCostEstimatorOptions = {}) {
    const prior = { ...DEFAULT_COST_PRIOR, ...options.prior }
    for (const [name, v] of Object.entries(prior)) {
      if (!Number.isFinite(v) || v < 0) throw new LeanAggError('INVALID_ARGUMENT', `prior.${name} must be a finite number >= 0`)
    }
    const weight = options.priorWeight ?? 2
    const lambda = options.forgetting ?? 0.98
    if (!(weight > 0) || !Number.isFinite(weight)) throw new LeanAggError('INVALID_ARGUMENT', 'priorWeight must be > 0')
    if (!(lambda > 0 && lambda <= 1)) throw new LeanAggError('INVALID_ARGUMENT', 'forgetting must be in (0, 1]')
    const shared = options.sharedSlowdown ?? 0.9
    if (!(Number.isFinite(shared) && shared >= 0)) throw new LeanAggError('INVALID_ARGUMENT', 'sharedSlowdown must be a finite number >= 0')
    this.#shared = shared
    this.#theta = [prior.baseMs, prior.perSignerMs, prior.perChildMs]
    // P0 = I / weight: a ridge pull of `weight` towards the prior on each coefficient.
    this.#p = identity(3, 1 / weight)
    this.#p0Trace = 3 / weight
    this.#lambda = lambda
  }

  estimate(signers: number, children: number): number {
    return Math.max(0, this.#linear(signers, children) * this.#shapeAt(signers))
  }

  #linear(signers: number, children: number): number {
    const [b, s, c] = this.#theta as [number, number, number]
    return b + s * signers + c * children
  }

  /** The learned shape ratio at `signers`, interpolated in log2 between size classes (1 where unseen). */
  #shapeAt(signers: number): number {
    const x = Math.log2(Math.max(1, signers))
    const lo = Math.floor(x)
    const at = (k: number) => this.#shape.get(k) ?? 1
    return at(lo) + (at(lo + 1) - at(lo)) * (x - lo)
  }

  slowdown(concurrent: number): number {
    return concurrent <= 1 ? 1 : 1 + this.#shared * (concurrent - 1)
  }

  observe(sample: CostSample): void {
    const { signers, children, ms } = sample
    const concurrent = sample.concurrent ?? 1
    if (![signers, children, ms].every((v) => Number.isFinite(v) && v >= 0) || !(concurrent >= 1)) return
    if (concurrent > 1.05) {
      this.#observeShared(ms / Math.max(1, this.estimate(signers, children)), concurrent)
      return
    }
    const x = [1, signers, children]
    const linear = dot(this.#theta, x)
    const predicted = Math.max(0, linear) * this.#shapeAt(signers)
    const raw = ms - predicted
    const limit = this.#clipAt(predicted)
    const clipped = clip(raw, limit)
    const outlier = raw === clipped ? 0 : Math.sign(raw)
    // One outlier is clipped. A second in a row on the same side is a change (the machine got
    // slower or faster): the coefficients this sample involves are scaled so the fit predicts it.
    const change = outlier !== 0 && outlier === this.#lastOutlier
    this.#lastOutlier = change ? 0 : outlier
    let err = clipped
    if (change && predicted > 1) {
      for (let i = 0; i < 3; i++) if (x[i] !== 0) this.#theta[i]! *= ms / predicted
      this.#shape.clear()
      err = 0
    } else if (change) {
      err = raw
    }
    const px = this.#p.map((row) => dot(row, x))
    const gain = px.map((v) => v / (this.#lambda + dot(x, px)))
    // The linear fit learns from the sample as measured (its error against the linear part alone).
    const linearErr = change ? 0 : predicted + err - linear
    for (let i = 0; i < 3; i++) this.#theta[i]! += gain[i]! * linearErr
    const next = this.#p.map((row, i) => row.map((v, j) => (v - gain[i]! * px[j]!) / this.#lambda))
    // Forgetting inflates P along directions no sample excites (windup): never exceed the prior's.
    const tr = next[0]![0]! + next[1]![1]! + next[2]![2]!
    this.#p = tr > this.#p0Trace ? next.map((row) => row.map((v) => (v * this.#p0Trace) / tr)) : next
    // From clipped errors only: an outlier, or a change, does not widen the gate for the next.
    this.#residualVar = 0.9 * this.#residualVar + 0.1 * clipped * clipped
    // The shape is learned from samples the fit could already predict: not while it converges, not from outliers.
    if (outlier === 0 && this.#samples >= 5) this.#learnShape(signers, children, ms)
    this.#samples++
  }

  /** Move the sample's size class towards the ratio of `ms` to the linear fit's prediction. */
  #learnShape(signers: number, children: number, ms: number): void {
    const linear = this.#linear(signers, children)
    if (!(linear > 1) || children > 0) return
    const k = Math.round(Math.log2(Math.max(1, signers)))
    const ratio = Math.min(2, Math.max(0.5, ms / linear))
    this.#shape.set(k, 0.8 * (this.#shape.get(k) ?? 1) + 0.2 * ratio)
  }

  /** Errors beyond this are clipped: 3 residual deviations, at least a quarter of the prediction (and 20 ms). */
  #clipAt(predicted: number): number {
    return Math.max(3 * Math.sqrt(this.#residualVar), 0.25 * Math.abs(predicted), 20)
  }

  /** A shared proof took `ratio` times its solo estimate with `concurrent` at once on average. */
  #observeShared(ratio: number, concurrent: number): void {
    const measured = Math.min(2, Math.max(0, (ratio - 1) / (concurrent - 1)))
    this.#shared = 0.8 * this.#shared + 0.2 * measured
  }

  snapshot(): EstimatorSnapshot {
    const [baseMs, perSignerMs, perChildMs] = this.#theta as [number, number, number]
    return { baseMs, perSignerMs, perChildMs, samples: this.#samples, residualStdMs: Math.sqrt(this.#residualVar), sharedSlowdown: this.#shared }
  }
}

function clip(v: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, v))
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}

function identity(n: number, scale: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? scale : 0)))
}
