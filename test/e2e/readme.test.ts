/** Every ```js block of the README runs against the built package (via the package's own name, as a user imports it). */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { REAL } from '../support/helpers.js'

const root = new URL('../..', import.meta.url).pathname
const blocks = [...readFileSync(`${root}README.md`, 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!)

describe.skipIf(REAL)('README examples', () => {
  it('has examples', () => expect(blocks.length).toBeGreaterThanOrEqual(2))

  it.each(blocks.map((code, i) => [i, code] as const))('example %i runs', (i, code) => {
    // Inside the package (so `import 'leanagg'` resolves to it), outside what it publishes.
    mkdirSync(`${root}.scratch`, { recursive: true })
    const file = `${root}.scratch/readme-example-${i}.mjs`
    writeFileSync(file, code)
    const out = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 60_000 })
    expect(out.stderr).toBe('')
    expect(out.status).toBe(0)
    expect(out.stdout.length).toBeGreaterThan(0)
  })
})
