import { LRUCache } from 'lru-cache';
import type { KeySource } from '../keys/signing-key.js';
import { resolveOptions, type ResolvedIssuer, type ResolvedOptions, type VerifierOptions } from './options.js';
import type { VerifiedAttestation } from './result.js';
import { buildVerifier, createKeySource, tenantIssuers } from './verifier.js';

/** Bound on the issuers a script can make the one-shot form remember. */
const MAX_SHARED_SOURCES = 64;
const NO_DISPATCHER = {};

/**
 * Key sources shared by every one-shot call, per dispatcher and per issuer with its fetch settings, so a
 * script calling `verifyAttestationToken` in a loop fetches each issuer's keys once, not per call.
 */
const sharedSources = new WeakMap<object, LRUCache<string, KeySource>>();

/**
 * The one-shot form of `createVerifier(options).verify(token)` for scripts. Prefer a long-lived verifier
 * in servers: it validates the options once instead of on every call.
 */
export function verifyAttestationToken(token: unknown, options: VerifierOptions): Promise<VerifiedAttestation> {
  const resolved = resolveOptions(options);
  // Issuers from a function are resolved for this call alone: nothing is kept between calls.
  if (resolved.resolver !== undefined) return buildVerifier({ ...resolved, tokenCache: false }, tenantIssuers(resolved.resolver, resolved)).verify(token);
  const sources = new Map<string, KeySource>();
  for (const entry of resolved.issuers) sources.set(entry.issuer, sharedSource(entry, resolved));
  // The verifier lives for this one call: a token cache would hash the token and be thrown away.
  return buildVerifier({ ...resolved, tokenCache: false }, sources).verify(token);
}

/** Scoped by dispatcher (remote keys) or by the pinned JWKS object, then by every setting that shapes the source. */
function sharedSource(entry: ResolvedIssuer, resolved: ResolvedOptions): KeySource {
  const scope: object = entry.jwks ?? resolved.dispatcher ?? NO_DISPATCHER;
  let cache = sharedSources.get(scope);
  if (cache === undefined) {
    cache = new LRUCache({ max: MAX_SHARED_SOURCES });
    sharedSources.set(scope, cache);
  }
  const key = JSON.stringify([
    entry.issuer,
    entry.jwks === undefined ? 'remote' : 'pinned',
    entry.signer ?? null,
    resolved.minRsaModulusBits,
    resolved.fetchTimeoutMs,
    resolved.maxMetadataBytes,
    resolved.unknownKidRefreshIntervalMs,
    resolved.keysMaxAgeMs,
    resolved.keysMaxStaleMs,
  ]);
  let source = cache.get(key);
  if (source === undefined) {
    source = createKeySource(entry, resolved);
    cache.set(key, source);
  }
  return source;
}
