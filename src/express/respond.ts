import { STATUS_CODES } from 'node:http';
import type { AttestationErrorCode, AttestationError } from '../errors.js';

/** What the middleware answers for a refusal: status, headers, and an RFC 9457 problem body. */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: ProblemDetails;
}

export interface ProblemDetails {
  readonly type: 'about:blank';
  readonly title: string;
  readonly status: number;
  /** The stable error code, e.g. `ERR_TOKEN_EXPIRED`. */
  readonly code: AttestationErrorCode;
  readonly detail: string;
}

export interface RespondOptions {
  /** The `realm` of `WWW-Authenticate`. */
  readonly realm: string;
  /** Seconds for `Retry-After` when keys are unavailable. */
  readonly retryAfter: number;
}

/**
 * What clients are told, per code. Fixed texts, never the error message: messages may quote the token,
 * and the answer must reveal neither the attacker's bytes nor the policy's expected values.
 */
const DESCRIPTIONS: Record<AttestationErrorCode, string> = {
  ERR_TOKEN_MISSING: 'An attestation token is required',
  ERR_TOKEN_MALFORMED: 'The attestation token is malformed',
  ERR_TOKEN_TOO_LARGE: 'The attestation token is too large',
  ERR_ALG_NOT_ALLOWED: 'The attestation token algorithm is not allowed',
  ERR_HEADER_INVALID: 'The attestation token header is not acceptable',
  ERR_ISSUER_UNTRUSTED: 'The attestation token issuer is not trusted',
  ERR_KEY_NOT_FOUND: 'The attestation token signing key is unknown',
  ERR_KEY_INVALID: 'The attestation token signing key is not acceptable',
  ERR_SIGNATURE_INVALID: 'The attestation token signature is invalid',
  ERR_TOKEN_EXPIRED: 'The attestation token has expired',
  ERR_TOKEN_NOT_YET_VALID: 'The attestation token is not valid yet',
  ERR_TOKEN_TOO_OLD: 'The attestation token is too old',
  ERR_CLAIM_INVALID: 'The attestation token claims are invalid',
  ERR_POSSESSION: 'The request is not signed with the attested key',
  ERR_POLICY_DENIED: 'The attested enclave is not allowed here',
  ERR_METADATA_UNAVAILABLE: 'Attestation signing keys are temporarily unavailable',
  ERR_REQUEST_INVALID: 'The request presents the attestation token incorrectly',
  ERR_CONFIG_INVALID: 'The attestation gate is misconfigured',
  ERR_REPLAY: 'This single-use value has already been used',
  ERR_BINDING_MISMATCH: 'The attestation is not bound to this request',
  ERR_REPLAY_STORE_UNAVAILABLE: 'Replay protection is temporarily unavailable',
};

/** The RFC 6750 error attribute per HTTP status. */
function bearerError(error: AttestationError): string | undefined {
  if (error.code === 'ERR_TOKEN_MISSING') return undefined; // RFC 6750 §3.1: no error when no credentials were sent
  if (error.status === 400) return 'invalid_request';
  if (error.status === 401) return 'invalid_token';
  if (error.status === 403) return 'insufficient_scope';
  return undefined;
}

/** Keeps a realm to the characters a quoted-string may carry without escapes. */
export function safeRealm(realm: string): string {
  return realm.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
}

/** One table from error to HTTP answer, for the middleware and for users' own error handlers. */
export function errorResponse(error: AttestationError, options: RespondOptions): ErrorResponse {
  const detail = DESCRIPTIONS[error.code];
  const headers: Record<string, string> = {};
  if (error.status === 401 || error.status === 400 || error.status === 403) {
    const attribute = bearerError(error);
    headers['www-authenticate'] = `Bearer realm="${safeRealm(options.realm)}"${attribute === undefined ? '' : `, error="${attribute}", error_description="${detail}"`}`;
  }
  if (error.status === 503) headers['retry-after'] = String(Math.max(1, Math.round(options.retryAfter)));
  return {
    status: error.status,
    headers,
    body: { type: 'about:blank', title: STATUS_CODES[error.status] ?? 'Error', status: error.status, code: error.code, detail },
  };
}

/** The response shape both HTTP handlers write to: Node's ServerResponse, Express's, Connect's. */
export interface ResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
  readonly headersSent?: boolean;
}

/** Writes a refusal as `application/problem+json`, never cached. */
export function sendProblem(res: ResponseLike, answer: ErrorResponse): void {
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/problem+json');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(answer.body));
}
