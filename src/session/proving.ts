/**
 * What snapshot and open sessions share about one proof: guarded reads of the injected estimator,
 * the prover call with its optional verification, and the bounded wait for abandoned calls.
 */
import type { Aggregate } from '../aggregate.js'
import type { AggregationGroup } from '../types.js'
import { within } from './clock.js'
import type { CostEstimator } from './estimator.js'
import { codeOf, messageOf } from './fail.js'
import type { ResolvedSessionOptions } from './options.js'
import type { Clock, ErrorCode, GroupProver, Logger } from './types.js'

/** An injected estimator that throws or returns nonsense counts as "no estimate" (0 ms). */
export function safeEstimate(estimator: CostEstimator, logger: Logger, signers: number, children: number): number {
  try {
    const ms = estimator.estimate(signers, children)
    return Number.isFinite(ms) && ms > 0 ? ms : 0
  } catch (err) {
    logger.warn('estimator.estimate threw', { err })
    return 0
  }
}

/** How much slower each of `k` proofs at once runs; an estimator without an answer means k. */
export function safeSlowdown(estimator: CostEstimator, k: number): number {
  if (k <= 1) return 1
  try {
    const s = estimator.slowdown?.(k) ?? k
    return Number.isFinite(s) && s >= 1 ? s : k
  } catch {
    return k
  }
}

/** How far proof times stray from the estimate (its residual deviation), or 0 if it cannot say. */
export function safeSpread(estimator: CostEstimator): number {
  try {
    const ms = estimator.snapshot().residualStdMs
    return Number.isFinite(ms) && ms > 0 ? ms : 0
  } catch {
    return 0
  }
}

/** Feed the estimator one measured proof; a throwing estimator is reported, never fatal. */
export function safeObserve(estimator: CostEstimator, logger: Logger, sample: Parameters<CostEstimator['observe']>[0]): void {
  try {
    estimator.observe(sample)
  } catch (err) {
    logger.warn('estimator.observe threw', { err })
  }
}

export type ProofEnd =
  | { readonly ok: true; readonly aggregate: Aggregate; readonly provedAt: number }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string }

/**
 * Prove `group` (and verify the aggregate if the session asks). Never rejects: a throw, a
 * rejection or a failed verification comes back as `{ ok: false }` with a typed code.
 * `abandoned()` is read after each await: an abandoned proof's verification is skipped.
 */
async function proveGroup(
  prover: GroupProver,
  clock: Clock,
  opts: Pick<ResolvedSessionOptions, 'logInvRate' | 'verify'>,
  group: AggregationGroup,
  signal: AbortSignal,
  abandoned: () => boolean,
): Promise<ProofEnd> {
  let aggregate: Aggregate
  try {
    aggregate = await prover.aggregate(group, { signal, ...(opts.logInvRate !== undefined && { logInvRate: opts.logInvRate }) })
  } catch (err) {
    return { ok: false, code: codeOf(err), detail: messageOf(err) }
  }
  const provedAt = clock.now()
  if (!opts.verify || abandoned()) return { ok: true, aggregate, provedAt }
  try {
    if (!(await prover.verifyAggregate(aggregate, { signal }))) {
      return { ok: false, code: 'INVALID_AGGREGATE', detail: 'the produced aggregate did not verify' }
    }
  } catch (err) {
    return { ok: false, code: codeOf(err), detail: `verification failed: ${messageOf(err)}` }
  }
  return { ok: true, aggregate, provedAt }
}

/** What a session tracks of one proof in flight. */
export interface ProofRun {
  readonly controller: AbortController
  /** The session gave it up: its result is fenced off. */
  abandoned: boolean
  /** An outcome was recorded for it. */
  recorded: boolean
}

/**
 * Start proving `group` for a session: the result goes to `proved`, a failure to `failed`, both
 * only while the run is not abandoned, and a throw in either (a getter, an estimator) becomes a
 * failure if nothing was recorded yet. Returns the call, settled once the prover returns.
 */
export function launchProof(
  host: { prover: GroupProver; clock: Clock; logger: Logger },
  opts: Pick<ResolvedSessionOptions, 'logInvRate' | 'verify'>,
  group: AggregationGroup & { readonly key: string },
  run: ProofRun,
  sessionId: number,
  proved: (aggregate: Aggregate, provedAt: number) => void,
  failed: (code: ErrorCode, detail: string) => void,
): Promise<void> {
  return proveGroup(host.prover, host.clock, opts, group, run.controller.signal, () => run.abandoned)
    .then((end) => {
      if (run.abandoned) return // fenced: this session no longer owns the result
      if (end.ok) proved(end.aggregate, end.provedAt)
      else failed(end.code, end.detail)
    })
    .catch((err: unknown) => {
      if (!run.recorded && !run.abandoned) failed(codeOf(err), messageOf(err))
      else host.logger.warn('error after a proof finished', { sessionId, key: group.key, err })
    })
}

/**
 * Cancel on the caller's signal (at once if it already fired). Returns the listener to remove at
 * settle, if one was added.
 */
export function cancelOnAbort(signal: AbortSignal | undefined, cancel: (reason: string) => void): (() => void) | undefined {
  if (signal === undefined) return undefined
  const onAbort = () => cancel(signal.reason === undefined ? 'aborted' : messageOf(signal.reason))
  if (signal.aborted) onAbort()
  else signal.addEventListener('abort', onAbort, { once: true })
  return onAbort
}

/** Wait for abandoned prover calls to return, at most `timeoutMs`; true if they all did. */
export async function drainCalls(clock: Clock, calls: readonly Promise<unknown>[], timeoutMs: number): Promise<boolean> {
  if (calls.length === 0) return true
  return (await within(clock, timeoutMs, Promise.allSettled(calls))) !== 'timeout'
}
