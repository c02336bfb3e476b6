import { defineConfig } from 'vitest/config'

// `npm run test:reliability` (scripts/reliability.mjs sets the mode): fuzz, abort storms, soak.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
