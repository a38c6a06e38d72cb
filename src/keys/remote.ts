import { LRUCache } from 'lru-cache';
import { CHANNELS, printable, publish } from '../diagnostics.js';
import { AttestationError, isAttestationError } from '../errors.js';
import { discoverJwksUri } from './discovery.js';
import { fetchJson, type FetchOptions } from './fetch.js';
import { importKeySet, type ImportOptions } from './import.js';
import { findKey, keyNotFound, peekKey } from './lookup.js';
import { reportKeySet, type KeySet, type KeySource, type KeyStatus, type SigningKey } from './signing-key.js';

export interface RemoteKeySourceOptions extends Omit<FetchOptions, 'issuer'>, Omit<ImportOptions, 'errorCode'> {
  /** How long a fetched key set is fresh, in milliseconds. */
  readonly maxAgeMs: number;
  /** How long past `maxAgeMs` a key set keeps serving while refreshes fail, in milliseconds. */
  readonly maxStaleMs: number;
  /** Least time between two refreshes caused by unknown kids, in milliseconds; also how long an unknown kid is remembered. */
  readonly unknownKidRefreshIntervalMs: number;
  /** The clock the cache ages by, in milliseconds. */
  readonly now: () => number;
  /** Jitter source in [0, 1), injectable for tests. */
  readonly random?: () => number;
}

/** Backoff after failed refreshes: doubling from the first to the last, each with up to 50% jitter. */
export const REFRESH_BACKOFF_INITIAL_MS = 1_000;
export const REFRESH_BACKOFF_MAX_MS = 60_000;
/** Unknown kids remembered at once: a flood of random kids cannot grow memory beyond this. */
const NEGATIVE_CACHE_MAX = 1_000;
const ENTRY = 'keys';

interface CachedKeySet {
  readonly set: KeySet;
  /** Clock time of the fetch, in milliseconds. */
  readonly fetchedAt: number;
}

interface FetchContext {
  /** Try now even during a backoff (warm-up and explicit refreshes). */
  readonly ignoreBackoff: boolean;
}

/**
 * One issuer's keys from its metadata endpoints, kept in an lru-cache entry whose `fetchMethod` gives us
 * single flight (any number of concurrent callers, one discovery and one `/certs` request),
 * stale-while-revalidate (after `maxAgeMs` the old set keeps serving while one background refresh runs)
 * and stale-on-rejection (a failed or invalid refresh never replaces or evicts a good set).
 *
 * What lru-cache does not do, and this class adds for MAA: a limit on how stale a set may get
 * (`maxStaleMs`, then ERR_METADATA_UNAVAILABLE), exponential backoff with jitter after failures (so an
 * outage costs one request per backoff step, not one per token), and a budget for refreshes caused by
 * unknown kids (a rotated key is picked up on first sight, while random kids cost at most one refresh
 * per interval and are remembered as unknown for that long).
 */
export class RemoteKeySource implements KeySource {
  readonly issuer: string;
  readonly #options: RemoteKeySourceOptions;
  readonly #cache: LRUCache<string, CachedKeySet, FetchContext>;
  readonly #unknownKids: LRUCache<string, true>;
  #unknownKidRefresh: Promise<CachedKeySet | undefined> | undefined;
  #lastUnknownKidRefresh = Number.NEGATIVE_INFINITY;
  #failures = 0;
  #nextAttemptAt = Number.NEGATIVE_INFINITY;
  #lastError: { readonly error: AttestationError; readonly at: number } | undefined;

  constructor(issuer: string, options: RemoteKeySourceOptions) {
    this.issuer = issuer;
    this.#options = options;
    const perf = { now: options.now };
    this.#cache = new LRUCache<string, CachedKeySet, FetchContext>({
      max: 1,
      ttl: options.maxAgeMs,
      // Never let lru-cache cache a clock reading: our clock may be injected.
      ttlResolution: 0,
      perf,
      allowStale: true,
      noDeleteOnStaleGet: true,
      allowStaleOnFetchRejection: true,
      noDeleteOnFetchRejection: true,
      fetchMethod: (_key, _stale, { context }) => this.#load(context),
    });
    this.#unknownKids = new LRUCache<string, true>({
      max: NEGATIVE_CACHE_MAX,
      ttl: Math.max(1, options.unknownKidRefreshIntervalMs),
      ttlResolution: 0,
      perf,
    });
  }

  async getKey(kid: string): Promise<SigningKey> {
    const lookup: LRUCache.Status<string, CachedKeySet, FetchContext> = {};
    const entry = await this.#current(lookup);
    const key = findKey(entry.set, kid, this.issuer, this.#options.now());
    if (key !== undefined) return key;
    publish(CHANNELS.unknownKid, () => ({ issuer: this.issuer, kid: printable(kid) }));
    // A set fetched for this very call (a cold cache) is as fresh as a refresh would be.
    if (lookup.fetch === 'miss' || (lookup.fetch === 'inflight' && !lookup.returnedStale)) throw keyNotFound(this.issuer);
    const refreshed = await this.#refreshForUnknownKid(kid);
    if (refreshed === undefined) throw keyNotFound(this.issuer);
    const rotated = findKey(refreshed.set, kid, this.issuer, this.#options.now());
    if (rotated === undefined) {
      // Remembered from the refresh that missed it, not from later refusals, so it is retried after the interval.
      if (!this.#unknownKids.has(kid)) this.#unknownKids.set(kid, true);
      throw keyNotFound(this.issuer);
    }
    return rotated;
  }

  peekKey(kid: string): SigningKey | undefined {
    // peek without allowStale returns nothing once the set is past keysMaxAgeSeconds: then getKey refreshes.
    return peekKey(this.#cache.peek(ENTRY, { allowStale: false })?.set, kid, this.#options.now());
  }

  /** Fetches now, whatever the cache and backoff state; rejects if the issuer cannot be reached. */
  async refresh(): Promise<void> {
    await this.#cache.fetch(ENTRY, {
      forceRefresh: true,
      allowStale: false,
      allowStaleOnFetchRejection: false,
      context: { ignoreBackoff: true },
    });
  }

  status(): KeyStatus {
    const entry = this.#cache.peek(ENTRY, { allowStale: true });
    const now = this.#options.now();
    const age = entry === undefined ? undefined : now - entry.fetchedAt;
    return {
      issuer: this.issuer,
      source: 'remote',
      keyIds: entry === undefined ? [] : [...entry.set.keys.keys()],
      skippedKeyIds: entry === undefined ? [] : [...entry.set.invalid.keys()],
      fetchedAt: entry === undefined ? undefined : new Date(entry.fetchedAt),
      state:
        age === undefined
          ? 'empty'
          : age < this.#options.maxAgeMs
            ? 'fresh'
            : age <= this.#options.maxAgeMs + this.#options.maxStaleMs
              ? 'stale'
              : 'expired',
      lastError:
        this.#lastError === undefined
          ? undefined
          : { code: this.#lastError.error.code, message: this.#lastError.error.message, at: new Date(this.#lastError.at) },
      consecutiveFailures: this.#failures,
      nextAttemptAt: this.#failures === 0 ? undefined : new Date(this.#nextAttemptAt),
      ...reportKeySet(entry?.set),
    };
  }

  /**
   * The set to verify with: fresh, or stale within keysMaxStaleSeconds (while lru-cache refreshes it in the
   * background). A set stale beyond that waits for the refresh instead, and fails if the refresh does.
   */
  async #current(lookup: LRUCache.Status<string, CachedKeySet, FetchContext>): Promise<CachedKeySet> {
    let entry = await this.#cache.fetch(ENTRY, { context: { ignoreBackoff: false }, status: lookup });
    if (entry !== undefined && this.#age(entry) > this.#options.maxAgeMs + this.#options.maxStaleMs) {
      entry = await this.#cache.fetch(ENTRY, { context: { ignoreBackoff: false }, allowStale: false });
    }
    if (entry === undefined) throw this.#unavailable();
    const age = this.#age(entry);
    if (age > this.#options.maxAgeMs + this.#options.maxStaleMs) throw this.#unavailable();
    if (age > this.#options.maxAgeMs) {
      publish(CHANNELS.staleServed, () => ({ issuer: this.issuer, ageMs: age, lastError: this.#lastError?.error }));
    }
    return entry;
  }

  #age(entry: CachedKeySet): number {
    return this.#options.now() - entry.fetchedAt;
  }

  #unavailable(): AttestationError {
    const cause = this.#lastError?.error;
    return new AttestationError(
      'ERR_METADATA_UNAVAILABLE',
      `the signing keys of ${this.issuer} are unavailable${cause ? `: ${cause.message}` : ''}`,
      { cause },
    );
  }

  /** At most one refresh in flight for unknown kids, shared by every concurrent miss, and one per interval. */
  #refreshForUnknownKid(kid: string): Promise<CachedKeySet | undefined> {
    if (this.#unknownKidRefresh !== undefined) return this.#unknownKidRefresh;
    const now = this.#options.now();
    if (this.#unknownKids.has(kid) || now - this.#lastUnknownKidRefresh < this.#options.unknownKidRefreshIntervalMs) {
      return Promise.resolve(undefined);
    }
    this.#lastUnknownKidRefresh = now;
    // A failed refresh resolves to the stale set (allowStaleOnFetchRejection), in which the kid is still unknown.
    this.#unknownKidRefresh = this.#cache
      .fetch(ENTRY, { forceRefresh: true, allowStale: false, context: { ignoreBackoff: false } })
      .finally(() => {
        this.#unknownKidRefresh = undefined;
      });
    return this.#unknownKidRefresh;
  }

  async #load(context: FetchContext): Promise<CachedKeySet> {
    if (!context.ignoreBackoff && this.#options.now() < this.#nextAttemptAt) {
      // During a backoff no request is sent; lru-cache answers with the stale set, if any.
      throw this.#unavailable();
    }
    try {
      const fetchOptions: FetchOptions = { ...this.#options, issuer: this.issuer };
      const jwksUri = await discoverJwksUri(this.issuer, fetchOptions);
      const set = importKeySet(await fetchJson(jwksUri, fetchOptions), this.issuer, {
        minRsaModulusBits: this.#options.minRsaModulusBits,
        signer: this.#options.signer,
        verificationTime: this.#options.verificationTime,
        errorCode: 'ERR_METADATA_UNAVAILABLE',
      });
      this.#failures = 0;
      this.#nextAttemptAt = Number.NEGATIVE_INFINITY;
      return { set, fetchedAt: this.#options.now() };
    } catch (cause) {
      const error = isAttestationError(cause)
        ? cause
        : new AttestationError('ERR_METADATA_UNAVAILABLE', `the keys of ${this.issuer} could not be loaded`, { cause });
      this.#failures += 1;
      const backoff = Math.min(REFRESH_BACKOFF_MAX_MS, REFRESH_BACKOFF_INITIAL_MS * 2 ** (this.#failures - 1));
      this.#nextAttemptAt = Math.ceil(this.#options.now() + backoff * (0.5 + 0.5 * (this.#options.random ?? Math.random)()));
      this.#lastError = { error, at: this.#options.now() };
      throw error;
    }
  }
}
