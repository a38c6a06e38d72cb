/**
 * `attestation-gate/client`: the enclave side of proof of possession. Signs each request (RFC 9421) with
 * the private key whose public half the enclave put in its attested runtime data, over the components
 * the relying party's `verifyRequestSignature` requires by default.
 *
 * Imports only node:crypto and the shared possession code, never the verifier or middleware, so a
 * client does not load express, undici or jose.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { AttestationError } from '../errors.js';
import { algorithmsForKey, keyThumbprint, signWith, type SignatureAlgorithm } from '../possession/algorithms.js';
import { createContentDigest } from '../possession/content-digest.js';
import {
  buildSignatureBase,
  DEFAULT_REQUIRED_COMPONENTS,
  signatureField,
  signatureInputField,
  type SignatureParameter,
} from '../possession/signature-base.js';
import { isKey } from '../possession/structured-fields.js';

export { AttestationError, isAttestationError, type AttestationErrorCode } from '../errors.js';
export { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from '../possession/algorithms.js';
export { createContentDigest, DIGEST_ALGORITHMS, type DigestAlgorithm } from '../possession/content-digest.js';

export interface SignRequestOptions {
  readonly method: string;
  /** The absolute URL the request goes to. */
  readonly url: string | URL;
  /** The request's other headers; an `Authorization` here is signed when `token` is not given. */
  readonly headers?: Headers | Readonly<Record<string, string>>;
  /** The body exactly as it will be sent (strings as UTF-8). */
  readonly body?: Uint8Array | string;
  /** The attested key's private half: EC P-256, RSA (2048 bits or more) or Ed25519. */
  readonly privateKey: KeyObject;
  /** The `keyid` parameter. Default: the RFC 7638 thumbprint of the public key. */
  readonly keyId?: string;
  /** The MAA token; sets and signs `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Add a random `nonce` parameter, so a relying party with a nonce store refuses replays. Default true. */
  readonly nonce?: boolean;
  /** Milliseconds since the epoch, like `Date.now` (the default). */
  readonly now?: () => number;
  /** Default: ecdsa-p256-sha256, ed25519, or rsa-pss-sha512 for RSA keys. */
  readonly algorithm?: SignatureAlgorithm;
  /** The signature label. Default `sig1`. */
  readonly label?: string;
}

function misuse(reason: string): never {
  throw new AttestationError('ERR_CONFIG_INVALID', reason);
}

/** Fetch uppercases these method names whatever their case (Fetch standard, "normalize a method"); sign what goes on the wire. */
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

/** RFC 6750 b64token: what a Bearer credential may contain. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Signs one request and returns the headers to send with it: `authorization`, `content-digest` when
 * there is a body, `signature-input` and `signature`. Covered: `@method`, `@authority`, `@path`,
 * `@query`, `authorization`, and `content-digest` with a body; parameters `created`, `keyid`, `alg`
 * and (by default) `nonce`, in that order.
 */
export function signRequest(options: SignRequestOptions): Record<string, string> {
  const { privateKey } = options;
  if (privateKey === null || typeof privateKey !== 'object' || privateKey.type !== 'private')
    misuse('privateKey must be a private KeyObject');
  const allowed = algorithmsForKey(privateKey);
  if (allowed.length === 0) misuse('privateKey must be an EC P-256, RSA (2048 bits or more) or Ed25519 key');
  const algorithm = options.algorithm ?? allowed[0]!;
  if (!allowed.includes(algorithm)) misuse(`algorithm ${algorithm} cannot be used with this key`);

  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    return misuse('url must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') misuse('url must be an http: or https: URL');

  if (typeof options.method !== 'string') misuse('method must be a string');
  const upper = options.method.toUpperCase();
  const method = NORMALIZED_METHODS.has(upper) ? upper : options.method;

  const given = new Headers(options.headers);
  let authorization = given.get('authorization');
  if (options.token !== undefined) {
    if (typeof options.token !== 'string' || !B64TOKEN.test(options.token)) misuse('token must be a bearer token (RFC 6750 b64token)');
    authorization = `Bearer ${options.token}`;
  }
  // Signing without the token would leave the signature free to travel with any token.
  if (authorization === null) misuse('signRequest needs a token (or an Authorization header) to bind the signature to');

  const body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
  const out: Record<string, string> = { authorization };
  const components = [...DEFAULT_REQUIRED_COMPONENTS];
  if (body !== undefined && body.length > 0) {
    out['content-digest'] = createContentDigest(body);
    components.push('content-digest');
  }

  const created = Math.floor((options.now ?? Date.now)() / 1000);
  if (!Number.isSafeInteger(created) || created < 0) misuse('now() must return milliseconds since the epoch');
  const keyId = options.keyId ?? keyThumbprint(privateKey);
  // The relying party refuses longer strings; better to fail here than on every request.
  if (typeof keyId !== 'string' || !/^[\x20-\x7e]{1,256}$/.test(keyId)) misuse('keyId must be 1 to 256 printable ASCII characters');
  const label = options.label ?? 'sig1';
  if (typeof label !== 'string' || !isKey(label)) misuse('label must be a structured-field key such as "sig1"');
  const parameters: SignatureParameter[] = [
    ['created', created],
    ['keyid', keyId],
    ['alg', algorithm],
  ];
  if (options.nonce !== false) parameters.push(['nonce', randomBytes(16).toString('base64url')]);
  const input = { components, parameters };

  const base = buildSignatureBase(
    // fetch sends `url.pathname` + `url.search` (plus a bare "?" if the href ends in one); with no query
    // and with an empty one alike, RFC 9421 §2.2.7 gives a lone "?", so both sides agree either way.
    { method, authority: url.host, path: url.pathname, query: `?${url.search.slice(1)}`, headers: out },
    input,
  );
  out['signature-input'] = signatureInputField(label, input);
  out.signature = signatureField(label, signWith(algorithm, privateKey, Buffer.from(base, 'utf8')));
  return out;
}

export interface AttestedFetchOptions {
  /** The MAA token, or a function returning the current one (tokens live 8 hours). */
  readonly token: string | (() => string | Promise<string>);
  readonly privateKey: KeyObject;
  /** Default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  readonly keyId?: string;
  readonly algorithm?: SignatureAlgorithm;
  /** Default true. */
  readonly nonce?: boolean;
  readonly now?: () => number;
  readonly label?: string;
}

export type AttestedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A `fetch` that signs every request with `privateKey` and presents `token`. Bodies are read into
 * memory first (the digest needs every byte before sending). Redirects are not followed unless
 * `init.redirect` says so: a signature covers one path, and following would hand the token to wherever
 * the redirect points.
 */
export function createAttestedFetch(options: AttestedFetchOptions): AttestedFetch {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') misuse('no fetch implementation');
  const { privateKey, algorithm, nonce, now, label } = options;
  // Fail at construction, not on the first request. A default keyId (the thumbprint, computed just below
  // once the key has passed this check) is always valid, so a stand-in is checked in its place.
  signRequest({
    method: 'GET',
    url: 'http://localhost/',
    privateKey,
    keyId: options.keyId ?? 'check',
    algorithm,
    token: 'check',
    nonce,
    now,
    label,
  });
  const keyId = options.keyId ?? keyThumbprint(privateKey);

  return async (input, init) => {
    // Request normalizes the method, URL and every body type (FormData, Blob, streams) into the exact bytes sent.
    const request = new Request(input, init);
    const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    const signed = signRequest({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body,
      privateKey,
      keyId,
      algorithm,
      token,
      nonce,
      now,
      label,
    });
    const headers = new Headers(request.headers);
    for (const [name, value] of Object.entries(signed)) headers.set(name, value);
    return fetchImpl(request.url, {
      ...init,
      method: request.method,
      headers,
      body,
      signal: request.signal,
      redirect: init?.redirect ?? 'manual',
    });
  };
}
