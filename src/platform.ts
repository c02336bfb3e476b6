/**
 * What this machine is, and what to tell its user when no prebuilt addon fits it. The names
 * follow napi-rs (`<platform>-<arch>[-<abi>]`), the suffix of every `leanagg-*` package.
 */
import { readFileSync } from 'node:fs'
import { LeanAggError } from './errors.js'

interface PackageJson {
  name: string
  version: string
  optionalDependencies?: Record<string, string>
}

function packageJson(): PackageJson {
  return require('../package.json') as PackageJson
}

// The check napi-rs's loader makes first: musl systems ship an `ldd` that names musl.
function isMusl(): boolean {
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
  } catch {
    return false
  }
}

/** This host in napi-rs's naming, e.g. `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`. */
export function hostTarget(): string {
  const base = `${process.platform}-${process.arch}`
  if (process.platform === 'linux') return `${base}-${isMusl() ? 'musl' : 'gnu'}`
  if (process.platform === 'win32') return `${base}-msvc`
  return base
}

/** The prebuilt platform packages the installed main package names (none in a source checkout). */
export function prebuiltPackages(pkg: PackageJson = packageJson()): string[] {
  return Object.keys(pkg.optionalDependencies ?? {}).filter((name) => name.startsWith(`${pkg.name}-`))
}

function linuxX64CpuInfo(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined
  try {
    return readFileSync('/proc/cpuinfo', 'utf8')
  } catch {
    return undefined
  }
}

/**
 * The x86_64 addon is compiled for x86-64-v3 (leanMultisig picks AVX2 code at compile time):
 * on an older CPU it would die of SIGILL, so refuse before loading it.
 */
export function cpuLacksRequiredFeatures(cpuinfo = linuxX64CpuInfo()): LeanAggError | undefined {
  if (cpuinfo === undefined) return undefined
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.split(/\s+/)
  if (!flags || flags.includes('avx2')) return undefined
  return new LeanAggError(
    'UNSUPPORTED_PLATFORM',
    `leanagg needs an x86_64 CPU with AVX2 (x86-64-v3), and this one has none: the prover is compiled for it. Use a machine with AVX2 (Intel Haswell, AMD Excavator or later).`,
  )
}

/**
 * One error for a failed load: which case it is, and what the loader tried as `cause`. napi's own
 * wrapper error (generic advice about an npm bug) is dropped; the chain of load errors under it kept.
 */
export function bindingLoadError(loaderError: unknown, pkg: PackageJson = packageJson(), target: string = hostTarget()): LeanAggError {
  const cause = loaderError instanceof Error && loaderError.message.startsWith('Cannot find native binding') ? loaderError.cause : loaderError
  const packages = prebuiltPackages(pkg)
  const own = `${pkg.name}-${target}`
  if (packages.length === 0) {
    return new LeanAggError(
      'BINDING_NOT_FOUND',
      `no leanagg addon is built for ${target} in this source checkout: run \`npm run build\` (simulated backend) or \`npm run build:lean-multisig\` (the real prover).`,
      { cause },
    )
  }
  if (!packages.includes(own)) {
    return new LeanAggError(
      'UNSUPPORTED_PLATFORM',
      `leanagg has no prebuilt addon for ${target}. Prebuilt packages exist for: ${packages.join(', ')}. ` +
        `On another platform, build it from source (see the README, "Install, build, test") and point NAPI_RS_NATIVE_LIBRARY_PATH at the .node file.`,
      { cause },
    )
  }
  return new LeanAggError(
    'BINDING_NOT_FOUND',
    `the prebuilt addon for ${target}, package ${own}, is not installed or failed to load. ` +
      `It is an optional dependency of ${pkg.name}: install it with \`npm install ${own}@${pkg.version}\`, and do not install with --omit=optional or --no-optional.`,
    { cause },
  )
}
