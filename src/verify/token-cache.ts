import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { KeySource, SigningKey } from '../keys/signing-key.js';
import type { VerifiedAttestation } from './result.js';

export interface TokenCacheOptions {
  /** Most verified tokens remembered. Default 10 000. */
  readonly maxEntries?: number;
  /** Most heap they may take, in bytes, by an estimate measured against heap growth (see `entryHeapBytes`). Default 32 MiB. */
  readonly maxBytes?: number;
}

interface CachedVerification {
  readonly result: VerifiedAttestation;
  /** The key that verified the signature; a hit is only valid while the issuer still publishes it. */
  key: SigningKey;
  readonly source: KeySource;
}

/**
 * The heap one entry takes, as measured on V8 (test/verify/token-cache-memory.test.ts fills a cache past
 * its bound and compares heap growth with it): a fixed part, twice the token's length (the claims' text,
 * the header, the typed views), and per JSON value of the header and claims 64 bytes for an object or
 * array plus 32 per object member, 16 for anything else. Counting characters alone is not enough: the
 * claims are shaped by whoever attested (runtime data is the enclave's to write), and a 15 KiB token of
 * 2 500 empty objects takes 160 KiB, four times a per-character estimate.
 */
const ENTRY_OVERHEAD_BYTES = 1024;
const BYTES_PER_TOKEN_CHARACTER = 2;
const BYTES_PER_CONTAINER = 64;
const BYTES_PER_MEMBER = 32;
const BYTES_PER_VALUE = 16;

/** The measured estimate above; iterative, since the nesting depth of claims is the attester's choice. */
export function entryHeapBytes(token: string, result: Pick<VerifiedAttestation, 'header' | 'claims'>): number {
  let bytes = ENTRY_OVERHEAD_BYTES + BYTES_PER_TOKEN_CHARACTER * token.length;
  const pending: unknown[] = [result.header, result.claims];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null) {
      bytes += BYTES_PER_VALUE;
      continue;
    }
    const children = Object.values(value);
    bytes += BYTES_PER_CONTAINER + (Array.isArray(value) ? 0 : BYTES_PER_MEMBER * children.length);
    for (const child of children) pending.push(child);
  }
  return bytes;
}

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
    this.#cache.set(digest, { result, key, source }, { ttl: lifetimeMs, size: entryHeapBytes(token, result) });
  }

  get size(): number {
    return this.#cache.size;
  }

  get calculatedSize(): number {
    return this.#cache.calculatedSize;
  }
}
