import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests talk only to servers on loopback; bound each one so a hang fails instead of stalling CI.
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
