import type { BindingOptions } from './bind.js';
import type { ReplayStore } from './replay-store.js';
import { asAttestationError } from '../errors.js';
import type { KeySource, KeyStatus } from '../keys/signing-key.js';
import { KnownHeaders } from '../token/header.js';
import type { AttestationPolicy, CompiledPolicy } from '../policy/index.js';
import { tokenCachePath } from './cache-path.js';
import { consumeFreshness, needsFreshness } from './freshness.js';
import { complete, prepare } from './full-path.js';
import { createKeySource, tenantIssuers } from './key-sources.js';
import type { SignatureThread } from './signature.js';
import { resolveOptions, type ResolvedOptions, type VerifierOptions } from './options.js';
import { composePolicies } from './policy-composition.js';
import type { VerifiedAttestation } from './result.js';
import type { IssuerSources } from './tenant-issuers.js';
import { accepted, refusal, verificationStarted } from './verification-diagnostics.js';

export interface VerifyOptions {
  /**
   * A policy this verification must satisfy as well as the verifier's own: the verifier's policy is a
   * floor every verification meets, this one narrows it (both must pass). Compile it once with `compilePolicy`.
   */
  readonly policy?: CompiledPolicy | AttestationPolicy;
  /** Require the token to be bound to a challenge nonce this relying party issued, consumed once. */
  readonly binding?: BindingOptions;
  /** Make each token single-use: its `jti` is recorded in this store (shared by a fleet: Redis) until it expires. */
  readonly singleUse?: ReplayStore;
  /**
   * An object that lives as long as the client's connection (`req.socket`): the verifier remembers the
   * last token seen on it, so a keep-alive client's repeated token is compared, not hashed again.
   */
  readonly connection?: object;
  /**
   * Where a new token's RSA signature check runs: `'thread-pool'` (libuv's, while this thread checks the
   * claims and serves other work: a server's choice, made by every adapter), `'caller'` (synchronously
   * here: fastest for one verification at a time), or `'auto'` (default: the pool while another
   * verification's RSA is on it, else here). A cache hit runs no RSA either way.
   */
  readonly signatureThread?: SignatureThread;
}

export interface Verifier {
  /**
   * Verifies a token; resolves to the verified attestation or rejects with an AttestationError. With a
   * policy (here or the verifier's), an authentic token that the policy does not trust is refused with
   * ERR_POLICY_DENIED (a PolicyDeniedError carrying the decision's reasons, for logs only).
   */
  verify(token: unknown, options?: VerifyOptions): Promise<VerifiedAttestation>;
  /**
   * The synchronous fast path: the result when this token was verified before and is still valid (its
   * key still published, its time claims still good, the policy satisfied), undefined when it needs
   * `verify`. Throws the same AttestationErrors as `verify` for a remembered token that no longer passes.
   */
  verifyCached(token: unknown, options?: VerifyOptions): VerifiedAttestation | undefined;
  /**
   * Uses up what makes an attestation fresh: the challenge nonce it is bound to (`binding`), then its
   * `jti` (`singleUse`, remembered until the last instant this verifier would still accept the token:
   * `exp` plus the clock tolerance, plus a margin). `verify` with `binding` or `singleUse` calls it after
   * the policy; the request gate calls it only once the request signature has verified too, so a request
   * failing any check consumes nothing.
   */
  consume(attestation: VerifiedAttestation, options: Pick<VerifyOptions, 'binding' | 'singleUse'>): Promise<void>;
  /** The trusted issuers, normalised; undefined when an `issuers` function resolves them at run time. */
  readonly issuers: readonly string[] | undefined;
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
  if (resolved.resolver !== undefined) return buildVerifier(resolved, tenantIssuers(resolved.resolver, resolved));
  const sources = new Map<string, KeySource>();
  for (const entry of resolved.issuers) sources.set(entry.issuer, createKeySource(entry, resolved));
  return buildVerifier(resolved, sources);
}

export function buildVerifier(resolved: ResolvedOptions, sources: IssuerSources): Verifier {
  const issuers = resolved.resolver === undefined ? resolved.issuers.map((entry) => entry.issuer) : undefined;
  const knownHeaders = new KnownHeaders();
  const { callPolicy, assertPolicies } = composePolicies(resolved.policy, issuers);
  const { fromCache, remember, memoOf } = tokenCachePath(resolved, sources);

  function verifyCached(token: unknown, options?: VerifyOptions): VerifiedAttestation | undefined {
    const started = verificationStarted();
    try {
      // A binding or single use consumes something in a store, which is I/O: never answered synchronously.
      if (needsFreshness(options)) return undefined;
      const result = fromCache(memoOf(token, options?.connection), callPolicy(options));
      return result === undefined ? undefined : accepted(result, started, true);
    } catch (cause) {
      throw refusal(cause, started);
    }
  }

  async function verify(token: unknown, options?: VerifyOptions): Promise<VerifiedAttestation> {
    const started = verificationStarted();
    try {
      const narrowing = callPolicy(options);
      const memo = memoOf(token, options?.connection);
      const hit = fromCache(memo, narrowing);
      if (hit !== undefined) {
        if (needsFreshness(options)) await consumeFreshness(hit, options, resolved);
        return accepted(hit, started, true);
      }
      let prepared = prepare(token, resolved, sources, knownHeaders);
      if (prepared instanceof Promise) prepared = await prepared;
      const key = prepared.source.peekKey(prepared.kid) ?? (await prepared.source.getKey(prepared.kid));
      let completed = complete(prepared, key, resolved, knownHeaders, options?.signatureThread);
      if (completed instanceof Promise) completed = await completed;
      const { result } = completed;
      assertPolicies(result, narrowing);
      // Cached only once it passed the policies it was checked against: genuine tokens the policy refuses
      // (anyone can get them for a debug enclave from a shared instance) cannot push accepted ones out.
      remember(memo, completed, key, prepared.source, narrowing);
      if (needsFreshness(options)) await consumeFreshness(result, options, resolved);
      return accepted(result, started, false);
    } catch (cause) {
      throw refusal(cause, started);
    }
  }

  return {
    verify,
    verifyCached,
    async consume(attestation, options) {
      try {
        await consumeFreshness(attestation, options, resolved);
      } catch (cause) {
        throw asAttestationError(cause);
      }
    },
    issuers,
    async warmUp() {
      await Promise.all([...sources.values()].map((source) => source.refresh()));
    },
    keyStatus: () => [...sources.values()].map((source) => source.status()),
  };
}
