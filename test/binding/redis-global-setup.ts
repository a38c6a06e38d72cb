/**
 * Vitest global setup: says once per run when the Redis tests are skipped, and fails the run before any
 * test starts when they are required (REQUIRE_REDIS) but redis-server cannot be run.
 */
import { REDIS_AVAILABLE, REDIS_REQUIRED, REDIS_SKIP_NOTICE } from './redis-server.js';

export function setup(): void {
  if (REDIS_AVAILABLE) return;
  if (REDIS_REQUIRED) throw new Error(`REQUIRE_REDIS is set but ${REDIS_SKIP_NOTICE.replace(/^Redis tests skipped: /, '')}`);
  console.warn(REDIS_SKIP_NOTICE);
}
