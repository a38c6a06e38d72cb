import { assertPolicy, type CompiledPolicy } from '../policy/index.js';
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
  fromCache(digest: string | undefined, narrowing: CompiledPolicy | undefined): VerifiedAttestation | undefined;
  /** Remembers a verification that passed its policies (not when there is no cache, or it has expired already). */
  remember(digest: string | undefined, completed: Completed, key: SigningKey, source: KeySource, narrowing: CompiledPolicy | undefined): void;
  /** The token's cache key; undefined when there is no cache or the token cannot be one. */
  digestOf(token: unknown, connection: object | undefined): string | undefined;
}

export function tokenCachePath(resolved: ResolvedOptions, sources: IssuerSources): CachePath {
  const cache = resolved.tokenCache === false ? undefined : new VerifiedTokenCache(resolved.tokenCache);

  /** The synchronous part shared by both entry points: a cache hit, re-checked for time and policy. */
  function fromCache(digest: string | undefined, narrowing: CompiledPolicy | undefined): VerifiedAttestation | undefined {
    const entry = digest === undefined ? undefined : cache?.get(digest);
    if (entry === undefined) return undefined;
    // A run-time issuer whose answer has aged out is asked again, on the full path.
    if (sources.trusts !== undefined && !sources.trusts(entry.result.issuer)) return undefined;
    const now = resolved.now() / 1000;
    if (now < entry.validFrom || now >= entry.validUntil) {
      // Outside the span where the times certainly pass: the claims decide, with the precise code.
      try {
        checkTimes(entry.result.claims, now, resolved);
      } catch (error) {
        // Expired or too old stays so: the entry goes (a clock set back re-verifies it from scratch).
        if (now >= entry.validUntil) cache?.delete(digest!);
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
  function remember(digest: string | undefined, completed: Completed, key: SigningKey, source: KeySource, narrowing: CompiledPolicy | undefined): void {
    if (cache === undefined || digest === undefined) return;
    const entry: CachedVerification = { result: completed.result, key, source, ...validSpan(completed.times, resolved), passedPolicy: narrowing };
    if (entry.validUntil * 1000 <= resolved.now()) return;
    cache.set(digest, entry, ENTRY_FIXED_BYTES + completed.heapBytes);
  }

  // The last token seen on each connection and its digest: a keep-alive client sends the same token with
  // every request, and comparing two strings costs far less than hashing 3–6 KB again. Held weakly, so
  // a connection's token goes when the connection does.
  const lastOnConnection = new WeakMap<object, { readonly token: string; readonly digest: string }>();

  function digestOf(token: unknown, connection: object | undefined): string | undefined {
    if (cache === undefined || typeof token !== 'string' || token.length > resolved.maxTokenBytes) return undefined;
    if (connection === undefined) return VerifiedTokenCache.digest(token);
    const last = lastOnConnection.get(connection);
    if (last?.token === token) return last.digest;
    const digest = VerifiedTokenCache.digest(token);
    lastOnConnection.set(connection, { token, digest });
    return digest;
  }

  return { fromCache, remember, digestOf };
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
