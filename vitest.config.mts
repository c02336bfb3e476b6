import { defineConfig } from 'vitest/config'

// The default suite: simulated backend, fast. `npm run test:lean-multisig` runs the same files
// against the real prover (vitest.lean-multisig.config.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    pool: 'forks',
  },
})
