import { AttestationError } from '../errors.js';

/** A minimal request shape: Node's IncomingMessage, an Express or a Connect request. */
export interface RequestLike {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly url?: string | undefined;
  /** Node's raw header list (name, value, …): the only place a repeated Authorization header shows. */
  readonly rawHeaders?: readonly string[] | undefined;
}

/** Where the middleware looks for the attestation token. */
export interface TokenSources {
  /** `Authorization: Bearer <token>` (RFC 6750 §2.1). Default true. */
  readonly bearer?: boolean;
  /** A request header carrying the bare token, e.g. `x-attestation-token`. */
  readonly header?: string;
  /** A cookie carrying the token. */
  readonly cookie?: string;
  /**
   * A query parameter carrying the token (RFC 6750 §2.3). Off unless named: tokens in URLs end up in
   * logs, proxies and browser history.
   */
  readonly query?: string;
  /** Your own extractor; return undefined when the request carries no token. */
  readonly from?: (request: RequestLike) => string | undefined;
}

/** The scheme, case-insensitive (RFC 7235 §2.1), and the spaces after it. */
const BEARER_SCHEME = /^bearer +/i;

/**
 * Finds the one token a request presents. More than one source present is an `invalid_request` (RFC 6750
 * §2: "MUST NOT use more than one method"): two different tokens would leave it unclear which was verified.
 * An Authorization header with another scheme (Basic, DPoP…) is someone else's credential, not ours.
 */
export function extractToken(request: RequestLike, sources: TokenSources): string | undefined {
  const found: string[] = [];
  if (sources.bearer !== false) {
    const authorization = tokenHeader(request, 'authorization');
    if (authorization !== undefined && /^bearer(\s|$)/i.test(authorization)) {
      // Only the scheme is matched by a regex: the token itself (3–6 KB) is checked by the strict parser,
      // and here only for what would make the header ambiguous.
      const scheme = BEARER_SCHEME.exec(authorization);
      const token = scheme === null ? '' : authorization.slice(scheme[0].length);
      if (token === '' || token.includes(' ') || token.includes('\t') || token.includes(',')) {
        throw invalidRequest('the Authorization header is not "Bearer <token>"');
      }
      found.push(token);
    }
  }
  if (sources.header !== undefined) {
    const value = tokenHeader(request, sources.header.toLowerCase());
    if (value !== undefined) found.push(value.trim());
  }
  if (sources.cookie !== undefined) {
    const value = cookieValue(request, sources.cookie);
    if (value !== undefined) found.push(value);
  }
  if (sources.query !== undefined) {
    const value = queryValue(request, sources.query);
    if (value !== undefined) found.push(value);
  }
  if (sources.from !== undefined) {
    const value = sources.from(request);
    if (value !== undefined) found.push(value);
  }
  if (found.length > 1) throw invalidRequest('the request presents the token in more than one place');
  const token = found[0];
  return token === undefined || token === '' ? undefined : token;
}

function singleHeader(request: RequestLike, name: string): string | undefined {
  const value = request.headers[name];
  if (Array.isArray(value)) {
    if (value.length > 1) throw invalidRequest(`the request repeats the ${name} header`);
    return value[0];
  }
  return value;
}

/**
 * A header that carries the token, present once. Node keeps only the first of repeated Authorization
 * headers in `headers` and joins other repeated headers with ", ", so a second token would go unseen by
 * the gate yet be read by whatever reads the raw request: the raw list decides.
 */
function tokenHeader(request: RequestLike, name: string): string | undefined {
  const value = singleHeader(request, name);
  const raw = request.rawHeaders;
  if (value !== undefined && Array.isArray(raw)) {
    let count = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const header = raw[i];
      if (typeof header === 'string' && header.length === name.length && header.toLowerCase() === name && ++count > 1) {
        throw invalidRequest(`the request repeats the ${name} header`);
      }
    }
  }
  return value;
}

function cookieValue(request: RequestLike, name: string): string | undefined {
  const header = singleHeader(request, 'cookie');
  if (header === undefined) return undefined;
  let value: string | undefined;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0 || pair.slice(0, separator).trim() !== name) continue;
    if (value !== undefined) throw invalidRequest(`the request repeats the ${name} cookie`);
    value = pair.slice(separator + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return value;
}

function queryValue(request: RequestLike, name: string): string | undefined {
  const url = request.url ?? '';
  const start = url.indexOf('?');
  if (start < 0) return undefined;
  const values = new URLSearchParams(url.slice(start + 1)).getAll(name);
  if (values.length > 1) throw invalidRequest(`the request repeats the ${name} query parameter`);
  return values[0];
}

function invalidRequest(message: string): AttestationError {
  return new AttestationError('ERR_REQUEST_INVALID', message);
}
