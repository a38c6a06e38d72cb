/**
 * The one error type that leaves the library. Every rejection carries a stable `code` (for programs and
 * dashboards) and the HTTP `status` a relying party should answer with. Messages say what was wrong
 * without echoing attacker-controlled bytes at length.
 *
 * Everything the library knows about a code is in ERROR_TABLE, read by the HTTP answer (status, client
 * text, RFC 6750 error), the CLI (hint) and the README's table (checked against it by a test). A new code
 * is one entry here and nothing else.
 */

/** The RFC 6750 §3.1 `error` attribute of `WWW-Authenticate`. */
export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

export interface ErrorDescription {
  /** The HTTP status a relying party should answer with. */
  readonly status: 400 | 401 | 403 | 500 | 503;
  /** When the code is used: the README's "when" column. */
  readonly when: string;
  /**
   * What a client is told: a fixed text, never the error message, which may quote the token; the answer
   * must reveal neither the attacker's bytes nor the policy's expected values.
   */
  readonly clientText: string;
  /**
   * The RFC 6750 `error` of the `WWW-Authenticate: Bearer` challenge; undefined for codes that are not a
   * verdict on the credentials (no token at all, §3.1; the server's own failures).
   */
  readonly bearerError: BearerError | undefined;
  /** The CLI's next step for someone holding this refusal, when there is one. */
  readonly hint: string | undefined;
}

/** Stable error codes and everything the library says about each. */
export const ERROR_TABLE = {
  ERR_TOKEN_MISSING: {
    status: 401,
    when: 'no token was presented',
    clientText: 'An attestation token is required',
    bearerError: undefined,
    hint: 'give the token itself, a file holding it, or - to read it from stdin',
  },
  ERR_TOKEN_MALFORMED: {
    status: 401,
    when: 'not a compact JWS with JSON-object header and payload',
    clientText: 'The attestation token is malformed',
    bearerError: 'invalid_token',
    hint: '`attestation-gate inspect` shows which part does not decode',
  },
  ERR_TOKEN_TOO_LARGE: {
    status: 401,
    when: 'longer than `maxTokenBytes`',
    clientText: 'The attestation token is too large',
    bearerError: 'invalid_token',
    hint: 'real MAA tokens are 2–6 KB; raise maxTokenBytes only for a token you expect to be larger',
  },
  ERR_ALG_NOT_ALLOWED: {
    status: 401,
    when: '`alg` missing, `none`, HMAC, or not in `algorithms`',
    clientText: 'The attestation token algorithm is not allowed',
    bearerError: 'invalid_token',
    hint: 'MAA signs with RS256; alg none comes from attesting against a draft policy',
  },
  ERR_HEADER_INVALID: {
    status: 401,
    when: 'bad `kid`/`typ`, `crit`, `jwk`/`x5c`/`x5u`, or a `jku` other than `<iss>/certs`',
    clientText: 'The attestation token header is not acceptable',
    bearerError: 'invalid_token',
    hint: '`attestation-gate inspect` lists every header member a verifier refuses',
  },
  ERR_ISSUER_UNTRUSTED: {
    status: 401,
    when: '`iss` is not exactly a configured issuer',
    clientText: 'The attestation token issuer is not trusted',
    bearerError: 'invalid_token',
    hint: "the token's iss must equal one --issuer exactly (`attestation-gate inspect` shows it)",
  },
  ERR_KEY_NOT_FOUND: {
    status: 401,
    when: 'the issuer publishes no key with that `kid`',
    clientText: 'The attestation token signing key is unknown',
    bearerError: 'invalid_token',
    hint: 'the issuer does not publish this kid: a token from another instance, or a key rotated away',
  },
  ERR_KEY_INVALID: {
    status: 401,
    when: 'the issuer publishes that `kid`, but the key is unusable (too short, names another instance, a chain…)',
    clientText: 'The attestation token signing key is not acceptable',
    bearerError: 'invalid_token',
    hint: 'MAA served 1024-bit keys in some regions until 2022: --min-rsa-bits 1024 accepts them',
  },
  ERR_SIGNATURE_INVALID: {
    status: 401,
    when: 'the signature does not verify',
    clientText: 'The attestation token signature is invalid',
    bearerError: 'invalid_token',
    hint: 'the token was altered, or signed by a key of another instance that reuses this kid',
  },
  ERR_TOKEN_EXPIRED: {
    status: 401,
    when: 'past `exp` (beyond `clockToleranceSeconds`)',
    clientText: 'The attestation token has expired',
    bearerError: 'invalid_token',
    hint: 'to check a historical token, pass --at with a time inside its iat..exp window',
  },
  ERR_TOKEN_NOT_YET_VALID: {
    status: 401,
    when: '`nbf` or `iat` in the future',
    clientText: 'The attestation token is not valid yet',
    bearerError: 'invalid_token',
    hint: 'check the clock, or pass --at with a time inside the token window',
  },
  ERR_TOKEN_TOO_OLD: {
    status: 401,
    when: 'older than `maxTokenAgeSeconds`',
    clientText: 'The attestation token is too old',
    bearerError: 'invalid_token',
    hint: 'attest again for a fresh token, or pass --at with a time closer to its iat',
  },
  ERR_CLAIM_INVALID: {
    status: 401,
    when: 'a claim is missing, mistyped, contradicts another, or the token is not an attestation result',
    clientText: 'The attestation token claims are invalid',
    bearerError: 'invalid_token',
    hint: '`attestation-gate inspect` names the claim and what a verifier expects of it',
  },
  ERR_POLICY_DENIED: {
    status: 403,
    when: 'authentic, but the policy does not trust this enclave',
    clientText: 'The attested enclave is not allowed here',
    bearerError: 'insufficient_scope',
    hint: 'the reasons above name each condition the claims failed',
  },
  ERR_METADATA_UNAVAILABLE: {
    status: 503,
    when: "the issuer's keys cannot be fetched and no usable cached copy exists",
    clientText: 'Attestation signing keys are temporarily unavailable',
    bearerError: undefined,
    hint: "the issuer's keys could not be fetched; --jwks pins a saved /certs body instead",
  },
  ERR_REQUEST_INVALID: {
    status: 400,
    when: 'the request presents the token wrongly (several places, broken `Authorization`)',
    clientText: 'The request presents the attestation token incorrectly',
    bearerError: 'invalid_request',
    hint: undefined,
  },
  ERR_BINDING_MISMATCH: {
    status: 401,
    when: "a bound token's challenge nonce is unknown, expired or missing, or its runtime data is not bound by the report data",
    clientText: 'The attestation is not bound to this request',
    bearerError: 'invalid_token',
    hint: undefined,
  },
  ERR_REPLAY: {
    status: 401,
    when: 'a challenge nonce or a single-use token (`jti`) presented a second time',
    clientText: 'This single-use value has already been used',
    bearerError: 'invalid_token',
    hint: undefined,
  },
  ERR_POSSESSION: {
    status: 401,
    when: 'the request is not signed (RFC 9421) with the key the attested enclave holds',
    clientText: 'The request is not signed with the attested key',
    bearerError: 'invalid_token',
    hint: undefined,
  },
  ERR_REPLAY_STORE_UNAVAILABLE: {
    status: 503,
    when: 'the replay store (Redis) or the request-signature nonce store cannot answer: single-use values are refused until it can',
    clientText: 'Replay protection is temporarily unavailable',
    bearerError: undefined,
    hint: undefined,
  },
  ERR_CONFIG_INVALID: {
    status: 500,
    when: 'wrong options: thrown at construction, and by `verify` only for an invalid per-call `policy` (compile it once with `compilePolicy`) or `signatureThread`',
    clientText: 'The attestation gate is misconfigured',
    bearerError: undefined,
    hint: undefined,
  },
  ERR_INTERNAL: {
    status: 500,
    when: 'an unexpected failure inside the library (a bug, or a callback that threw), the original as its `cause`: never a pass, never blamed on the token',
    clientText: 'The attestation gate failed unexpectedly',
    bearerError: undefined,
    hint: 'a bug in attestation-gate, not a verdict on the token: please report it with the stack above',
  },
} as const satisfies Record<string, ErrorDescription>;

export type AttestationErrorCode = keyof typeof ERROR_TABLE;

/** The HTTP status of each code, derived from ERROR_TABLE. */
export const ERROR_STATUS = Object.freeze(Object.fromEntries(Object.entries(ERROR_TABLE).map(([code, { status }]) => [code, status]))) as {
  readonly [C in AttestationErrorCode]: (typeof ERROR_TABLE)[C]['status'];
};

/**
 * A refusal with a stable `code`. Like jose's error classes, the code is a literal type: `new
 * AttestationError('ERR_TOKEN_EXPIRED', …)` is an `AttestationError<'ERR_TOKEN_EXPIRED'>` whose `status`
 * is `401`, and `isAttestationError(error, 'ERR_POLICY_DENIED')` narrows to that code. A caught error
 * typed `AnyAttestationError` narrows by `switch (error.code)`.
 */
export class AttestationError<C extends AttestationErrorCode = AttestationErrorCode> extends Error {
  override readonly name = 'AttestationError';
  readonly code: C;
  /** The HTTP status a relying party should answer with. */
  readonly status: (typeof ERROR_TABLE)[C]['status'];
  /**
   * Response headers for this error (`WWW-Authenticate`, `Retry-After`): set only by the Express adapter's
   * `passErrors` on the error it hands to `next(err)`. The gate computes headers, never writes them here.
   */
  headers?: Record<string, string>;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = ERROR_TABLE[code].status;
  }
}

/** An AttestationError of any one code: `switch (error.code)` narrows it to that code's error. */
export type AnyAttestationError = { [C in AttestationErrorCode]: AttestationError<C> }[AttestationErrorCode];

/** Whether `value` is an AttestationError; with codes, whether it is one of those (and typed so). */
export function isAttestationError<C extends AttestationErrorCode = AttestationErrorCode>(
  value: unknown,
  ...codes: readonly C[]
): value is AttestationError<C> {
  return (
    value instanceof AttestationError && (codes.length === 0 || (codes as readonly string[]).includes((value as AttestationError).code))
  );
}

/**
 * What leaves the library when something other than an AttestationError was thrown inside it: a bug,
 * reported as ERR_INTERNAL (500) with the original as `cause`, never passed off as a verdict on the token.
 */
export function asAttestationError(cause: unknown): AttestationError {
  return isAttestationError(cause) ? cause : new AttestationError('ERR_INTERNAL', 'an unexpected internal error', { cause });
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
  return escapeNonPrintable(JSON.stringify(cut(value)));
}

/**
 * Untrusted text as a log line carries it, unquoted (diagnostics messages): cut as `quote` cuts it,
 * every character outside printable ASCII (CR, LF, ANSI escapes, NUL, non-ASCII) written as `\uXXXX`.
 */
export function printableText(text: string): string {
  return escapeNonPrintable(cut(text));
}

function cut(text: string): string {
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
}

function escapeNonPrintable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
