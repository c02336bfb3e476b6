// The batch section: batchVerify against verifying one item at a time.
import { MESSAGE, SLOT } from '../lib/inputs.mjs'
import { round, summary } from '../lib/stats.mjs'

export async function batchSection(ctx) {
  const { config, log, prover, sigs, kids, groupOf, needSigs, lastAggs } = ctx
  let aggs = lastAggs
  if (aggs.length === 0) {
    log('batch: proving aggregates to verify')
    for (const n of config.sizes) aggs.push(await prover.aggregate(groupOf(n)))
  }
  aggs = [...aggs, ...kids.slice(0, Math.max(0, ...config.children))]
  const sigItems = sigs.signatures.slice(0, needSigs)
  const cases = [
    {
      name: 'aggregates',
      items: aggs.map((a) => ({ kind: 'aggregate', aggregate: a })),
      seq: async () => {
        for (const a of aggs) if (!(await prover.verifyAggregate(a))) throw new Error('invalid')
      },
    },
    {
      name: 'signatures',
      items: sigItems.map((s) => ({ kind: 'signature', publicKey: s.publicKey, message: MESSAGE, signature: s.signature, slot: SLOT })),
      seq: async () => {
        for (const s of sigItems) if (!(await prover.verify(s.publicKey, MESSAGE, s.signature, SLOT))) throw new Error('invalid')
      },
    },
  ]
  cases.push({
    name: 'aggregates + signatures',
    items: [...cases[0].items, ...cases[1].items],
    seq: async () => {
      await cases[0].seq()
      await cases[1].seq()
    },
  })
  const out = []
  for (const c of cases) {
    const batch = []
    const seq = []
    for (let r = 0; r < config.batchReps; r++) {
      const runBatch = async () => {
        const t = performance.now()
        const res = await prover.batchVerify(c.items)
        batch.push(performance.now() - t)
        if (!res.every((x) => x.valid)) throw new Error('batchVerify: an item is invalid')
      }
      const runSeq = async () => {
        const t = performance.now()
        await c.seq()
        seq.push(performance.now() - t)
      }
      if (r % 2 === 0) {
        await runBatch()
        await runSeq()
      } else {
        await runSeq()
        await runBatch()
      }
    }
    const b = summary(batch)
    const s = summary(seq)
    out.push({ name: c.name, items: c.items.length, batchMs: b, sequentialMs: s, speedup: round(s.median / b.median) })
    log(`batch: ${c.name} (${c.items.length}): batch ${b.median.toFixed(1)} ms, sequential ${s.median.toFixed(1)} ms`)
  }
  return { reps: config.batchReps, cases: out }
}
