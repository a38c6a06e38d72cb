import type { Dispatcher } from 'undici';
import { compilePolicy, type AttestationPolicy, type CompiledPolicy } from '../policy/index.js';
import { AttestationError, quote } from '../errors.js';
import { DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_MAX_METADATA_BYTES } from '../keys/fetch.js';
import { DEFAULT_MAX_TOKEN_BYTES } from '../token/parse.js';
import { RSA_ALGORITHMS, type SigningAlgorithm } from '../token/header.js';
import type { SignerPin } from '../keys/maa-quote.js';
import { collateralShapeProblem } from '../sgx/collateral.js';
import { refuseRenamed, resolveNow } from '../util/renamed.js';
import { normalizeIssuer } from '../util/issuer-url.js';
import { isList } from '../util/own.js';
import { DEFAULT_TOKEN_CACHE, type TokenCacheOptions } from './token-cache.js';

/** A JWKS as MAA's `/certs` serves it: `{ keys: [{ kid, kty, x5c }] }`. */
export interface JsonWebKeySet {
  readonly keys: readonly Record<string, unknown>[];
}

/**
 * A trusted MAA instance: its URL (keys from its metadata endpoints), or an object with its URL, an
 * optional pinned JWKS, and an optional pin on MAA's own enclave (`signer`: only keys whose certificate
 * carries a quote from a matching MAA enclave, binding that key, are used).
 */
export type IssuerConfig = string | { readonly issuer: string; readonly jwks?: JsonWebKeySet; readonly signer?: SignerPin };

/**
 * Answers whether a token's issuer is trusted: its configuration (a URL string, or `{ issuer, jwks?,
 * signer? }` as in a static list) or undefined. Asked only with a well-formed `https` issuer (or a
 * loopback `http` one under `allowInsecureLoopback`) already in normalised form; the answer's issuer is
 * normalised the same way and must equal it. `signal` aborts when `fetchTimeoutMs` has passed.
 */
export type IssuerResolver = (
  issuer: string,
  context: { readonly signal: AbortSignal },
) => IssuerConfig | undefined | Promise<IssuerConfig | undefined>;

export interface VerifierOptions {
  /**
   * The MAA instances whose tokens are trusted, e.g. `https://myattestation.weu.attest.azure.net`. Required.
   * Or a function resolving a token's `iss` at run time (one MAA instance per tenant): see `IssuerResolver`,
   * `maxIssuers` and `issuerResolverMaxAgeSeconds`.
   */
  readonly issuers: readonly IssuerConfig[] | IssuerResolver;
  /** With an `issuers` function: how many resolved issuers, each with its key cache, are kept at once. Default 100. */
  readonly maxIssuers?: number;
  /**
   * With an `issuers` function: how long its answer about an issuer (trusted or not) is kept before it is
   * asked again, in seconds. A tenant removed from the resolver is refused at most this long after. Default 300.
   */
  readonly issuerResolverMaxAgeSeconds?: number;
  /** Signature algorithms accepted. Default `['RS256']`, MAA's only one. `none` and HMAC are never accepted. */
  readonly algorithms?: readonly SigningAlgorithm[];
  /** Seconds of clock skew tolerated on `exp`, `nbf`, `iat`. Default 30. */
  readonly clockToleranceSeconds?: number;
  /** Refuse tokens issued more than this many seconds ago (MAA tokens live 8 h). Default: no limit. */
  readonly maxTokenAgeSeconds?: number;
  /**
   * The clock, in milliseconds since the epoch: `Date.now` by default. The one clock the verifier reads:
   * token times are judged by it and the key cache ages by it. For historical tokens and tests, e.g.
   * `now: () => Date.parse('2024-05-01T00:00:00Z')`.
   */
  readonly now?: () => number;
  /** Smallest RSA modulus accepted. Default 2048; MAA served 1024-bit keys in some regions until 2022. */
  readonly minRsaModulusBits?: number;
  /** Longest token accepted, in bytes. Default 16 KiB (real MAA tokens are 2–6 KB). */
  readonly maxTokenBytes?: number;
  /** undici dispatcher for metadata requests: a proxy (`EnvHttpProxyAgent`) or a `MockAgent` in tests. */
  readonly dispatcher?: Dispatcher;
  /** Allow `http://` issuers on loopback hosts (a local test instance). Default false. */
  readonly allowInsecureLoopback?: boolean;
  /** Bound on one metadata request, connect to last byte, in milliseconds. Default 5000. */
  readonly fetchTimeoutMs?: number;
  /** Largest metadata response accepted, in bytes. Default 1 MiB. */
  readonly maxMetadataBytes?: number;
  /** Least time between two key refreshes caused by unknown kids, in seconds; an unknown kid is remembered as unknown that long. Default 30. */
  readonly unknownKidRefreshIntervalSeconds?: number;
  /** How long fetched signing keys are fresh, in seconds. After that one background refresh runs while they keep serving. Default 3600. */
  readonly keysMaxAgeSeconds?: number;
  /** How long past keysMaxAgeSeconds keys keep serving while refreshes fail, in seconds; then ERR_METADATA_UNAVAILABLE. Default 86400. */
  readonly keysMaxStaleSeconds?: number;
  /**
   * A policy every verification must satisfy (ERR_POLICY_DENIED otherwise): a floor. A per-call policy
   * (`verify(token, { policy })`, a gate's or route's) narrows it; it never replaces it: both must pass.
   */
  readonly policy?: AttestationPolicy | CompiledPolicy;
  /**
   * Remember verified tokens (by SHA-256), so a client's repeated token costs a hash and a lookup. Time
   * and policy are re-checked on every hit. `false` turns it off. Default `{ maxEntries: 10000, maxBytes: 32 MiB }`.
   */
  readonly tokenCache?: false | TokenCacheOptions;
}

export interface ResolvedIssuer {
  readonly issuer: string;
  readonly jwks: JsonWebKeySet | undefined;
  readonly signer: SignerPin | undefined;
}

export interface ResolvedOptions {
  /** The fixed list; empty when issuers are resolved at run time. */
  readonly issuers: readonly ResolvedIssuer[];
  readonly resolver: IssuerResolver | undefined;
  readonly allowInsecureLoopback: boolean;
  readonly maxIssuers: number;
  readonly issuerResolverMaxAgeMs: number;
  readonly algorithms: ReadonlySet<string>;
  /** Seconds. */
  readonly clockTolerance: number;
  /** Seconds. */
  readonly maxTokenAge: number | undefined;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly minRsaModulusBits: number;
  readonly maxTokenBytes: number;
  readonly dispatcher: Dispatcher | undefined;
  readonly fetchTimeoutMs: number;
  readonly maxMetadataBytes: number;
  readonly unknownKidRefreshIntervalMs: number;
  readonly keysMaxAgeMs: number;
  readonly keysMaxStaleMs: number;
  readonly policy: CompiledPolicy | undefined;
  readonly tokenCache: false | TokenCacheOptions;
}

/**
 * Names this library used before every duration carried its unit and every clock became `now`: refused,
 * not aliased (see `refuseRenamed`).
 */
export const RENAMED_OPTIONS: Readonly<Record<string, keyof VerifierOptions>> = {
  issuerResolverMaxAge: 'issuerResolverMaxAgeSeconds',
  clockTolerance: 'clockToleranceSeconds',
  maxTokenAge: 'maxTokenAgeSeconds',
  currentDate: 'now',
  clock: 'now',
  fetchTimeout: 'fetchTimeoutMs',
  unknownKidRefreshInterval: 'unknownKidRefreshIntervalSeconds',
  keysMaxAge: 'keysMaxAgeSeconds',
  keysMaxStale: 'keysMaxStaleSeconds',
};

/** Seconds of clock skew tolerated by default on `exp`, `nbf` and `iat`. */
export const DEFAULT_CLOCK_TOLERANCE = 30;

/** Signature algorithms accepted by default: MAA signs with RS256 only. */
export const DEFAULT_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256'];

/** Validates and normalises options once, at construction; every mistake is an ERR_CONFIG_INVALID. */
export function resolveOptions(options: VerifierOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) invalid('options must be an object');
  refuseRenamed(options, RENAMED_OPTIONS, 'verifier option');
  const resolver = typeof options.issuers === 'function' ? options.issuers : undefined;
  if (resolver === undefined && (!Array.isArray(options.issuers) || options.issuers.length === 0)) {
    invalid('issuers must list at least one trusted MAA instance, or be a function resolving one');
  }
  const allowInsecureLoopback = options.allowInsecureLoopback === true;
  const seen = new Set<string>();
  const issuers = (resolver === undefined ? (options.issuers as readonly IssuerConfig[]) : []).map((entry): ResolvedIssuer => {
    const resolved = resolveIssuerEntry(entry, allowInsecureLoopback);
    if (seen.has(resolved.issuer)) invalid(`issuer ${quote(resolved.issuer)} is listed twice`);
    seen.add(resolved.issuer);
    return resolved;
  });

  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  if (!isList(algorithms) || algorithms.length === 0) invalid('algorithms must list at least one algorithm');
  for (const alg of algorithms) {
    // `none` and HMAC are refused whatever is configured: HMAC keyed with a public key is the classic forgery.
    if (!(RSA_ALGORITHMS as readonly string[]).includes(alg)) invalid(`algorithm ${quote(alg)} is not supported (RSA signatures only)`);
  }

  return {
    issuers,
    resolver,
    allowInsecureLoopback,
    maxIssuers: positive('maxIssuers', options.maxIssuers, 100),
    issuerResolverMaxAgeMs: nonNegative('issuerResolverMaxAgeSeconds', options.issuerResolverMaxAgeSeconds, 300) * 1000,
    algorithms: new Set(algorithms),
    clockTolerance: nonNegative('clockToleranceSeconds', options.clockToleranceSeconds, DEFAULT_CLOCK_TOLERANCE),
    maxTokenAge: options.maxTokenAgeSeconds === undefined ? undefined : nonNegative('maxTokenAgeSeconds', options.maxTokenAgeSeconds, 0),
    now: resolveNow(options.now),
    minRsaModulusBits: positive('minRsaModulusBits', options.minRsaModulusBits, 2048),
    maxTokenBytes: positive('maxTokenBytes', options.maxTokenBytes, DEFAULT_MAX_TOKEN_BYTES),
    dispatcher: options.dispatcher,
    fetchTimeoutMs: positive('fetchTimeoutMs', options.fetchTimeoutMs, DEFAULT_FETCH_TIMEOUT_MS),
    maxMetadataBytes: positive('maxMetadataBytes', options.maxMetadataBytes, DEFAULT_MAX_METADATA_BYTES),
    unknownKidRefreshIntervalMs: nonNegative('unknownKidRefreshIntervalSeconds', options.unknownKidRefreshIntervalSeconds, 30) * 1000,
    keysMaxAgeMs: positive('keysMaxAgeSeconds', options.keysMaxAgeSeconds, 3600) * 1000,
    keysMaxStaleMs: nonNegative('keysMaxStaleSeconds', options.keysMaxStaleSeconds, 86_400) * 1000,
    policy:
      options.policy === undefined
        ? undefined
        : checkedPolicy(options.policy, resolver === undefined ? issuers.map((entry) => entry.issuer) : undefined),
    tokenCache: resolveTokenCache(options.tokenCache),
  };
}

/**
 * One configured issuer, checked and normalised: from the static list at construction, or from a
 * resolver's answer at run time (a mistake there is an ERR_CONFIG_INVALID refusal of that token).
 */
export function resolveIssuerEntry(entry: IssuerConfig, allowInsecureLoopback: boolean): ResolvedIssuer {
  const url = typeof entry === 'string' ? entry : (entry as { issuer?: unknown } | null)?.issuer;
  if (typeof url !== 'string') invalid('each issuer is a URL string or { issuer, jwks }');
  const issuer = normalizeIssuer(url, allowInsecureLoopback);
  if (typeof entry === 'string') return { issuer, jwks: undefined, signer: undefined };
  return { issuer, jwks: entry.jwks, signer: resolveSigner(entry.signer, issuer) };
}

/**
 * Compiles a policy and checks it against the trusted issuers: a policy naming only issuers the verifier
 * does not trust could never pass, which is a configuration mistake worth failing on at start-up.
 * `undefined` issuers (resolved at run time) cannot be checked in advance.
 */
export function checkedPolicy(policy: AttestationPolicy | CompiledPolicy, issuers: readonly string[] | undefined): CompiledPolicy {
  const compiled = compilePolicy(policy);
  if (issuers === undefined) return compiled;
  const untrusted = compiled.authorities.filter((authority) => !issuers.includes(authority));
  if (untrusted.length > 0)
    invalid(`the policy names authorities the verifier does not trust: ${untrusted.map((a) => quote(a)).join(', ')}`);
  return compiled;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

function resolveSigner(signer: SignerPin | undefined, issuer: string): SignerPin | undefined {
  if (signer === undefined) return undefined;
  const where = `issuer ${quote(issuer)} signer`;
  if (typeof signer !== 'object' || signer === null)
    invalid(`${where} must be { mrsigner?, mrenclave?, minSvn?, allowDebug?, collateral? }`);
  for (const name of ['mrsigner', 'mrenclave'] as const) {
    const list = signer[name];
    if (
      list !== undefined &&
      (!Array.isArray(list) || list.length === 0 || !list.every((value) => typeof value === 'string' && HEX64.test(value)))
    ) {
      invalid(`${where}.${name} must be a non-empty list of 64-hex-digit values`);
    }
  }
  if (signer.mrsigner === undefined && signer.mrenclave === undefined) invalid(`${where} must pin mrsigner or mrenclave`);
  if (signer.minSvn !== undefined && !(Number.isInteger(signer.minSvn) && signer.minSvn >= 0 && signer.minSvn <= 0xffff))
    invalid(`${where}.minSvn must be an integer 0..65535`);
  if (signer.allowDebug !== undefined && typeof signer.allowDebug !== 'boolean') invalid(`${where}.allowDebug must be a boolean`);
  const collateralProblem = signer.collateral === undefined ? undefined : collateralShapeProblem(signer.collateral);
  if (collateralProblem !== undefined) invalid(`${where}.collateral ${collateralProblem}`);
  return signer;
}

function resolveTokenCache(cache: false | TokenCacheOptions | undefined): false | TokenCacheOptions {
  if (cache === false) return false;
  if (cache === undefined) return {};
  if (typeof cache !== 'object' || cache === null) invalid('tokenCache must be false or { maxEntries, maxBytes }');
  return {
    maxEntries: positive('tokenCache.maxEntries', cache.maxEntries, DEFAULT_TOKEN_CACHE.maxEntries),
    maxBytes: positive('tokenCache.maxBytes', cache.maxBytes, DEFAULT_TOKEN_CACHE.maxBytes),
  };
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) invalid(`${name} must be a non-negative number`);
  return value;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const resolved = nonNegative(name, value, fallback);
  if (resolved === 0) invalid(`${name} must be greater than zero`);
  return resolved;
}

function invalid(message: string): never {
  throw new AttestationError('ERR_CONFIG_INVALID', message);
}
