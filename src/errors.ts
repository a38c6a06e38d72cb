/**
 * The one error type that leaves the library. Every rejection carries a stable `code` (for programs and
 * dashboards) and the HTTP `status` a relying party should answer with. Messages say what was wrong
 * without echoing attacker-controlled bytes at length.
 */

/** Stable error codes, with the HTTP status each maps to. */
export const ERROR_STATUS = {
  /** No token was presented. */
  ERR_TOKEN_MISSING: 401,
  /** Not a compact JWS with JSON-object header and payload. */
  ERR_TOKEN_MALFORMED: 401,
  /** Longer than `maxTokenBytes`. */
  ERR_TOKEN_TOO_LARGE: 401,
  /** `alg` absent, `none`, HMAC, or outside the configured allowlist. */
  ERR_ALG_NOT_ALLOWED: 401,
  /** A header parameter is missing, of the wrong type, or refused (`crit`, `jwk`, `x5c`, `x5u`, foreign `jku`). */
  ERR_HEADER_INVALID: 401,
  /** `iss` is not exactly one of the configured issuers. */
  ERR_ISSUER_UNTRUSTED: 401,
  /** The issuer publishes no key with the token's `kid`. */
  ERR_KEY_NOT_FOUND: 401,
  /** The issuer publishes a key with that `kid`, but it is unusable (too short, wrong subject, a chain…). */
  ERR_KEY_INVALID: 401,
  /** The signature does not verify with the issuer's key. */
  ERR_SIGNATURE_INVALID: 401,
  /** `exp` has passed (beyond the clock tolerance). */
  ERR_TOKEN_EXPIRED: 401,
  /** `nbf` or `iat` lies in the future (beyond the clock tolerance). */
  ERR_TOKEN_NOT_YET_VALID: 401,
  /** Issued longer ago than `maxTokenAge`. */
  ERR_TOKEN_TOO_OLD: 401,
  /** A claim is missing, of the wrong type, contradicts another, or the token is not an attestation result. */
  ERR_CLAIM_INVALID: 401,
  /** The request is not signed (RFC 9421) with the attested key: signature missing, malformed, stale, replayed, not covering what it must, or invalid. */
  ERR_POSSESSION: 401,
  /** The token is authentic but the policy does not trust this enclave. */
  ERR_POLICY_DENIED: 403,
  /** The issuer's signing-key metadata could not be fetched or was unusable, and no usable cached copy exists. */
  ERR_METADATA_UNAVAILABLE: 503,
  /** The request itself is malformed: several token sources at once, a broken Authorization header (RFC 6750 invalid_request). */
  ERR_REQUEST_INVALID: 400,
  /** The library was configured wrongly: thrown at construction, and by `verify` only for an invalid per-call policy. */
  ERR_CONFIG_INVALID: 500,
  /** A single-use value (a challenge nonce, a token's `jti`) was presented a second time. */
  ERR_REPLAY: 401,
  /** The token is not bound to this request: an unknown, expired or malformed challenge nonce, or runtime data the report data does not bind. */
  ERR_BINDING_MISMATCH: 401,
  /** The replay store could not answer (down, timed out, failed); single-use values are refused until it can. */
  ERR_REPLAY_STORE_UNAVAILABLE: 503,
  /** An unexpected failure inside the library (a bug, or a callback that threw): never a pass, never blamed on the token. */
  ERR_INTERNAL: 500,
} as const;

export type AttestationErrorCode = keyof typeof ERROR_STATUS;

export class AttestationError extends Error {
  override readonly name = 'AttestationError';
  readonly code: AttestationErrorCode;
  /** The HTTP status a relying party should answer with. */
  readonly status: number;
  /**
   * Response headers for this error (`WWW-Authenticate`, `Retry-After`): set only by the Express adapter's
   * `passErrors` on the error it hands to `next(err)`. The gate computes headers, never writes them here.
   */
  headers?: Record<string, string>;

  constructor(code: AttestationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = ERROR_STATUS[code];
  }
}

export function isAttestationError(value: unknown): value is AttestationError {
  return value instanceof AttestationError;
}

/** Longest slice of attacker-controlled text a message may quote. */
const QUOTE_LIMIT = 64;

/**
 * Quotes untrusted input for an error message: cut short, control and non-ASCII characters escaped, so a
 * message can go into a log line or a header without letting the token author write into it.
 */
export function quote(value: unknown): string {
  // JSON values keep their type: 1.5 and true print bare, "1.5" and "true" quoted, so a message about a
  // string where a number belongs shows the confusion it reports.
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isFinite(value) ? cut(String(value)) : `<${String(value)}>`;
  if (typeof value !== 'string') return `<${Array.isArray(value) ? 'array' : typeof value}>`;
  return JSON.stringify(cut(value)).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function cut(text: string): string {
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
}
