import { LRUCache } from 'lru-cache';
import type { Dispatcher } from 'undici';
import { PinnedKeySource } from '../keys/pinned.js';
import type { RemoteKeySource } from '../keys/remote.js';
import type { KeySource } from '../keys/signing-key.js';
import { resolveOptions, type ResolvedOptions, type VerifierOptions } from './options.js';
import type { VerifiedAttestation } from './result.js';
import { buildVerifier, createRemoteSource } from './verifier.js';

/** Bound on the issuers a script can make the one-shot form remember. */
const MAX_SHARED_SOURCES = 64;
const NO_DISPATCHER = {};

/**
 * Key sources shared by every one-shot call, per dispatcher and per issuer with its fetch settings, so a
 * script calling `verifyAttestationToken` in a loop fetches each issuer's keys once, not per call.
 */
const remoteSources = new WeakMap<object, LRUCache<string, RemoteKeySource>>();
const pinnedSources = new WeakMap<object, Map<string, PinnedKeySource>>();

/**
 * The one-shot form of `createVerifier(options).verify(token)` for scripts. Prefer a long-lived verifier
 * in servers: it validates the options once instead of on every call.
 */
export function verifyAttestationToken(token: unknown, options: VerifierOptions): Promise<VerifiedAttestation> {
  const resolved = resolveOptions(options);
  const sources = new Map<string, KeySource>();
  for (const { issuer, jwks } of resolved.issuers) {
    sources.set(issuer, jwks !== undefined ? sharedPinnedSource(issuer, jwks, resolved) : sharedRemoteSource(issuer, resolved));
  }
  return buildVerifier(resolved, sources).verify(token);
}

function sharedRemoteSource(issuer: string, resolved: ResolvedOptions): RemoteKeySource {
  const scope: Dispatcher | object = resolved.dispatcher ?? NO_DISPATCHER;
  let cache = remoteSources.get(scope);
  if (cache === undefined) {
    cache = new LRUCache({ max: MAX_SHARED_SOURCES });
    remoteSources.set(scope, cache);
  }
  const key = [issuer, resolved.minRsaModulusBits, resolved.fetchTimeoutMs, resolved.maxMetadataBytes, resolved.unknownKidRefreshIntervalMs, resolved.keysMaxAgeMs, resolved.keysMaxStaleMs].join(' ');
  let source = cache.get(key);
  if (source === undefined) {
    source = createRemoteSource(issuer, resolved);
    cache.set(key, source);
  }
  return source;
}

function sharedPinnedSource(issuer: string, jwks: object, resolved: ResolvedOptions): PinnedKeySource {
  let byIssuer = pinnedSources.get(jwks);
  if (byIssuer === undefined) {
    byIssuer = new Map();
    pinnedSources.set(jwks, byIssuer);
  }
  const key = `${issuer} ${resolved.minRsaModulusBits}`;
  let source = byIssuer.get(key);
  if (source === undefined) {
    source = new PinnedKeySource(issuer, jwks, resolved.minRsaModulusBits);
    byIssuer.set(key, source);
  }
  return source;
}
