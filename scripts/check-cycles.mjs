#!/usr/bin/env node
// Fail on a module cycle among the Rust sources of native/ (part of `npm run lint`). Each crate
// is the tree under a directory with a lib.rs or main.rs; a file depends on another of its crate
// when it names that module by a path: `crate::a::b`, `super::x`, `self::x`, a `{..}` group of
// those, or a child module it declares (`mod x;` then `x::y`). Cargo forbids cycles between
// crates; inside one, nothing does, so this does.
//   node scripts/check-cycles.mjs [DIR]   (default: native)
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const dir = resolve(root, process.argv[2] ?? 'native')

function rustFiles(d) {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    const p = join(d, e.name)
    if (e.isDirectory()) return e.name === 'target' || e.name === 'node_modules' ? [] : rustFiles(p)
    return e.name.endsWith('.rs') ? [p] : []
  })
}

/** The crate a file belongs to: the nearest directory above it with a lib.rs or main.rs. */
function crateOf(file) {
  for (let d = dirname(file); d.startsWith(dir); d = dirname(d)) {
    if (existsSync(join(d, 'lib.rs')) || existsSync(join(d, 'main.rs'))) return d
  }
  return dir
}

/** A file's module path inside its crate: native/core/backend/mod.rs is `backend`. */
function modulePath(file, crate) {
  const parts = relative(crate, file).slice(0, -3).split(sep)
  if (['mod', 'lib', 'main'].includes(parts.at(-1))) parts.pop()
  return parts
}

/** Source without comments and string literals (a path in a doc or a message is no import). */
function code(src) {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/[^\n]*/g, '')
    .replace(/b?"(?:[^"\\]|\\.)*"/g, '""')
}

/** Every `a::b::c` path in `src`, groups expanded (`a::{b, c::d}` gives `a::b` and `a::c::d`). */
function paths(src) {
  const out = []
  const expand = (prefix, body) => {
    let depth = 0
    let start = 0
    const items = []
    for (let i = 0; i <= body.length; i++) {
      const c = body[i]
      if (c === '{') depth++
      else if (c === '}') depth--
      else if ((c === ',' || i === body.length) && depth === 0) {
        items.push(body.slice(start, i).trim())
        start = i + 1
      }
    }
    for (const item of items.filter(Boolean)) {
      const group = /^([\w:]*?)::\{([\s\S]*)\}$/.exec(item)
      if (group) expand([...prefix, ...group[1].split('::').filter(Boolean)], group[2])
      else if (item === 'self') out.push(prefix)
      else
        out.push([
          ...prefix,
          ...item
            .split(/\s+as\s+/)[0]
            .split('::')
            .filter(Boolean),
        ])
    }
  }
  // Groups first (brace-balanced), then plain paths.
  const groupStart = /\b([A-Za-z_]\w*(?:::\w+)*)::\{/g
  let plain = src
  for (let m = groupStart.exec(src); m; m = groupStart.exec(src)) {
    let depth = 1
    let i = groupStart.lastIndex
    while (i < src.length && depth > 0) {
      if (src[i] === '{') depth++
      else if (src[i] === '}') depth--
      i++
    }
    expand(m[1].split('::'), src.slice(groupStart.lastIndex, i - 1))
    plain = plain.replace(src.slice(m.index, i), ' ')
  }
  for (const p of plain.matchAll(/\b([A-Za-z_]\w*(?:::\w+)+)/g)) out.push(p[1].split('::'))
  return out
}

const files = rustFiles(dir)
const index = new Map(files.map((f) => [`${crateOf(f)}|${modulePath(f, crateOf(f)).join('::')}`, f]))
const resolveModule = (crate, segs) => {
  for (let k = segs.length; k >= 0; k--) {
    const f = index.get(`${crate}|${segs.slice(0, k).join('::')}`)
    if (f) return f
  }
  return undefined
}

const edges = new Map()
for (const f of files) {
  const crate = crateOf(f)
  const here = modulePath(f, crate)
  const src = code(readFileSync(f, 'utf8'))
  const children = new Set([...src.matchAll(/\bmod\s+(\w+)\s*;/g)].map((m) => m[1]))
  const targets = new Set()
  for (const [head, ...rest] of paths(src)) {
    let segs
    if (head === 'crate') segs = rest
    else if (head === 'self') segs = [...here, ...rest]
    else if (head === 'super') {
      // `super::super::x`: one level up per `super`.
      let up = 1
      while (rest[0] === 'super') {
        up++
        rest.shift()
      }
      segs = [...here.slice(0, here.length - up), ...rest]
    } else if (children.has(head)) segs = [...here, head, ...rest]
    else continue
    const t = resolveModule(crate, segs)
    if (t && t !== f) targets.add(t)
  }
  edges.set(f, targets)
}

// Tarjan's strongly connected components: a component of two or more files is a cycle.
let counter = 0
const idx = new Map()
const low = new Map()
const stack = []
const onStack = new Set()
const cycles = []
function connect(v) {
  idx.set(v, counter)
  low.set(v, counter++)
  stack.push(v)
  onStack.add(v)
  for (const w of edges.get(v)) {
    if (!idx.has(w)) {
      connect(w)
      low.set(v, Math.min(low.get(v), low.get(w)))
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)))
  }
  if (low.get(v) === idx.get(v)) {
    const component = []
    let w
    do {
      w = stack.pop()
      onStack.delete(w)
      component.push(w)
    } while (w !== v)
    if (component.length > 1) cycles.push(component.sort())
  }
}
for (const f of files) if (!idx.has(f)) connect(f)

const edgeCount = [...edges.values()].reduce((n, s) => n + s.size, 0)
for (const c of cycles) console.error(`module cycle: ${c.map((f) => relative(root, f)).join(' <-> ')}`)
console.log(`${basename(dir)}: ${files.length} files, ${edgeCount} module imports, ${cycles.length} cycle(s)`)
process.exit(cycles.length ? 1 : 0)
