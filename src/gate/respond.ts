import { STATUS_CODES } from 'node:http';
import { AttestationError, type AttestationErrorCode } from '../errors.js';
import type { ProblemDetails } from './types.js';

/** The HTTP answer to a refusal: status, headers, and an RFC 9457 problem body. */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: ProblemDetails;
}

export interface RespondOptions {
  /** The `realm` of `WWW-Authenticate`. Default `attestation`. */
  readonly realm?: string;
  /** Seconds for `Retry-After` on 503. Default 30. */
  readonly retryAfter?: number;
}

export const DEFAULT_REALM = 'attestation';
export const DEFAULT_RETRY_AFTER_SECONDS = 30;

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
  ERR_INTERNAL: 'The attestation gate failed unexpectedly',
};

/** The RFC 6750 error attribute per HTTP status. */
function bearerError(error: AttestationError): string | undefined {
  if (error.code === 'ERR_TOKEN_MISSING') return undefined; // RFC 6750 §3.1: no error when no credentials were sent
  if (error.status === 400) return 'invalid_request';
  if (error.status === 401) return 'invalid_token';
  if (error.status === 403) return 'insufficient_scope';
  return undefined;
}

/** RFC 7235 token68: safe inside a quoted-string without escapes, and in any header. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_REALM_LENGTH = 256;

export function isToken68(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_REALM_LENGTH && TOKEN68.test(value);
}

export function isRetryAfter(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Anything thrown as the error of an answer: an AttestationError, or an unexpected failure (ERR_INTERNAL). */
export function asAttestationError(error: unknown): AttestationError {
  return error instanceof AttestationError ? error : new AttestationError('ERR_INTERNAL', 'an unexpected error occurred', { cause: error });
}

/**
 * One table from error to HTTP answer, for every adapter and for users' own error handlers. Options
 * that are absent or unusable fall back to the defaults (`realm="attestation"`, `Retry-After: 30`): an
 * error handler must answer, not throw. The error is never modified.
 */
export function errorResponse(error: AttestationError, options: RespondOptions = {}): ErrorResponse {
  const refusal = asAttestationError(error);
  const realm = isToken68(options?.realm) ? options.realm : DEFAULT_REALM;
  const retryAfter = isRetryAfter(options?.retryAfter) ? options.retryAfter : DEFAULT_RETRY_AFTER_SECONDS;
  const detail = DESCRIPTIONS[refusal.code] ?? DESCRIPTIONS.ERR_INTERNAL;
  const status = refusal.status;
  const headers: Record<string, string> = {};
  if (status === 401 || status === 400 || status === 403) {
    const attribute = bearerError(refusal);
    headers['www-authenticate'] = `Bearer realm="${realm}"${attribute === undefined ? '' : `, error="${attribute}", error_description="${detail}"`}`;
  }
  if (status === 503) headers['retry-after'] = String(retryAfter);
  return {
    status,
    headers,
    body: { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, code: refusal.code, detail },
  };
}
