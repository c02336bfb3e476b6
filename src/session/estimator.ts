/**
 * Proving-cost model: ms = baseMs + perSignerMs * signers + perChildMs * children, fitted online
 * by recursive least squares with forgetting, starting from a prior the caller can pass.
 */
import { LeanAggError } from '../errors.js'

export interface CostPrior {
  baseMs: number
  perSignerMs: number
  perChildMs: number
}

/**
 * Order-of-magnitude prior from what clients report for leanMultisig (a few hundred ms to a few
 * seconds per group on devnet hardware). Pass your own measured prior; the fit replaces it fast.
 */
export const DEFAULT_COST_PRIOR: Readonly<CostPrior> = Object.freeze({ baseMs: 300, perSignerMs: 4, perChildMs: 150 })

export interface CostSample {
  /** Raw signatures proved (children's signers are not re-verified). */
  signers: number
  children: number
  /** Measured proving time. */
  ms: number
}

export interface EstimatorSnapshot extends CostPrior {
  samples: number
  /** Exponentially weighted RMS of the prediction error before each update. */
  residualStdMs: number
}

/** What the engine needs; inject your own to share a model across engines or persist it. */
export interface CostEstimator {
  /** Expected proving time in ms, never negative. */
  estimate(signers: number, children: number): number
  observe(sample: CostSample): void
  snapshot(): EstimatorSnapshot
}

export interface OnlineCostEstimatorOptions {
  prior?: Partial<CostPrior>
  /** How many samples' worth of confidence the prior carries. Default 2. */
  priorWeight?: number
  /** RLS forgetting factor in (0, 1]: older samples weigh less so the fit follows load. Default 0.98. */
  forgetting?: number
}

export class OnlineCostEstimator implements CostEstimator {
  readonly #theta: number[]
  #p: number[][]
  readonly #p0Trace: number
  readonly #lambda: number
  #samples = 0
  #residualVar = 0

  constructor(options: OnlineCostEstimatorOptions = {}) {
    const prior = { ...DEFAULT_COST_PRIOR, ...options.prior }
    for (const [name, v] of Object.entries(prior)) {
      if (!Number.isFinite(v) || v < 0) throw new LeanAggError('INVALID_ARGUMENT', `prior.${name} must be a finite number >= 0`)
    }
    const weight = options.priorWeight ?? 2
    const lambda = options.forgetting ?? 0.98
    if (!(weight > 0) || !Number.isFinite(weight)) throw new LeanAggError('INVALID_ARGUMENT', 'priorWeight must be > 0')
    if (!(lambda > 0 && lambda <= 1)) throw new LeanAggError('INVALID_ARGUMENT', 'forgetting must be in (0, 1]')
    this.#theta = [prior.baseMs, prior.perSignerMs, prior.perChildMs]
    // P0 = I / weight: a ridge pull of `weight` towards the prior on each coefficient.
    this.#p = identity(3, 1 / weight)
    this.#p0Trace = 3 / weight
    this.#lambda = lambda
  }

  estimate(signers: number, children: number): number {
    const [b, s, c] = this.#theta as [number, number, number]
    return Math.max(0, b + s * signers + c * children)
  }

  observe(sample: CostSample): void {
    const { signers, children, ms } = sample
    if (![signers, children, ms].every((v) => Number.isFinite(v) && v >= 0)) return
    const x = [1, signers, children]
    const err = ms - dot(this.#theta, x)
    const px = this.#p.map((row) => dot(row, x))
    const gain = px.map((v) => v / (this.#lambda + dot(x, px)))
    for (let i = 0; i < 3; i++) this.#theta[i]! += gain[i]! * err
    const next = this.#p.map((row, i) => row.map((v, j) => (v - gain[i]! * px[j]!) / this.#lambda))
    // Forgetting inflates P along directions no sample excites (windup): never exceed the prior's.
    const tr = next[0]![0]! + next[1]![1]! + next[2]![2]!
    this.#p = tr > this.#p0Trace ? next.map((row) => row.map((v) => (v * this.#p0Trace) / tr)) : next
    this.#residualVar = this.#samples === 0 ? err * err : 0.9 * this.#residualVar + 0.1 * err * err
    this.#samples++
  }

  snapshot(): EstimatorSnapshot {
    const [baseMs, perSignerMs, perChildMs] = this.#theta as [number, number, number]
    return { baseMs, perSignerMs, perChildMs, samples: this.#samples, residualStdMs: Math.sqrt(this.#residualVar) }
  }
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}

function identity(n: number, scale: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? scale : 0)))
}
