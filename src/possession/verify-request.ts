/**
 * Proof of possession for MAA tokens. A token is an 8-hour bearer token; the enclave that attested put
 * a public key in its runtime data, so the relying party can demand that each request be signed
 * (RFC 9421) with the matching private key. A stolen token without that key is then useless, and since
 * the signature covers `Authorization`, a signature made with the right key cannot be moved to another
 * token either.
 */
import { KeyObject } from 'node:crypto';
import { AttestationError, isAttestationError, quote } from '../errors.js';
import { refuseRenamed } from '../util/renamed.js';
import { storeUnavailable } from '../verify/replay-store.js';
import { algorithmsForKey, isSignatureAlgorithm, keyThumbprint, verifyWith } from './algorithms.js';
import { verifyContentDigest } from './content-digest.js';
import {
  buildSignatureBase,
  DEFAULT_REQUIRED_COMPONENTS,
  headerLines,
  isSupportedComponent,
  parseSignature,
  parseSignatureInput,
  splitRequestTarget,
  type HeaderFields,
} from './signature-base.js';
import { isKey } from './structured-fields.js';

export { DEFAULT_REQUIRED_COMPONENTS } from './signature-base.js';

export interface SignedRequest {
  readonly method: string;
  /** The request target as received: path and query (`req.url` in node:http, `req.originalUrl` in Express). */
  readonly url: string;
  /**
   * host[:port] the client addressed. Prefer the authority this service is configured to be reached at
   * over the Host header: then a request signed for another service fails here.
   */
  readonly authority: string;
  readonly headers: HeaderFields;
  /**
   * The body bytes exactly as received (e.g. from `express.raw()`); absent or empty when there is none.
   * A covered Content-Digest is checked against these bytes, so a body not read yet fails the check.
   */
  readonly body?: Uint8Array;
}

/** Remembers nonces; `once` resolves true the first time it sees `key` within `ttlMs`, false after. */
export interface NonceStore {
  once(key: string, ttlMs: number): Promise<boolean>;
}

export interface VerifyRequestSignatureOptions {
  /** Seconds a signature stays acceptable after its `created` time. Default 60. */
  readonly maxAgeSeconds?: number;
  /** Seconds of clock skew tolerated on `created` and `expires`. Default 5. */
  readonly clockToleranceSeconds?: number;
  /** Milliseconds since the epoch, like `Date.now` (the default). */
  readonly now?: () => number;
  /**
   * Components the signature must cover. Default `DEFAULT_REQUIRED_COMPONENTS`. `content-digest` is
   * required whenever the request has a body, whatever this says.
   */
  readonly requiredComponents?: readonly string[];
  /** Refuses a `nonce` seen before. Without a store, nonces are not checked. */
  readonly nonceStore?: NonceStore;
  /** Refuse signatures without a `nonce` (needs `nonceStore`). Default false. */
  readonly requireNonce?: boolean;
  /** Verify the signature with this label and ignore others; by default exactly one signature is accepted. */
  readonly label?: string;
  /**
   * The component of the field that carried the token (`authorization`, a header name, `cookie`, or
   * `@query` for a query parameter): the signature must cover it, or it could travel with any token.
   * The request gate sets it from where it found the token.
   */
  readonly tokenComponent?: string;
}

/** A request signature that verified; what it would consume is left for the caller to use up last. */
export interface RequestProof {
  /** Uses up the signature's nonce in the nonce store (once every other proof has passed); resolves when there is none to use. */
  consumeNonce(): Promise<void>;
}

const MAX_NONCE_LENGTH = 128;

function refuse(reason: string): never {
  throw new AttestationError('ERR_POSSESSION', reason);
}

function misconfigured(reason: string): never {
  throw new AttestationError('ERR_CONFIG_INVALID', reason);
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    misconfigured(`${name} must be a finite number of seconds, at least 0`);
  return value;
}

/** Validates options; the middleware calls it once at construction so a misconfiguration fails at start-up. */
export function checkSignatureOptions(options: VerifyRequestSignatureOptions) {
  const maxAgeSeconds = nonNegative(options.maxAgeSeconds, 60, 'maxAgeSeconds');
  refuseRenamed(options, { clockTolerance: 'clockToleranceSeconds' }, 'request signature option');
  const clockTolerance = nonNegative(options.clockToleranceSeconds, 5, 'clockToleranceSeconds');
  const required = options.requiredComponents ?? DEFAULT_REQUIRED_COMPONENTS;
  if (!Array.isArray(required) || !required.every((name) => typeof name === 'string' && isSupportedComponent(name))) {
    misconfigured('requiredComponents must list @method, @authority, @path, @query or lower-case header names');
  }
  if (options.requireNonce === true && options.nonceStore === undefined) misconfigured('requireNonce needs a nonceStore');
  if (options.label !== undefined && (typeof options.label !== 'string' || !isKey(options.label))) {
    misconfigured('label must be a structured-field key such as "sig1"');
  }
  if (
    options.tokenComponent !== undefined &&
    (typeof options.tokenComponent !== 'string' || !isSupportedComponent(options.tokenComponent))
  ) {
    misconfigured('tokenComponent must be authorization, a lower-case header name, cookie or @query');
  }
  if (
    options.nonceStore !== undefined &&
    (typeof options.nonceStore !== 'object' || options.nonceStore === null || typeof options.nonceStore.once !== 'function')
  ) {
    misconfigured('nonceStore must have a once(key, ttlMs) method');
  }
  if (options.now !== undefined && typeof options.now !== 'function')
    misconfigured('now must be a function returning milliseconds since the epoch');
  return { maxAgeSeconds, clockTolerance, required: required as readonly string[] };
}

function singleField(headers: HeaderFields, name: string, display: string): string {
  const lines = headerLines(headers, name);
  if (lines === undefined) refuse(`the request has no ${display} header`);
  // RFC 8941 §4.2: several lines of a dictionary field are one value joined with commas.
  return lines.join(', ');
}

/**
 * Checks that `request` is signed (RFC 9421) with the private key matching `publicKey` — the attested
 * runtime key — recently, over the components that bind it to this request and token. Resolves when
 * it is; otherwise rejects with `AttestationError('ERR_POSSESSION')` (or `ERR_CONFIG_INVALID` for wrong
 * options), and with nothing else.
 */
export async function verifyRequestSignature(
  request: SignedRequest,
  publicKey: KeyObject,
  options: VerifyRequestSignatureOptions = {},
): Promise<void> {
  const proof = checkRequestSignature(request, publicKey, options);
  await proof.consumeNonce();
}

/**
 * Every check of {@link verifyRequestSignature} that consumes nothing, synchronously; the returned proof
 * uses up the nonce later. Throws `ERR_POSSESSION` (or `ERR_CONFIG_INVALID`), and nothing else.
 */
export function checkRequestSignature(
  request: SignedRequest,
  publicKey: KeyObject,
  options: VerifyRequestSignatureOptions = {},
): RequestProof {
  try {
    return check(request, publicKey, options);
  } catch (error) {
    if (isAttestationError(error)) throw error;
    throw new AttestationError('ERR_POSSESSION', 'the request signature could not be checked', { cause: error });
  }
}

const NO_NONCE: RequestProof = Object.freeze({ consumeNonce: () => Promise.resolve() });

function check(request: SignedRequest, publicKey: KeyObject, options: VerifyRequestSignatureOptions): RequestProof {
  const { maxAgeSeconds, clockTolerance, required } = checkSignatureOptions(options);
  if (!(publicKey instanceof KeyObject) || publicKey.type !== 'public') misconfigured('the key to verify with must be a public KeyObject');
  const allowed = algorithmsForKey(publicKey);
  if (allowed.length === 0)
    refuse('the attested key cannot verify request signatures (EC P-256, RSA of 2048 bits or more, or Ed25519 are supported)');

  const headers = request.headers;
  if (typeof headers !== 'object' || headers === null) refuse('the request has no headers');
  const input = parseSignatureInput(singleField(headers, 'signature-input', 'Signature-Input'), options.label);
  const signature = parseSignature(singleField(headers, 'signature', 'Signature'), input.label, options.label === undefined);

  const body = request.body ?? new Uint8Array(0);
  if (!(body instanceof Uint8Array)) misconfigured('the request body must be a Uint8Array');
  const covered = new Set(input.components);
  for (const name of required) if (!covered.has(name)) refuse(`the signature does not cover ${quote(name)}`);
  if (options.tokenComponent !== undefined && !covered.has(options.tokenComponent)) {
    refuse(`the signature does not cover ${quote(options.tokenComponent)}, which carries the token`);
  }
  if (body.length > 0 && !covered.has('content-digest')) refuse('the request has a body but the signature does not cover content-digest');

  // Freshness: `created` bounds how long a captured request can be replayed; the signer's claim, so
  // clamped both ways by our clock.
  const now = (options.now ?? Date.now)() / 1000;
  if (!Number.isFinite(now)) misconfigured('now() must return milliseconds since the epoch');
  if (input.created === undefined) refuse('the signature has no created time');
  if (input.created > now + clockTolerance) refuse('the signature was created in the future');
  if (now - input.created > maxAgeSeconds + clockTolerance) refuse(`the signature is older than ${maxAgeSeconds} seconds`);
  if (input.expires !== undefined) {
    if (input.expires < input.created) refuse('the signature expires before it was created');
    if (now > input.expires + clockTolerance) refuse('the signature has expired');
  }

  // The request names the algorithm, but may only choose among those the attested key's type allows.
  if (input.alg === undefined) refuse('the signature has no alg parameter');
  if (!isSignatureAlgorithm(input.alg) || !allowed.includes(input.alg))
    refuse(`alg ${quote(input.alg)} is not allowed for the attested key`);

  if (input.nonce !== undefined && input.nonce.length > MAX_NONCE_LENGTH) refuse('the nonce is too long');
  if (options.requireNonce === true && input.nonce === undefined) refuse('the signature has no nonce');

  // The signature covers the Content-Digest header; only this check ties that header to the bytes received.
  if (covered.has('content-digest')) verifyContentDigest(headerLines(headers, 'content-digest'), body);

  const { path, query } = splitRequestTarget(request.url);
  const base = buildSignatureBase({ method: request.method, authority: request.authority, path, query, headers }, input);
  if (!verifyWith(input.alg, publicKey, Buffer.from(base, 'utf8'), signature))
    refuse('the request signature does not verify with the attested key');

  const store = options.nonceStore;
  const nonce = input.nonce;
  if (store === undefined || nonce === undefined) return NO_NONCE;
  // Used up only by the caller, after the signature verified: otherwise anyone could burn a legitimate
  // client's nonces. Long enough to outlive the window in which `created` still passes.
  const ttlMs = Math.ceil((maxAgeSeconds + 2 * clockTolerance) * 1000);
  const key = `${keyThumbprint(publicKey)}:${nonce}`;
  return {
    async consumeNonce() {
      let first: unknown;
      try {
        first = await store.once(key, ttlMs);
      } catch (error) {
        // The store failing says nothing about the client: unavailable (503), as for the jti replay store.
        throw storeUnavailable(error, 'the nonce store failed; the nonce could not be checked');
      }
      if (first !== true) refuse('the nonce has been used before');
    },
  };
}
