import { LRUCache } from 'lru-cache';
import { AttestationError } from '../errors.js';
import { refuseRenamed, resolveNow } from '../util/renamed.js';
import { storageKey, storeUnavailable, ttlMilliseconds, type KeySpace, type ReplayStore } from '../verify/replay-store.js';

export interface MemoryReplayStoreOptions {
  /**
   * Most keys remembered at once in each of the two spaces: challenge nonces (issued and used), and
   * one-time values (`jti`s, request-signature nonces). Default 100 000 each (each entry is a fixed ~200
   * bytes: keys are stored as digests, so about 20 MB per space at the bound). Size it above the most
   * values you expect to be live at once (nonces issued per nonce ttl; `jti`s per token lifetime); what
   * happens when a space is full is described at {@link createMemoryReplayStore}.
   */
  readonly maxEntries?: number;
  /**
   * The clock entries expire by, in milliseconds since the epoch; for tests. Default `Date.now`, the
   * clock every other option of this library defaults to. A wall clock set back keeps entries longer (a
   * replay is still refused); set forward, it forgets them sooner, as Redis's own expiry would.
   */
  readonly now?: () => number;
}

interface Entry {
  state: 'issued' | 'used' | 'once';
  /** Clock time at which the entry is forgotten; a used nonce keeps its issue-time expiry. */
  readonly expiresAt: number;
}

/** Least clock time between two sweeps of expired entries when a space is full: a sweep walks every entry. */
const PURGE_INTERVAL_MS = 1_000;

/**
 * An in-process replay store. **Single process only**: behind a load balancer, or with several workers,
 * each instance would accept the same nonce once — share a {@link createRedisReplayStore} instead.
 *
 * Bounded by `maxEntries` per space, and failing closed when full. Expired entries are swept first; if a
 * space is still full:
 * - challenge nonces: the least recently used is evicted. An evicted *issued* nonce becomes 'unknown'
 *   (its holder is refused: a lost challenge, never an accepted replay); an evicted *used* one is
 *   'unknown' instead of 'replayed' (still refused: challenge nonces are fresh random draws).
 * - one-time values: nothing is evicted (forgetting a recorded `jti` would accept it again); `once`
 *   rejects with ERR_REPLAY_STORE_UNAVAILABLE until one expires.
 * The spaces are apart so that the unauthenticated challenge endpoint, which anyone can call to fill the
 * nonce space, can never push a recorded one-time value out. Rate-limit it all the same.
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new AttestationError('ERR_CONFIG_INVALID', 'maxEntries must be a positive integer');
  }
  refuseRenamed(options, { clock: 'now' }, 'createMemoryReplayStore option');
  const clock = resolveNow(options.now);
  const spaces: Record<KeySpace, Space> = { nonce: space(maxEntries, clock), once: space(maxEntries, clock) };

  /** Records `key` in `name` for `ttlMs` unless it is already live there; true when it was recorded. */
  function record(name: KeySpace, state: Entry['state'], key: string, ttlMs: number): boolean {
    const ttl = ttlMilliseconds(ttlMs);
    const stored = storageKey(name, key);
    const now = clock();
    const target = spaces[name];
    if (target.live(stored, now) !== undefined) return false;
    if (!target.makeRoom(now) && name === 'once') {
      throw storeUnavailable(undefined, `the memory replay store holds ${maxEntries} live one-time values; none is forgotten early`);
    }
    target.cache.set(stored, { state, expiresAt: now + ttl }, { ttl });
    return true;
  }

  return {
    async issue(key, ttlMs) {
      return record('nonce', 'issued', key, ttlMs);
    },
    async consume(key) {
      const entry = spaces.nonce.live(storageKey('nonce', key), clock());
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

interface Space {
  readonly cache: LRUCache<string, Entry>;
  live(key: string, now: number): Entry | undefined;
  /** Sweeps expired entries when full (at most once per PURGE_INTERVAL_MS); whether there is room now. */
  makeRoom(now: number): boolean;
}

function space(maxEntries: number, clock: () => number): Space {
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
  return {
    cache,
    live(key, now) {
      const entry = cache.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= now) {
        cache.delete(key);
        return undefined;
      }
      return entry;
    },
    makeRoom(now) {
      // Recency and expiry disagree when ttls differ: sweeping first keeps expired entries from pushing
      // live ones out.
      if (cache.size >= maxEntries && now - lastPurge >= PURGE_INTERVAL_MS) {
        lastPurge = now;
        cache.purgeStale();
      }
      return cache.size < maxEntries;
    },
  };
}
