// The run's outputs: the chart, the tables, and with --readme the README's benchmark section.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { renderSvg } from '../lib/chart.mjs'
import { report } from '../lib/report.mjs'
import { opt, root } from './options.mjs'

/** Write the chart beside `base`.json, print the tables, and with --readme update the README. */
export async function publish(results, base, log) {
  const svg = results.prove.skipped ? null : await renderSvg(results)
  if (svg) writeFileSync(`${base}.svg`, svg)
  const text = report(results)
  process.stdout.write(`\n${text}\n`)
  log(`wrote ${path.relative(process.cwd(), `${base}.json`)}${svg ? ` and ${path.relative(process.cwd(), `${base}.svg`)}` : ''}`)
  if (!opt.readme) return
  if (!svg) throw new Error('--readme needs the prove section')
  copyFileSync(`${base}.svg`, path.join(root, 'bench', 'latest.svg'))
  const readmePath = path.join(root, 'README.md')
  const readme = readFileSync(readmePath, 'utf8')
  const begin = '<!-- bench:begin -->'
  const end = '<!-- bench:end -->'
  const i = readme.indexOf(begin)
  const j = readme.indexOf(end)
  if (i < 0 || j < i) throw new Error('README.md has no bench:begin/bench:end markers')
  const block = `${begin}\n![Per-group prove latency, leanagg against leanMultisig from Rust](bench/latest.svg)\n\n${text}\n${end}`
  writeFileSync(readmePath, readme.slice(0, i) + block + readme.slice(j + end.length))
  log('updated README.md and bench/latest.svg')
}
