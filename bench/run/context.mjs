// What the sections share: the leanagg prover of this run, the native programs (one per mode),
// the signatures and child aggregates they prove, and the helpers that hand them out.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { children as childAggregates, groupFileBytes, MESSAGE, SLOT, signatures as makeSignatures } from '../lib/inputs.mjs'
import { NativeBench, nativeBinPath } from '../lib/native.mjs'
import { round } from '../lib/stats.mjs'
import { config, NATIVE_SIDES, root, simulated } from './options.mjs'

/** Start the provers and make the inputs; `results` gets the isolation, native and input facts. */
export async function startRun({ Prover, log, useNative, results, work, cacheDir }) {
  log('starting the leanagg prover and the native program')
  const prover = new Prover({ backend: config.backend, threads: config.threads, simulated })
  await prover.setup()
  // The package's default: proofs in prover processes for the real prover where available.
  results.isolation = prover.capabilities.isolation
  /** One native program per mode; `native` (pool) also serves the other sections. */
  const natives = {}
  if (useNative) {
    for (const mode of config.nativeModes) {
      const nb = await NativeBench.start(nativeBinPath(root), config.threads, mode)
      await nb.request('setup')
      natives[NATIVE_SIDES[mode]] = nb
    }
    const nb = natives.native
    results.native = { available: true, modes: config.nativeModes, threads: nb.info.threads, avx2: nb.info.avx2, avx512f: nb.info.avx512f }
  }
  const native = natives.native ?? null

  const maxSize = Math.max(...config.sizes, config.loopSize, config.cancelSize, 1)
  const needSigs = Math.max(maxSize, Math.max(0, ...config.children) * config.childSize)
  const sigs = await makeSignatures(prover, needSigs, cacheDir, log)
  results.inputs = { signatures: needSigs, cached: sigs.cached, keygenAndSignMsPerKey: round(sigs.keygenMs) }
  const kids = config.children.length ? await childAggregates(prover, sigs.signatures, Math.max(...config.children), config.childSize, cacheDir, log) : []

  const groupOf = (n) => ({ message: MESSAGE, slot: SLOT, signatures: sigs.signatures.slice(0, n) })
  const signersOf = (g) => [...g.signatures.map((s) => s.publicKey), ...(g.children ?? []).flatMap((c) => c.signers)]

  /** Hand a group to the native program (same bytes). */
  async function loadNative(id, group) {
    if (!native) return
    const file = path.join(work, `${id}.bin`)
    writeFileSync(file, groupFileBytes(group, config.logInvRate))
    for (const nb of Object.values(natives)) await nb.request(`load ${id} ${file}`)
  }

  return { prover, natives, native, sigs, kids, needSigs, groupOf, signersOf, loadNative, lastAggs: [] }
}
