// The chart, rendered headless with Vega-Lite: per-group prove latency against group size,
// leanagg and native on the same log-log axes, and the leanagg/native ratio beneath.
import * as vega from 'vega'
import { compile } from 'vega-lite'

export function chartSpec(results) {
  const rows = []
  const ratios = []
  for (const g of results.prove.groups) {
    if (g.children > 0) continue // the chart is against signature count; children groups are in the table
    for (const side of ['leanagg', 'native']) {
      const s = g[side]?.proveMs
      if (s?.median != null)
        rows.push({ signatures: g.signatures, side: side === 'native' ? 'leanMultisig (Rust)' : 'leanagg (Node)', median: s.median, min: s.min, max: s.max })
    }
    if (g.ratio?.median != null) ratios.push({ signatures: g.signatures, median: g.ratio.median, min: g.ratio.min, max: g.ratio.max })
  }
  const sizes = [...new Set(rows.map((r) => r.signatures))]
  const x = {
    field: 'signatures',
    type: 'quantitative',
    scale: { type: 'log', base: 2, padding: 16 },
    axis: { values: sizes, format: 'd', title: 'signatures in the group' },
  }
  const m = results.machine
  const subtitle = `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB; ${results.config.backend}, ${results.config.rounds} rounds interleaved; ${results.date.slice(0, 10)}`
  const top = {
    width: 520,
    height: 300,
    data: { values: rows },
    encoding: { x, color: { field: 'side', type: 'nominal', title: null, legend: { orient: 'top-left' } } },
    layer: [
      { mark: { type: 'rule' }, encoding: { y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } } },
      {
        mark: { type: 'line', point: true },
        encoding: { y: { field: 'median', type: 'quantitative', scale: { type: 'log' }, title: 'prove latency, ms (median, min-max)' } },
      },
    ],
  }
  const bottom = {
    width: 520,
    height: 120,
    layer: [
      { data: { values: [{ one: 1 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { y: { field: 'one', type: 'quantitative' } } },
      {
        data: { values: ratios },
        encoding: { x },
        layer: [
          { mark: { type: 'rule', color: 'black' }, encoding: { y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } } },
          {
            mark: { type: 'point', filled: true, color: 'black' },
            encoding: { y: { field: 'median', type: 'quantitative', title: 'leanagg / native', scale: { zero: false } } },
          },
        ],
      },
    ],
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Per-group prove latency: leanagg against leanMultisig called from Rust', subtitle },
    vconcat: ratios.length > 0 ? [top, bottom] : [top],
    config: { font: 'sans-serif', view: { stroke: null } },
  }
}

export async function renderSvg(results) {
  const view = new vega.View(vega.parse(compile(chartSpec(results)).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}
