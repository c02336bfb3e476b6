import { defineConfig } from 'vitest/config'

// The real-prover suite: the same tests with LEANAGG_BACKEND=lean-multisig, one file at a time
// (each proof takes the whole machine), with room for multi-second proofs.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fuzz and soak run with `npm run test:reliability` (bounded by time and count).
    exclude: ['test/reliability/**', '**/node_modules/**'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
    env: { LEANAGG_BACKEND: 'lean-multisig' },
  },
})
