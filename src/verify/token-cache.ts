import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { KeySource, SigningKey } from '../keys/signing-key.js';
import type { CompiledPolicy } from '../policy/index.js';
import type { VerifiedAttestation } from './result.js';

export interface TokenCacheOptions {
  /** Most verified tokens remembered. Default 10 000. */
  readonly maxEntries?: number;
  /**
   * Most heap their entries may take, in bytes, each entry estimated from what its parsed payload holds
   * (see `ENTRY_FIXED_BYTES` and `JSON_HEAP_BYTES`). Default 32 MiB.
   */
  readonly maxBytes?: number;
}

/**
 * Heap bytes of an entry besides its parsed payload: the result object and its dates, the typed view,
 * the digest string, the entry record and lru-cache's slots for it. Measured (Node 20 and 24, 64-bit)
 * against heap growth over thousands of entries of each token shape in test/verify/token-cache-memory.
 */
export const ENTRY_FIXED_BYTES = 500;

/** A remembered verification. Mutable members are per-entry memos; everything a hit returns is frozen. */
export interface CachedVerification {
  readonly result: VerifiedAttestation;
  /** The key that verified the signature; a hit is only valid while the issuer still publishes it. */
  key: SigningKey;
  readonly source: KeySource;
  /**
   * The span, in seconds since the epoch, in which the token's time claims certainly pass (`nbf`/`iat`
   * less the tolerance up to `exp` plus it, or `maxTokenAgeSeconds` if sooner): a hit compares one clock
   * reading with two numbers and re-reads the claims only outside it, to refuse with the precise code.
   */
  readonly validFrom: number;
  readonly validUntil: number;
  /**
   * The last policy this result satisfied. Evaluating a policy depends only on the policy and the
   * (frozen) result, so the same policy object need not be evaluated again for the same entry. Denials
   * are not remembered: each is evaluated and thrown afresh, so no error object is shared by requests.
   */
  passedPolicy: CompiledPolicy | undefined;
  /**
   * Set once the cache has let the entry go (expired, key gone, evicted, replaced): a connection's memo
   * that still holds it then asks the cache again instead of serving what the cache no longer would.
   */
  dropped: boolean;
}

/**
 * Verified tokens by SHA-256 of the token text. An attested client sends the same 8-hour token with every
 * request, so remembering the outcome of the signature and claim checks makes the repeated case cost a
 * hash and a lookup. What is not remembered: time (compared on every hit against the current clock),
 * policy denials, and failures (only authentic tokens get in, so junk cannot grow it). An entry is
 * dropped once its token has expired and when its signing key leaves the issuer's key set.
 *
 * No lru-cache TTL: its clock is a millisecond timestamp re-armed by a timer, which costs every hit more
 * than the entry's own validity span does; expiry is decided by that span instead.
 */
/** The default bounds: 10 000 entries, and 32 MiB of estimated heap (see `ENTRY_FIXED_BYTES`, `JSON_HEAP_BYTES`). */
export const DEFAULT_TOKEN_CACHE = Object.freeze({ maxEntries: 10_000, maxBytes: 32 * 1024 * 1024 });

export class VerifiedTokenCache {
  readonly #cache: LRUCache<string, CachedVerification>;

  constructor(options: TokenCacheOptions = {}) {
    this.#cache = new LRUCache<string, CachedVerification>({
      max: options.maxEntries ?? DEFAULT_TOKEN_CACHE.maxEntries,
      maxSize: options.maxBytes ?? DEFAULT_TOKEN_CACHE.maxBytes,
      dispose: (entry) => {
        entry.dropped = true;
      },
    });
  }

  /** The cache key of a token: its SHA-256, so the cache holds no bearer tokens. */
  static digest(token: string): string {
    return hash('sha256', token, 'base64');
  }

  /** The remembered verification, if its signing key is still published in a fresh key set. */
  get(digest: string): CachedVerification | undefined {
    const entry = this.#cache.get(digest);
    return entry === undefined ? undefined : this.#stillPublished(digest, entry);
  }

  /**
   * An entry held outside the cache (a connection's memo), checked as `get` checks its own: undefined
   * once the cache has dropped it or its signing key is no longer published in a fresh key set. Does not
   * touch the entry's recency, so a connection that only ever repeats its token lets it age out of the
   * LRU order; it is then looked up (and, if evicted, verified) again.
   */
  recheck(digest: string, entry: CachedVerification): CachedVerification | undefined {
    return entry.dropped === true ? this.get(digest) : this.#stillPublished(digest, entry);
  }

  #stillPublished(digest: string, entry: CachedVerification): CachedVerification | undefined {
    const current = entry.source.peekKey(entry.key.kid);
    if (current !== entry.key) {
      // A refresh re-imports unchanged keys as new objects: same material, still valid.
      if (current === undefined || !current.key.equals(entry.key.key)) {
        // Undefined also means "key set not fresh": the full path decides, and re-caches if still valid.
        this.#cache.delete(digest);
        return undefined;
      }
      entry.key = current;
    }
    return entry;
  }

  /** Remembers a verification; `sizeBytes` is its estimated heap (`ENTRY_FIXED_BYTES` plus its payload's). */
  set(digest: string, entry: CachedVerification, sizeBytes: number): void {
    this.#cache.set(digest, entry, { size: sizeBytes });
  }

  delete(digest: string): void {
    this.#cache.delete(digest);
  }

  get size(): number {
    return this.#cache.size;
  }

  /** The sum of the entries' estimated heap bytes. */
  get calculatedSize(): number {
    return this.#cache.calculatedSize;
  }
}
