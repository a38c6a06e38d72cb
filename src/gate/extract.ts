import { AttestationError } from '../errors.js';
import type { GateHeaders, TokenSources } from './types.js';

/** What token extraction reads: a `GateRequest`, or any request with headers and a target. */
export interface TokenCarrierRequest {
  readonly headers: GateHeaders;
  /** Path and query as received. */
  readonly target: string;
  readonly rawHeaders?: readonly string[] | undefined;
}

/** A presented token and the request field that carried it. */
export interface FoundToken {
  readonly token: string;
  /**
   * The signature component that covers the carrying field: `authorization`, the named header, `cookie`,
   * or `@query` for a query parameter; undefined for a token from a custom extractor.
   */
  readonly carrier: string | undefined;
}

/** The scheme, case-insensitive (RFC 7235 §2.1), and the spaces after it. */
const BEARER_SCHEME = /^bearer +/i;

/**
 * Finds the one token a request presents. More than one source present is an `invalid_request` (RFC 6750
 * §2: "MUST NOT use more than one method"): two different tokens would leave it unclear which was verified.
 * An Authorization header with another scheme (Basic, DPoP…) is someone else's credential, not ours.
 */
export function findToken<Request extends TokenCarrierRequest>(request: Request, sources: TokenSources<Request>): FoundToken | undefined {
  let token: string | undefined;
  let carrier: string | undefined;
  let count = 0;
  if (sources.bearer !== false) {
    const authorization = tokenHeader(request, 'authorization');
    if (authorization !== undefined) {
      const found = bearerToken(authorization);
      if (found !== undefined) {
        // Only the scheme is parsed here: the token itself (3–6 KB) is checked by the strict parser,
        // and here only for what would make the header ambiguous.
        if (found === '' || found.includes(' ') || found.includes('\t') || found.includes(',')) {
          throw invalidRequest('the Authorization header is not "Bearer <token>"');
        }
        count += 1;
        token = found;
        carrier = 'authorization';
      }
    }
  }
  // The other sources are rarer: gathered the simple way.
  const others: FoundToken[] = [];
  if (sources.header !== undefined) {
    const name = sources.header.toLowerCase();
    const value = tokenHeader(request, name);
    if (value !== undefined) others.push({ token: value.trim(), carrier: name });
  }
  if (sources.cookie !== undefined) {
    const value = cookieValue(request, sources.cookie);
    if (value !== undefined) others.push({ token: value, carrier: 'cookie' });
  }
  if (sources.query !== undefined) {
    const value = queryValue(request.target, sources.query);
    if (value !== undefined) others.push({ token: value, carrier: '@query' });
  }
  if (sources.from !== undefined) {
    const value = sources.from(request);
    if (value !== undefined) {
      if (typeof value !== 'string') throw new AttestationError('ERR_CONFIG_INVALID', 'token.from must return a string or undefined');
      others.push({ token: value, carrier: undefined });
    }
  }
  count += others.length;
  if (count > 1) throw invalidRequest('the request presents the token in more than one place');
  if (others.length === 1) ({ token, carrier } = others[0]!);
  return token === undefined || token === '' ? undefined : { token, carrier };
}

/** "bearer", lower-case, by character code. */
const BEARER = [0x62, 0x65, 0x61, 0x72, 0x65, 0x72];

/**
 * The credentials after the Bearer scheme (RFC 6750 §2.1), '' when the scheme is followed by no token
 * (or not by a space), undefined for another scheme. The usual form, "Bearer " then the token, is read by
 * character codes; anything else by the regular expressions, which define the rule.
 */
function bearerToken(authorization: string): string | undefined {
  let usual = authorization.length > 7 && authorization.charCodeAt(6) === 0x20 && authorization.charCodeAt(7) !== 0x20;
  for (let i = 0; usual && i < 6; i++) usual = (authorization.charCodeAt(i) | 0x20) === BEARER[i];
  if (usual) return authorization.slice(7);
  if (!/^bearer(\s|$)/i.test(authorization)) return undefined;
  const scheme = BEARER_SCHEME.exec(authorization);
  return scheme === null ? '' : authorization.slice(scheme[0].length);
}

/** Every line of a header: a string, or the lines of an array. */
function headerValues(request: TokenCarrierRequest, name: string): readonly string[] | undefined {
  const value = request.headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? [value] : value;
}

function singleHeader(request: TokenCarrierRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (value === undefined || typeof value === 'string') return value;
  if (value.length > 1) throw invalidRequest(`the request repeats the ${name} header`);
  return value[0];
}

/**
 * A header that carries the token, present once. Node keeps only the first of repeated Authorization
 * headers in `headers` and joins other repeated headers with ", ", so a second token would go unseen by
 * the gate yet be read by whatever reads the raw request: the raw list decides.
 */
function tokenHeader(request: TokenCarrierRequest, name: string): string | undefined {
  const value = singleHeader(request, name);
  const raw = request.rawHeaders;
  if (value !== undefined && Array.isArray(raw)) {
    let count = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const header: unknown = raw[i];
      if (typeof header === 'string' && header.length === name.length && header.toLowerCase() === name && ++count > 1) {
        throw invalidRequest(`the request repeats the ${name} header`);
      }
    }
  }
  return value;
}

/** HTTP/2 may split cookies over several `cookie` fields (RFC 9113 §8.2.3); they are one list. */
function cookieValue(request: TokenCarrierRequest, name: string): string | undefined {
  const lines = headerValues(request, 'cookie');
  if (lines === undefined) return undefined;
  let value: string | undefined;
  for (const line of lines) {
    for (const pair of line.split(';')) {
      const separator = pair.indexOf('=');
      if (separator < 0 || pair.slice(0, separator).trim() !== name) continue;
      if (value !== undefined) throw invalidRequest(`the request repeats the ${name} cookie`);
      value = pair
        .slice(separator + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
    }
  }
  return value;
}

function queryValue(target: string, name: string): string | undefined {
  const start = typeof target === 'string' ? target.indexOf('?') : -1;
  if (start < 0) return undefined;
  const values = new URLSearchParams(target.slice(start + 1)).getAll(name);
  if (values.length > 1) throw invalidRequest(`the request repeats the ${name} query parameter`);
  return values[0];
}

function invalidRequest(message: string): AttestationError {
  return new AttestationError('ERR_REQUEST_INVALID', message);
}
