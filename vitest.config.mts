import { defineConfig } from 'vitest/config'

// The default suite: simulated backend, fast. `npm run test:lean-multisig` runs the same files
// against the real prover (vitest.lean-multisig.config.mts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fuzz and soak run with `npm run test:reliability` (bounded by time and count).
    exclude: ['test/reliability/**', '**/node_modules/**'],
    testTimeout: 20_000,
    pool: 'forks',
  },
})
