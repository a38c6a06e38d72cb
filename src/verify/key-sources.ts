import { PinnedKeySource } from '../keys/pinned.js';
import { RemoteKeySource, type RemoteKeySourceOptions } from '../keys/remote.js';
import type { KeySource } from '../keys/signing-key.js';
import type { JsonWebKeySet, ResolvedIssuer, ResolvedOptions } from './options.js';
import { TenantIssuers } from './tenant-issuers.js';

/**
 * Everything a key source is built from, and nothing else: `createKeySource` reads only this object,
 * and the one-shot form keys its shared sources by all of it (`one-shot.ts`). A new key-source setting
 * added here therefore takes part in both; there is no second list to forget.
 */
export interface KeySourceSettings extends RemoteKeySourceOptions {
  readonly issuer: string;
  /** A pinned key set; the issuer's metadata endpoints when undefined. */
  readonly jwks: JsonWebKeySet | undefined;
}

/** One issuer's key-source settings, from the verifier's resolved options. */
export function keySourceSettings({ issuer, jwks, signer }: ResolvedIssuer, resolved: ResolvedOptions): KeySourceSettings {
  return {
    issuer,
    jwks,
    signer,
    verificationTime: resolved.now,
    dispatcher: resolved.dispatcher,
    timeoutMs: resolved.fetchTimeoutMs,
    maxBytes: resolved.maxMetadataBytes,
    minRsaModulusBits: resolved.minRsaModulusBits,
    unknownKidRefreshIntervalMs: resolved.unknownKidRefreshIntervalMs,
    maxAgeMs: resolved.keysMaxAgeMs,
    maxStaleMs: resolved.keysMaxStaleMs,
    now: resolved.now,
  };
}

/** A pinned key set when the settings give one, the issuer's metadata endpoints otherwise. */
export function keySourceFrom(settings: KeySourceSettings): KeySource {
  const { issuer, jwks, ...remote } = settings;
  if (jwks !== undefined)
    return new PinnedKeySource(issuer, jwks, {
      minRsaModulusBits: remote.minRsaModulusBits,
      signer: remote.signer,
      verificationTime: remote.verificationTime,
    });
  return new RemoteKeySource(issuer, remote);
}

/** A key source for one configured issuer. */
export function createKeySource(entry: ResolvedIssuer, resolved: ResolvedOptions): KeySource {
  return keySourceFrom(keySourceSettings(entry, resolved));
}

/** Issuers from the resolver, each with a key source built as for a listed issuer. */
export function tenantIssuers(resolver: NonNullable<ResolvedOptions['resolver']>, resolved: ResolvedOptions): TenantIssuers {
  return new TenantIssuers({
    resolver,
    allowInsecureLoopback: resolved.allowInsecureLoopback,
    maxIssuers: resolved.maxIssuers,
    maxAgeMs: resolved.issuerResolverMaxAgeMs,
    timeoutMs: resolved.fetchTimeoutMs,
    now: resolved.now,
    createSource: (entry) => createKeySource(entry, resolved),
  });
}
