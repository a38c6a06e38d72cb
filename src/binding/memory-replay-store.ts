import { LRUCache } from 'lru-cache';
import { AttestationError } from '../errors.js';
import { storageKey, ttlMilliseconds, type KeySpace, type ReplayStore } from './replay-store.js';

export interface MemoryReplayStoreOptions {
  /**
   * Most keys remembered at once: issued nonces, used nonces and one-time values together. Default 100 000
   * (each entry is a fixed ~200 bytes: keys are stored as digests, so about 20 MB at the bound).
   * Size it above the most values you expect to be live at once (nonces issued per nonce ttl, plus
   * `jti`s per token lifetime): under pressure the least recently used entries are evicted, see
   * {@link createMemoryReplayStore}.
   */
  readonly maxEntries?: number;
  /** The clock entries expire by, in milliseconds; for tests. Default `performance.now`. */
  readonly clock?: () => number;
}

interface Entry {
  state: 'issued' | 'used' | 'once';
  /** Clock time at which the entry is forgotten; a used nonce keeps its issue-time expiry. */
  readonly expiresAt: number;
}

/** Least clock time between two sweeps of expired entries when the store is full: a sweep walks every entry. */
const PURGE_INTERVAL_MS = 1_000;

/**
 * An in-process replay store. **Single process only**: behind a load balancer, or with several workers,
 * each instance would accept the same nonce once — share a {@link createRedisReplayStore} instead.
 *
 * Bounded by `maxEntries`. When full, expired entries are swept first; if it is still full, the least
 * recently used entry is evicted, and what that costs depends on the entry:
 * - an evicted *issued* nonce becomes 'unknown': its holder is refused (fails closed — a lost challenge,
 *   never an accepted replay);
 * - an evicted *used* nonce or one-time value is forgotten before its original expiry. A replayed
 *   challenge nonce is then 'unknown' instead of 'replayed' (still refused: only `issue` can bring a key
 *   back, and challenge nonces are fresh random draws), but `issue` of a caller-chosen key succeeds again,
 *   and a `once` value (a `jti`) is accepted again — a real replay window.
 * So size `maxEntries` above the values live at once, and rate-limit the unauthenticated challenge
 * endpoint: whoever can request nonces can fill the store.
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new AttestationError('ERR_CONFIG_INVALID', 'maxEntries must be a positive integer');
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    throw new AttestationError('ERR_CONFIG_INVALID', 'clock must be a function returning milliseconds');
  }
  const clock = options.clock ?? (() => performance.now());
  const cache = new LRUCache<string, Entry>({
    max: maxEntries,
    // lru-cache's own ttl only reclaims memory; `expiresAt` decides what is live. lru-cache treats an
    // entry started at clock time 0 as never stale, which an injected clock can hit.
    perf: { now: clock },
    // The default resolution caches the clock for 1 ms with a timer per refresh: slower here, and wrong with
    // an injected clock.
    ttlResolution: 0,
  });
  let lastPurge = Number.NEGATIVE_INFINITY;

  function live(key: string, now: number): Entry | undefined {
    const entry = cache.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      cache.delete(key);
      return undefined;
    }
    return entry;
  }

  function insert(key: string, state: Entry['state'], ttl: number, now: number): void {
    // Recency and expiry disagree when ttls differ (an 8-hour jti recorded before many 5-minute nonces is
    // the least recently used entry): sweeping first keeps expired nonces from pushing live entries out.
    if (cache.size >= maxEntries && now - lastPurge >= PURGE_INTERVAL_MS) {
      lastPurge = now;
      cache.purgeStale();
    }
    cache.set(key, { state, expiresAt: now + ttl }, { ttl });
  }

  /** Records `key` in `space` for `ttlMs` unless it is already live there; true when it was recorded. */
  function record(space: KeySpace, state: Entry['state'], key: string, ttlMs: number): boolean {
    const ttl = ttlMilliseconds(ttlMs);
    const stored = storageKey(space, key);
    const now = clock();
    if (live(stored, now) !== undefined) return false;
    insert(stored, state, ttl, now);
    return true;
  }

  return {
    async issue(key, ttlMs) {
      return record('nonce', 'issued', key, ttlMs);
    },
    async consume(key) {
      const entry = live(storageKey('nonce', key), clock());
      if (entry === undefined) return 'unknown';
      if (entry.state !== 'issued') return 'replayed';
      // In place: keeps the issue-time expiry, and no await between the check and the write.
      entry.state = 'used';
      return 'consumed';
    },
    async once(key, ttlMs) {
      return record('once', 'once', key, ttlMs);
    },
  };
}
