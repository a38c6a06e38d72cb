import { LRUCache } from 'lru-cache';
import type { KeySource } from '../keys/signing-key.js';
import { resolveOptions, type ResolvedIssuer, type ResolvedOptions, type VerifierOptions } from './options.js';
import type { VerifiedAttestation } from './result.js';
import { keySourceFrom, keySourceSettings, tenantIssuers, type KeySourceSettings } from './key-sources.js';
import { buildVerifier } from './verifier.js';
import { identityOf } from '../util/identity.js';

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
  if (resolved.resolver !== undefined)
    return buildVerifier({ ...resolved, tokenCache: false }, tenantIssuers(resolved.resolver, resolved)).verify(token);
  const sources = new Map<string, KeySource>();
  for (const entry of resolved.issuers) sources.set(entry.issuer, sharedSource(entry, resolved));
  // The verifier lives for this one call: a token cache would hash the token and be thrown away.
  return buildVerifier({ ...resolved, tokenCache: false }, sources).verify(token);
}

/**
 * Scoped by dispatcher (remote keys) or by the pinned JWKS object, then keyed by the very settings
 * `createKeySource` builds the source from (`keySourceSettings`, one list): a setting added there takes
 * part here without anyone remembering to. Keys are checked once, when loaded, at the source's
 * verification time (a signer pin's PCK validity, collateral expiry), so a source built for one `now`
 * must never serve a call with another: functions take part by identity.
 */
function sharedSource(entry: ResolvedIssuer, resolved: ResolvedOptions): KeySource {
  const settings = keySourceSettings(entry, resolved);
  const scope: object = settings.jwks ?? settings.dispatcher ?? NO_DISPATCHER;
  let cache = sharedSources.get(scope);
  if (cache === undefined) {
    cache = new LRUCache({ max: MAX_SHARED_SOURCES });
    sharedSources.set(scope, cache);
  }
  const key = settingsKey(settings);
  let source = cache.get(key);
  if (source === undefined) {
    source = keySourceFrom(settings);
    cache.set(key, source);
  }
  return source;
}

/**
 * Every setting as a string: plain data by value, functions and class instances (a dispatcher) by
 * identity, which the scope already holds weakly. The pinned JWKS (the scope itself) and a signer's
 * Intel collateral (tens of KB of certificates, CRLs and signed JSON) go by identity too, so a call
 * does not serialise them. An undefined setting is written as null, so "unset" and "absent" cannot
 * collide with a value.
 */
export function settingsKey(settings: KeySourceSettings): string {
  const byIdentity = (name: string, value: unknown): unknown =>
    BY_IDENTITY.has(name) && typeof value === 'object' && value !== null ? ['object', identityOf(value)] : value;
  const names = Object.keys(settings).sort();
  return JSON.stringify(
    names.map((name) => [name, byIdentity(name, settings[name as keyof KeySourceSettings]) ?? null]),
    (name, value: unknown) => {
      if (typeof value === 'function') return ['function', identityOf(value)];
      if (typeof value === 'object' && value !== null && !Array.isArray(value) && !isPlain(value)) return ['object', identityOf(value)];
      return byIdentity(name, value);
    },
  );
}

/** Settings, or members of settings, that are large plain data and are keyed by identity. */
const BY_IDENTITY = new Set(['jwks', 'collateral']);

function isPlain(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
