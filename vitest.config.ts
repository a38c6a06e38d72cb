import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // The samples import the package by name, as users do; in tests that name means the sources.
    alias: [
      { find: /^attestation-gate\/testing$/, replacement: fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)) },
      { find: /^attestation-gate\/client$/, replacement: fileURLToPath(new URL('./src/client/index.ts', import.meta.url)) },
      { find: /^attestation-gate\/(fastify|koa|fetch)$/, replacement: fileURLToPath(new URL('./src/adapters/$1.ts', import.meta.url)) },
      { find: /^attestation-gate$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'samples/**/*.test.js'],
    // Skips the Redis tests with one line where redis-server is missing, or fails when REQUIRE_REDIS is set.
    globalSetup: ['test/binding/redis-global-setup.ts'],
    // Tests talk only to servers on loopback; bound each one so a hang fails instead of stalling CI.
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
