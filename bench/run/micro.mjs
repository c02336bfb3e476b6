// The micro section: sub-millisecond to millisecond calls (tinybench).
import { Bench } from 'tinybench'
import { MESSAGE, SLOT } from '../lib/inputs.mjs'
import { round } from '../lib/stats.mjs'

export async function microSection(ctx) {
  const { config, log, prover, sigs, groupOf, lastAggs } = ctx
  const s = sigs.signatures[0]
  const agg = lastAggs.find((a) => a.signerCount === config.loopSize) ?? (await prover.aggregate(groupOf(config.loopSize)))
  const bytes = agg.toBytes()
  const bench = new Bench({ time: config.microMs, warmupTime: Math.min(200, config.microMs), iterations: 10, throws: true })
  bench
    .add('verifySync: 1 signature (JS thread)', () => {
      if (!prover.verifySync(s.publicKey, MESSAGE, s.signature, SLOT)) throw new Error('invalid')
    })
    .add('verify: 1 signature (async)', async () => {
      if (!(await prover.verify(s.publicKey, MESSAGE, s.signature, SLOT))) throw new Error('invalid')
    })
    .add(`verifyAggregate: ${agg.signerCount} signers (async)`, async () => {
      if (!(await prover.verifyAggregate(agg))) throw new Error('invalid')
    })
    .add(`aggregateFromBytes + toBytes: ${(bytes.length / 1024).toFixed(0)} KiB (parse async, serialise on the JS thread)`, async () => {
      const a = await prover.aggregateFromBytes(bytes)
      if (a.toBytes().length !== bytes.length) throw new Error('round trip')
    })
    .add('messageFields: 32-byte message (JS thread)', () => {
      prover.messageFields(MESSAGE)
    })
  log('micro: tinybench')
  await bench.run()
  return {
    tool: 'tinybench',
    timeMs: config.microMs,
    tasks: bench.tasks.map((t) => {
      const r = t.result
      if (r.state !== 'completed') return { name: t.name, error: r.error?.message ?? r.state }
      return {
        name: t.name,
        samples: r.latency.samplesCount ?? r.latency.samples?.length ?? null,
        meanMs: round(r.latency.mean, 4),
        p50Ms: round(r.latency.p50, 4),
        p99Ms: round(r.latency.p99, 4),
        opsPerS: round(r.throughput.mean, 1),
      }
    }),
  }
}
