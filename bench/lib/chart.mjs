// The chart, rendered headless with Vega-Lite: per-group prove latency against group size,
// leanagg and native on the same log-log axes, and the leanagg/native ratio beneath.
import * as vega from 'vega'
import { compile } from 'vega-lite'

// Result key, key of leanagg's ratio to that side, legend name, x nudge of its ratio points.
const SIDES = [
  ['leanagg', null, 'leanagg (Node)', 1],
  ['native', 'ratio', 'leanMultisig from Rust, in a rayon pool', 0.94],
  ['nativeCaller', 'ratioCaller', 'leanMultisig from Rust, main thread', 1.06],
]

export function chartSpec(results) {
  const rows = []
  const ratios = []
  for (const g of results.prove.groups) {
    if (g.children > 0) continue // the chart is against signature count; children groups are in the table
    for (const [side, ratio, name, nudge] of SIDES) {
      const s = g[side]?.proveMs
      if (s?.median != null) rows.push({ signatures: g.signatures, side: name, median: s.median, min: s.min, max: s.max })
      const q = ratio && g[ratio]
      if (q?.median != null) ratios.push({ signatures: g.signatures, at: g.signatures * nudge, side: name, median: q.median, min: q.min, max: q.max })
    }
  }
  const sizes = [...new Set(rows.map((r) => r.signatures))]
  const axis = { values: sizes, format: 'd', title: 'signatures in the group' }
  const scale = { type: 'log', base: 2, padding: 16 }
  const names = SIDES.map((s) => s[2]).filter((n) => rows.some((r) => r.side === n))
  const color = { field: 'side', type: 'nominal', title: null, scale: { domain: names }, legend: { orient: 'top-left', labelLimit: 400 } }
  const m = results.machine
  const subtitle = `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB; ${results.config.backend}, ${results.config.rounds} rounds side by side; ${results.date.slice(0, 10)}`
  const top = {
    width: 560,
    height: 320,
    data: { values: rows },
    encoding: { x: { field: 'signatures', type: 'quantitative', scale, axis }, color },
    layer: [
      { mark: { type: 'rule' }, encoding: { y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } } },
      {
        mark: { type: 'line', point: true },
        encoding: { y: { field: 'median', type: 'quantitative', scale: { type: 'log' }, title: 'prove latency, ms (median, min-max)' } },
      },
    ],
  }
  const bottom = {
    width: 560,
    height: 140,
    layer: [
      { data: { values: [{ one: 1 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { y: { field: 'one', type: 'quantitative' } } },
      {
        data: { values: ratios },
        encoding: { x: { field: 'at', type: 'quantitative', scale, axis }, color },
        layer: [
          { mark: { type: 'rule' }, encoding: { y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } } },
          {
            mark: { type: 'point', filled: true },
            encoding: { y: { field: 'median', type: 'quantitative', title: 'leanagg / native (per round)', scale: { zero: false } } },
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
