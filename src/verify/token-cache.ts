import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { KeySource, SigningKey } from '../keys/signing-key.js';
import type { VerifiedAttestation } from './result.js';

export interface TokenCacheOptions {
  /** Most verified tokens remembered. Default 10 000. */
  readonly maxEntries?: number;
  /** Most memory they may take, estimated from token sizes, in bytes. Default 32 MiB. */
  readonly maxBytes?: number;
}

interface CachedVerification {
  readonly result: VerifiedAttestation;
  /** The key that verified the signature; a hit is only valid while the issuer still publishes it. */
  key: SigningKey;
  readonly source: KeySource;
}

/** A parsed payload takes roughly three times its token's length in memory; a fixed part covers the rest. */
const ENTRY_OVERHEAD_BYTES = 1024;

/**
 * Verified tokens by SHA-256 of the token text. An attested client sends the same 8-hour token with every
 * request, so remembering the outcome of the signature and claim checks makes the repeated case cost a
 * hash and a lookup. What is not remembered: time (re-checked on every hit against the current clock),
 * the policy (evaluated on every hit), and failures (only authentic tokens get in, so junk cannot grow
 * it). An entry expires with its token and is dropped when its signing key leaves the issuer's key set.
 */
export class VerifiedTokenCache {
  readonly #cache: LRUCache<string, CachedVerification>;

  constructor(options: TokenCacheOptions = {}) {
    this.#cache = new LRUCache<string, CachedVerification>({
      max: options.maxEntries ?? 10_000,
      maxSize: options.maxBytes ?? 32 * 1024 * 1024,
    });
  }

  /** The cache key of a token: its SHA-256, so the cache holds no bearer tokens. */
  static digest(token: string): string {
    return hash('sha256', token, 'base64');
  }

  /** The remembered verification, if its signing key is still published in a fresh key set. */
  get(digest: string): VerifiedAttestation | undefined {
    const entry = this.#cache.get(digest);
    if (entry === undefined) return undefined;
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
    return entry.result;
  }

  set(digest: string, token: string, result: VerifiedAttestation, key: SigningKey, source: KeySource, lifetimeMs: number): void {
    if (lifetimeMs <= 0) return;
    this.#cache.set(digest, { result, key, source }, { ttl: lifetimeMs, size: ENTRY_OVERHEAD_BYTES + 3 * token.length });
  }

  get size(): number {
    return this.#cache.size;
  }

  get calculatedSize(): number {
    return this.#cache.calculatedSize;
  }
}
