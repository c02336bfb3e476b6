import { describe, expect, it } from 'vitest'
import { bindingLoadError, cpuLacksRequiredFeatures, hostTarget, prebuiltPackages } from '../../src/platform.js'

const published = {
  name: 'leanagg',
  version: '1.2.3',
  optionalDependencies: { 'leanagg-linux-x64-gnu': '1.2.3', 'leanagg-darwin-arm64': '1.2.3', 'other-package': '1.0.0' },
}
const napiError = Object.assign(new Error('Cannot find native binding. npm has a bug related to optional dependencies'), {
  cause: new Error("Cannot find module 'leanagg-linux-riscv64-gnu'"),
})

describe('the loader error', () => {
  it('names the host in napi-rs terms', () => {
    expect(hostTarget()).toMatch(/^[a-z0-9]+-[a-z0-9]+(-(gnu|musl|msvc))?$/)
  })

  it('lists only the platform packages of this package', () => {
    expect(prebuiltPackages(published)).toEqual(['leanagg-linux-x64-gnu', 'leanagg-darwin-arm64'])
    expect(prebuiltPackages({ name: 'leanagg', version: '1.2.3' })).toEqual([])
  })

  it('a platform no package exists for: UNSUPPORTED_PLATFORM, the packages that exist, what to do', () => {
    const e = bindingLoadError(napiError, published, 'linux-riscv64-gnu')
    expect(e.code).toBe('UNSUPPORTED_PLATFORM')
    expect(e.message).toContain('linux-riscv64-gnu')
    expect(e.message).toContain('leanagg-linux-x64-gnu, leanagg-darwin-arm64')
    expect(e.message).toContain('build it from source')
    // napi's generic advice is dropped; what it tried stays as the cause.
    expect(e.cause).toBe(napiError.cause)
  })

  it('a supported platform whose package is missing: BINDING_NOT_FOUND and the install command', () => {
    const e = bindingLoadError(napiError, published, 'linux-x64-gnu')
    expect(e.code).toBe('BINDING_NOT_FOUND')
    expect(e.message).toContain('npm install leanagg-linux-x64-gnu@1.2.3')
    expect(e.message).toContain('--omit=optional')
  })

  it('a source checkout with nothing built: BINDING_NOT_FOUND and the build command', () => {
    const loadError = new Error('some other load failure')
    const e = bindingLoadError(loadError, { name: 'leanagg', version: '1.2.3' }, 'linux-x64-gnu')
    expect(e.code).toBe('BINDING_NOT_FOUND')
    expect(e.message).toContain('npm run build')
    expect(e.cause).toBe(loadError)
  })

  it('an x86_64 CPU without AVX2 is refused before the addon is loaded', () => {
    expect(cpuLacksRequiredFeatures('processor\t: 0\nflags\t\t: fpu sse sse2 avx\n')?.code).toBe('UNSUPPORTED_PLATFORM')
    expect(cpuLacksRequiredFeatures('processor\t: 0\nflags\t\t: fpu sse avx avx2 bmi2\n')).toBeUndefined()
  })
})
