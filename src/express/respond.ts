import { STATUS_CODES } from 'node:http';
import { ERROR_TABLE, type AttestationErrorCode, type AttestationError } from '../errors.js';

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

/** Keeps a realm to the characters a quoted-string may carry without escapes. */
export function safeRealm(realm: string): string {
  return realm.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
}

/** One table from error to HTTP answer, for the middleware and for users' own error handlers. */
export function errorResponse(error: AttestationError, options: RespondOptions): ErrorResponse {
  const { clientText: detail, bearerError: attribute } = ERROR_TABLE[error.code];
  const headers: Record<string, string> = {};
  if (error.status === 401 || error.status === 400 || error.status === 403) {
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
