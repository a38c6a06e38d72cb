import { STATUS_CODES } from 'node:http';
import { asAttestationError, ERROR_TABLE, type AttestationError } from '../errors.js';
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
  readonly retryAfterSeconds?: number;
}

export const DEFAULT_REALM = 'attestation';
export const DEFAULT_RETRY_AFTER_SECONDS = 30;

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
export { asAttestationError };

/**
 * One table from error to HTTP answer, for every adapter and for users' own error handlers. Options
 * that are absent or unusable fall back to the defaults (`realm="attestation"`, `Retry-After: 30`): an
 * error handler must answer, not throw. The error is never modified.
 */
export function errorResponse(error: AttestationError, options: RespondOptions = {}): ErrorResponse {
  const refusal = asAttestationError(error);
  const realm = isToken68(options?.realm) ? options.realm : DEFAULT_REALM;
  const retryAfter = isRetryAfter(options?.retryAfterSeconds) ? options.retryAfterSeconds : DEFAULT_RETRY_AFTER_SECONDS;
  // Client text and RFC 6750 error from the one error table; an unknown code (a forged object) as ERR_INTERNAL.
  const { clientText: detail, bearerError: attribute } = ERROR_TABLE[refusal.code] ?? ERROR_TABLE.ERR_INTERNAL;
  const status = refusal.status;
  const headers: Record<string, string> = {};
  if (status === 401 || status === 400 || status === 403) {
    headers['www-authenticate'] =
      `Bearer realm="${realm}"${attribute === undefined ? '' : `, error="${attribute}", error_description="${detail}"`}`;
  }
  if (status === 503) headers['retry-after'] = String(retryAfter);
  return {
    status,
    headers,
    body: { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, code: refusal.code, detail },
  };
}
