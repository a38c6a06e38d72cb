import { readAttestationResult } from '../claims/attestation.js';
import { CHANNELS, publish } from '../diagnostics.js';
import { AttestationError } from '../errors.js';
import { PinnedKeySource } from '../keys/pinned.js';
import { RemoteKeySource } from '../keys/remote.js';
import type { KeySource, KeyStatus } from '../keys/signing-key.js';
import { checkJku, validateHeader } from '../token/header.js';
import { parseCompactJws } from '../token/parse.js';
import { own } from '../util/own.js';
import { assertPolicy, type AttestationPolicy, type CompiledPolicy } from '../policy/index.js';
import { checkedPolicy, resolveOptions, type ResolvedOptions, type VerifierOptions } from './options.js';
import { deepFreeze, type VerifiedAttestation } from './result.js';
import { verifySignature } from './signature.js';
import { checkTimes } from './time.js';

export interface VerifyOptions {
  /** The policy this verification must satisfy, instead of the verifier's own. Compile it once with `compilePolicy`. */
  readonly policy?: CompiledPolicy | AttestationPolicy;
}

export interface Verifier {
  /**
   * Verifies a token; resolves to the verified attestation or rejects with an AttestationError. With a
   * policy (here or the verifier's), an authentic token that the policy does not trust is refused with
   * ERR_POLICY_DENIED (a PolicyDeniedError carrying the decision's reasons, for logs only).
   */
  verify(token: unknown, options?: VerifyOptions): Promise<VerifiedAttestation>;
  /** The trusted issuers, normalised. */
  readonly issuers: readonly string[];
  /** Fetches every issuer's keys now (start-up health checks); rejects with ERR_METADATA_UNAVAILABLE if one is unreachable. */
  warmUp(): Promise<void>;
  /** Per issuer: key ids, when they were fetched, fresh or stale, the last error. */
  keyStatus(): KeyStatus[];
}

/**
 * Builds a long-lived verifier: options are checked once here (ERR_CONFIG_INVALID), pinned key sets are
 * imported here, and each remote issuer gets one key source whose cache every verification shares.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const resolved = resolveOptions(options);
  const sources = new Map<string, KeySource>();
  for (const { issuer, jwks } of resolved.issuers) {
    sources.set(issuer, jwks !== undefined ? new PinnedKeySource(issuer, jwks, resolved.minRsaModulusBits) : createRemoteSource(issuer, resolved));
  }
  return buildVerifier(resolved, sources);
}

export function createRemoteSource(issuer: string, resolved: ResolvedOptions): RemoteKeySource {
  return new RemoteKeySource(issuer, {
    dispatcher: resolved.dispatcher,
    timeoutMs: resolved.fetchTimeoutMs,
    maxBytes: resolved.maxMetadataBytes,
    minRsaModulusBits: resolved.minRsaModulusBits,
    unknownKidRefreshIntervalMs: resolved.unknownKidRefreshIntervalMs,
    maxAgeMs: resolved.keysMaxAgeMs,
    maxStaleMs: resolved.keysMaxStaleMs,
    now: resolved.clock,
  });
}

export function buildVerifier(resolved: ResolvedOptions, sources: ReadonlyMap<string, KeySource>): Verifier {
  async function verify(token: unknown, options?: VerifyOptions): Promise<VerifiedAttestation> {
    const started = performance.now();
    try {
      const policy = options?.policy === undefined ? resolved.policy : checkedPolicy(options.policy, resolved.issuers);
      const result = await verifyToken(token, resolved, sources);
      if (policy !== undefined) assertPolicy(policy, result);
      publish(CHANNELS.verification, () => ({ outcome: 'accepted', issuer: result.issuer, attestationType: result.attestationType, durationMs: performance.now() - started }));
      return result;
    } catch (cause) {
      // Nothing but an AttestationError leaves verify: an unexpected error is a refusal, never a pass.
      const error = cause instanceof AttestationError ? cause : new AttestationError('ERR_TOKEN_MALFORMED', 'the token could not be verified', { cause });
      publish(CHANNELS.verification, () => ({ outcome: 'rejected', code: error.code, durationMs: performance.now() - started }));
      throw error;
    }
  }
  return {
    verify,
    issuers: resolved.issuers.map((entry) => entry.issuer),
    async warmUp() {
      await Promise.all([...sources.values()].map((source) => source.refresh()));
    },
    keyStatus: () => [...sources.values()].map((source) => source.status()),
  };
}

/** The checks, in order; each fails closed. */
async function verifyToken(token: unknown, options: ResolvedOptions, sources: ReadonlyMap<string, KeySource>): Promise<VerifiedAttestation> {
  const { header, payload, signingInput, signature } = parseCompactJws(token, options.maxTokenBytes);
  const { alg, kid, jku } = validateHeader(header, options.algorithms);

  // Decided before any I/O: a token naming an untrusted issuer costs no request.
  const issuer = own(payload, 'iss');
  const source = typeof issuer === 'string' ? sources.get(issuer) : undefined;
  if (source === undefined) throw new AttestationError('ERR_ISSUER_UNTRUSTED', 'the token issuer is not trusted');
  checkJku(jku, source.issuer);

  const key = await source.getKey(kid);
  verifySignature(alg, key, signingInput, signature);

  const times = checkTimes(payload, options.now() / 1000, options);
  const result = readAttestationResult(payload);
  return {
    issuer: source.issuer,
    attestationType: result.attestationType,
    header: deepFreeze(header),
    claims: deepFreeze(payload),
    keyId: kid,
    issuedAt: new Date(times.issuedAt * 1000),
    expiresAt: new Date(times.expiresAt * 1000),
    policyHash: result.policyHash,
    policySigner: result.policySigner,
    nonce: result.nonce,
    sgx: result.sgx,
    sevsnp: result.sevsnp,
    azurevm: result.azurevm,
  };
}
