import { bindingNonce, checkSingleUse, singleUseKey, type BindingOptions } from './bind.js';
import { checkRuntimeDataAgreement } from '../claims/runtime-data.js';
import type { ReplayStore } from './replay-store.js';
import { readAttestationResult } from '../claims/attestation.js';
import { verificationChannel } from '../diagnostics.js';
import { AttestationError, asAttestationError } from '../errors.js';
import { PinnedKeySource } from '../keys/pinned.js';
import { RemoteKeySource } from '../keys/remote.js';
import type { KeySource, KeyStatus, SigningKey } from '../keys/signing-key.js';
import { checkJku, KnownHeaders, validateHeader, type KnownHeader } from '../token/header.js';
import { decodeJsonSegment, decodeSignature, splitCompactJws, type TokenSegments } from '../token/parse.js';
import { own } from '../util/own.js';
import { throwRefusal } from '../util/rules.js';
import { isCompiledPolicy } from '../policy/compiled.js';
import { assertPolicy } from '../policy/evaluate.js';
import type { AttestationPolicy, CompiledPolicy } from '../policy/index.js';
import { judgeIssuer } from './issuers.js';
import { checkedPolicy, resolveOptions, type ResolvedIssuer, type ResolvedOptions, type VerifierOptions } from './options.js';
import { Attestation, deepFreeze, freezeJson, type VerifiedAttestation } from './result.js';
import { TenantIssuers, type IssuerSources } from './tenant-issuers.js';
import { startSignatureCheck } from './signature.js';
import { ENTRY_FIXED_BYTES, VerifiedTokenCache, type CachedVerification } from './token-cache.js';
import { checkTimes, type TimeOptions, type TokenTimes } from './time.js';

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

/** Issuers from the resolver, each with a key source built as for a listed issuer. */
export function tenantIssuers(resolver: NonNullable<ResolvedOptions['resolver']>, resolved: ResolvedOptions): TenantIssuers {
  return new TenantIssuers({
    resolver,
    allowInsecureLoopback: resolved.allowInsecureLoopback,
    maxIssuers: resolved.maxIssuers,
    maxAgeMs: resolved.issuerResolverMaxAgeMs,
    timeoutMs: resolved.fetchTimeoutMs,
    now: resolved.clock,
    createSource: (entry) => createKeySource(entry, resolved),
  });
}

/** A pinned key set when the configuration gives one, the issuer's metadata endpoints otherwise. */
export function createKeySource({ issuer, jwks, signer }: ResolvedIssuer, resolved: ResolvedOptions): KeySource {
  if (jwks !== undefined) return new PinnedKeySource(issuer, jwks, { minRsaModulusBits: resolved.minRsaModulusBits, signer, verificationTime: resolved.now });
  return new RemoteKeySource(issuer, {
    signer,
    verificationTime: resolved.now,
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

export function buildVerifier(resolved: ResolvedOptions, sources: IssuerSources): Verifier {
  const issuers = resolved.resolver === undefined ? resolved.issuers.map((entry) => entry.issuer) : undefined;
  const cache = resolved.tokenCache === false ? undefined : new VerifiedTokenCache(resolved.tokenCache);
  const knownHeaders = new KnownHeaders();
  // Policies already checked against this verifier's issuers: a per-call policy is checked once.
  const checkedPolicies = new WeakSet<CompiledPolicy>();
  const floor = resolved.policy;

  /** The call's policy, compiled and checked once; the floor applies besides it. */
  function callPolicy(options: VerifyOptions | undefined): CompiledPolicy | undefined {
    const given = options?.policy;
    if (given === undefined) return undefined;
    if (isCompiledPolicy(given) && checkedPolicies.has(given)) return given === floor ? undefined : given;
    const policy = checkedPolicy(given, issuers);
    checkedPolicies.add(policy);
    return policy === floor ? undefined : policy;
  }

  /** The verifier's floor first, then the call's narrowing: an attestation must satisfy both. */
  function assertPolicies(result: VerifiedAttestation, narrowing: CompiledPolicy | undefined): void {
    if (floor !== undefined) assertPolicy(floor, result);
    if (narrowing !== undefined) assertPolicy(narrowing, result);
  }

  /** The synchronous part shared by both entry points: a cache hit, re-checked for time and policy. */
  function fromCache(memo: TokenMemo | undefined, narrowing: CompiledPolicy | undefined): VerifiedAttestation | undefined {
    if (memo === undefined) return undefined;
    // A connection's repeated token brings the entry it was last found under, checked as the cache checks its own.
    const entry = memo.entry === undefined ? cache!.get(memo.digest) : cache!.recheck(memo.digest, memo.entry);
    memo.entry = entry;
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
  function remember(memo: TokenMemo | undefined, completed: Completed, key: SigningKey, source: KeySource, narrowing: CompiledPolicy | undefined): void {
    if (cache === undefined || memo === undefined) return;
    const entry: CachedVerification = { result: completed.result, key, source, ...validSpan(completed.times, resolved), passedPolicy: narrowing, dropped: false };
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

  function refusal(cause: unknown, started: number): AttestationError {
    // Nothing but an AttestationError leaves the verifier: an unexpected error is a refusal, never a pass,
    // and reported as the library's failure (ERR_INTERNAL), not blamed on the token.
    const error = asAttestationError(cause);
    if (verificationChannel.hasSubscribers) verificationChannel.publish({ outcome: 'rejected', code: error.code, durationMs: performance.now() - started });
    return error;
  }

  function accepted(result: VerifiedAttestation, started: number, cached: boolean): VerifiedAttestation {
    if (verificationChannel.hasSubscribers) {
      verificationChannel.publish({ outcome: 'accepted', issuer: result.issuer, attestationType: result.attestationType, cached, durationMs: performance.now() - started });
    }
    return result;
  }

  function needsFreshness(options: VerifyOptions | undefined): boolean {
    return options?.binding !== undefined || options?.singleUse !== undefined;
  }

  /**
   * Binding and single use run on every verification, cached or not: they consume state. Both are
   * checked before either consumes, so a token with a nonce but no jti burns no nonce.
   */
  async function consume(attestation: VerifiedAttestation, options: Pick<VerifyOptions, 'binding' | 'singleUse'> | undefined): Promise<void> {
    const binding = options?.binding;
    const singleUse = options?.singleUse;
    const nonce = binding === undefined ? undefined : bindingNonce(attestation, binding);
    if (singleUse !== undefined) singleUseKey(attestation);
    if (binding !== undefined && nonce !== undefined) await binding.challenges.consume(nonce);
    if (singleUse !== undefined) await checkSingleUse(attestation, singleUse, resolved.now(), resolved.clockTolerance);
  }

  function verifyCached(token: unknown, options?: VerifyOptions): VerifiedAttestation | undefined {
    // The clock is read only for subscribers: nothing on the hot path that nobody asked for.
    const started = verificationChannel.hasSubscribers ? performance.now() : 0;
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
    const started = verificationChannel.hasSubscribers ? performance.now() : 0;
    try {
      const narrowing = callPolicy(options);
      const memo = memoOf(token, options?.connection);
      const hit = fromCache(memo, narrowing);
      if (hit !== undefined) {
        if (needsFreshness(options)) await consume(hit, options);
        return accepted(hit, started, true);
      }
      let prepared = prepare(token, resolved, sources, knownHeaders);
      if (prepared instanceof Promise) prepared = await prepared;
      const key = prepared.source.peekKey(prepared.kid) ?? (await prepared.source.getKey(prepared.kid));
      const completed = await complete(prepared, key, resolved, knownHeaders);
      const { result } = completed;
      assertPolicies(result, narrowing);
      // Cached only once it passed the policies it was checked against: genuine tokens the policy refuses
      // (anyone can get them for a debug enclave from a shared instance) cannot push accepted ones out.
      remember(memo, completed, key, prepared.source, narrowing);
      if (needsFreshness(options)) await consume(result, options);
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
        await consume(attestation, options);
      } catch (cause) {
        throw cause instanceof AttestationError ? cause : new AttestationError('ERR_INTERNAL', 'an unexpected error occurred while consuming single-use values', { cause });
      }
    },
    issuers,
    async warmUp() {
      await Promise.all([...sources.values()].map((source) => source.refresh()));
    },
    keyStatus: () => [...sources.values()].map((source) => source.status()),
  };
}

/** A token's cache key, and the entry it was last found or remembered under (kept per connection). */
interface TokenMemo {
  readonly token: string;
  readonly digest: string;
  entry: CachedVerification | undefined;
}

interface PreparedToken {
  readonly segments: TokenSegments;
  /** The validated header; `fresh` when it was decoded for this token rather than remembered. */
  readonly header: KnownHeader;
  readonly fresh: boolean;
  readonly payload: Record<string, unknown>;
  readonly signature: Buffer;
  readonly source: KeySource;
  readonly kid: string;
}

/**
 * Checks 1–3: form, header, trusted issuer. Without I/O for listed issuers: a token naming an untrusted
 * issuer costs no request. With an `issuers` function, a new issuer costs one call to it. A header
 * already seen in an authentic token is taken from `knownHeaders` instead of being decoded and validated
 * again; the checks that remain run in the same order, so the first failure reported is the same either way.
 */
function prepare(token: unknown, options: ResolvedOptions, sources: IssuerSources, knownHeaders: KnownHeaders): PreparedToken | Promise<PreparedToken> {
  const segments = splitCompactJws(token, options.maxTokenBytes);
  const known = knownHeaders.get(segments.header);
  const decodedHeader = known === undefined ? decodeJsonSegment(segments.header, 'header', segments.ascii) : undefined;
  const payload = decodeJsonSegment(segments.payload, 'payload', segments.ascii);
  const signature = decodeSignature(segments);
  const header = known ?? { header: decodedHeader!, ...validateHeader(decodedHeader!, options.algorithms) };
  const issuer = own(payload, 'iss');
  const found = typeof issuer === 'string' ? sources.get(issuer) : undefined;
  const prepared = (source: KeySource | undefined): PreparedToken => {
    // The rule `issuer-trusted` (issuers.ts), asked of the one source this issuer resolved to, or of none.
    judgeIssuer(issuer, { has: () => source !== undefined }, throwRefusal);
    checkJku(header.jku, (source as KeySource).issuer);
    return { segments, header, fresh: known === undefined, payload, signature, source: source as KeySource, kid: header.kid };
  };
  return found instanceof Promise ? found.then(prepared) : prepared(found);
}

interface Completed {
  readonly result: VerifiedAttestation;
  readonly times: TokenTimes;
  /** Estimated heap bytes of what the result holds that no other result shares. */
  readonly heapBytes: number;
}

/**
 * Checks 5–8 once the issuer's key is known: signature, time, attestation result, typed claims. The RSA
 * runs on libuv's thread pool while the claims are checked here; a claim error waits for the signature,
 * so a forged token is refused as ERR_SIGNATURE_INVALID whatever its claims, as in the synchronous order.
 */
async function complete(prepared: PreparedToken, key: SigningKey, options: ResolvedOptions, knownHeaders: KnownHeaders): Promise<Completed> {
  const signed = startSignatureCheck(prepared.header.alg, key, prepared.segments.signingInput, prepared.signature);
  let completed: Completed | undefined;
  let claimError: unknown;
  try {
    completed = readResult(prepared, options);
  } catch (error) {
    claimError = error;
  }
  await signed;
  if (completed === undefined) throw claimError;
  // Only a header from an authentic token is remembered: forged ones cannot push real ones out.
  if (prepared.fresh) knownHeaders.remember(prepared.segments.header, prepared.header);
  return completed;
}

/** Checks 6–8 (time, attestation result, typed claims) and builds the frozen result. */
function readResult({ header, fresh, payload, source, kid }: PreparedToken, options: ResolvedOptions): Completed {
  const times = checkTimes(payload, options.now() / 1000, options);
  const result = readAttestationResult(payload);
  checkRuntimeDataAgreement(payload, () => result.sgx?.enclaveHeldData);
  // Frozen whole: a result may be shared by the cache and by every handler of a request. Parsed JSON
  // first (fast, and it sizes the entry), then the result and its views, whose getters never run.
  let heapBytes = freezeJson(payload);
  if (fresh) heapBytes += freezeJson(header.header);
  const attestation = deepFreeze(
    new Attestation({
      issuer: source.issuer,
      attestationType: result.attestationType,
      header: header.header,
      claims: payload,
      keyId: kid,
      issuedAt: new Date(times.issuedAt * 1000),
      expiresAt: new Date(times.expiresAt * 1000),
      policyHash: result.policyHash,
      policySigner: result.policySigner,
      nonce: result.nonce,
      sgx: result.sgx,
      sevsnp: result.sevsnp,
      azurevm: result.azurevm,
      tdx: result.tdx,
    }),
  );
  return { result: attestation, times, heapBytes };
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
