import { assertPolicy } from '../policy/evaluate.js';
import type { CompiledPolicy } from '../policy/index.js';
import type { KeySource, SigningKey } from '../keys/signing-key.js';
import type { Completed } from './full-path.js';
import type { ResolvedOptions } from './options.js';
import type { VerifiedAttestation } from './result.js';
import type { IssuerSources } from './tenant-issuers.js';
import { ENTRY_FIXED_BYTES, VerifiedTokenCache, type CachedVerification } from './token-cache.js';
import { checkTimes, type TimeOptions, type TokenTimes } from './time.js';

/**
 * The token-cache path: synchronous by design, so `verifyCached` can answer a repeated token without
 * a promise. Everything a hit re-checks (the key still published, issuer still trusted, time, the
 * call's policy) is here, next to how an entry is remembered and keyed.
 */
export interface CachePath {
  /** The synchronous part shared by both entry points: a cache hit, re-checked for time and policy. */
  readonly fromCache: (memo: TokenMemo | undefined, narrowing: CompiledPolicy | undefined) => VerifiedAttestation | undefined;
  /** Remembers a verification that passed its policies (not when there is no cache, or it has expired already). */
  readonly remember: (
    memo: TokenMemo | undefined,
    completed: Completed,
    key: SigningKey,
    source: KeySource,
    narrowing: CompiledPolicy | undefined,
  ) => void;
  /** The token's memo (its cache key and last entry); undefined when there is no cache or the token cannot be one. */
  readonly memoOf: (token: unknown, connection: object | undefined) => TokenMemo | undefined;
}

/** A token's cache key, and the entry it was last found or remembered under (kept per connection). */
export interface TokenMemo {
  readonly token: string;
  readonly digest: string;
  entry: CachedVerification | undefined;
}

export function tokenCachePath(resolved: ResolvedOptions, sources: IssuerSources): CachePath {
  const cache = resolved.tokenCache === false ? undefined : new VerifiedTokenCache(resolved.tokenCache);

  /** The synchronous part shared by both entry points: a cache hit, re-checked for time and policy. */
  function fromCache(memo: TokenMemo | undefined, narrowing: CompiledPolicy | undefined): VerifiedAttestation | undefined {
    if (memo === undefined) return undefined;
    // A connection's repeated token brings the entry it was last found under, checked as the cache checks its own.
    const entry = memo.entry === undefined ? cache!.get(memo.digest) : cache!.recheck(memo.digest, memo.entry);
    memo.entry = entry;
    if (entry === undefined) return undefined;
    // A run-time issuer whose answer has aged out, or changed, is asked again, on the full path.
    if (sources.trusts !== undefined && !sources.trusts(entry.result.issuer, entry.source)) return undefined;
    const now = resolved.now() / 1000;
    if (now < entry.validFrom || now >= entry.validUntil) {
      // Outside the span where the times certainly pass: the claims decide, with the precise code.
      try {
        checkTimes(entry.result.claims, now, resolved);
      } catch (error) {
        // Expired or too old stays so: the entry goes (a clock set back re-verifies it from scratch).
        if (now >= entry.validUntil) cache!.delete(memo.digest);
        throw error;
      }
    }
    // Every entry passed the floor before it was cached, and evaluating a policy depends only on the
    // policy and the frozen result: only a narrowing other than the one this entry last passed is evaluated.
    if (narrowing !== undefined && entry.passedPolicy !== narrowing) {
      assertPolicy(narrowing, entry.result);
      entry.passedPolicy = narrowing;
    }
    return entry.result;
  }

  /** Remembers a verification that passed its policies (not when there is no cache, or it has expired already). */
  function remember(
    memo: TokenMemo | undefined,
    completed: Completed,
    key: SigningKey,
    source: KeySource,
    narrowing: CompiledPolicy | undefined,
  ): void {
    if (cache === undefined || memo === undefined) return;
    const entry: CachedVerification = {
      result: completed.result,
      key,
      source,
      ...validSpan(completed.times, resolved),
      passedPolicy: narrowing,
      dropped: false,
    };
    if (entry.validUntil * 1000 <= resolved.now()) return;
    cache.set(memo.digest, entry, ENTRY_FIXED_BYTES + completed.heapBytes);
    memo.entry = entry;
  }

  // The last token seen on each connection, its digest and the cache entry it was last found or
  // remembered under: a keep-alive client sends the same token with every request, and comparing two
  // strings costs far less than hashing 3–6 KB and looking the digest up. Held weakly, so a
  // connection's memo goes when the connection does; one per connection, so a new token replaces it.
  const lastOnConnection = new WeakMap<object, TokenMemo>();

  /** The token's memo: the connection's when the token is the one it sent last, else a new one (kept on the connection). */
  function memoOf(token: unknown, connection: object | undefined): TokenMemo | undefined {
    if (cache === undefined || typeof token !== 'string' || token.length > resolved.maxTokenBytes) return undefined;
    if (connection !== undefined) {
      const last = lastOnConnection.get(connection);
      if (last !== undefined && last.token === token) return last;
    }
    const memo: TokenMemo = { token, digest: VerifiedTokenCache.digest(token), entry: undefined };
    if (connection !== undefined) lastOnConnection.set(connection, memo);
    return memo;
  }

  return { fromCache, remember, memoOf };
}

/** The span of seconds in which `checkTimes` certainly passes for these times (see CachedVerification). */
function validSpan(times: TokenTimes, options: TimeOptions): { validFrom: number; validUntil: number } {
  const tolerance = options.clockTolerance;
  const expiry = times.expiresAt + tolerance;
  return {
    validFrom: Math.max(times.notBefore, times.issuedAt) - tolerance,
    validUntil: options.maxTokenAge === undefined ? expiry : Math.min(expiry, times.issuedAt + options.maxTokenAge + tolerance),
  };
}
