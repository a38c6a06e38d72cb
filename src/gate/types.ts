/**
 * The framework-neutral request gate: its options, the request it reads and the outcome it returns. An
 * HTTP adapter (the Express/Connect middleware, and any other framework's) turns its native request into
 * a `GateRequest`, asks the gate, and writes the `GateOutcome` back in its framework's terms; every rule
 * (where the token may travel, the order of checks, what a body needs, how a refusal is answered) lives
 * in the gate, once.
 */
import type { AttestationError } from '../errors.js';
import type { BindingOptions } from '../verify/bind.js';
import type { ReplayStore } from '../verify/replay-store.js';
import type { AttestationPolicy, CompiledPolicy } from '../policy/index.js';
import type { VerifyRequestSignatureOptions } from '../possession/verify-request.js';
import type { VerifiedAttestation } from '../verify/result.js';
import type { Verifier } from '../verify/verifier.js';

/** Header fields by lower-case name, as node:http (`IncomingHttpHeaders`) and most frameworks hold them. */
export type GateHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The minimal request the gate reads. Adapters build it from their framework's request, without copying headers. */
export interface GateRequest {
  /** The request method, as received (`GET`, `POST`…). */
  readonly method: string;
  /** The request target as received, in origin form: path and query (`/data?x=1`), never a full URL. */
  readonly target: string;
  /**
   * `host[:port]` the client addressed: HTTP/1.1's Host header, HTTP/2's `:authority`. Used for the
   * `@authority` of a request signature unless `possession.authority` is configured.
   */
  readonly authority?: string | undefined;
  /** `http` or `https`, when the adapter knows it. Informational: signatures do not cover `@scheme`. */
  readonly scheme?: string | undefined;
  /**
   * Header fields by lower-case name. A repeated field is an array of its lines, or its lines joined with
   * ", " (both are read the same way, RFC 9110 §5.3).
   */
  readonly headers: GateHeaders;
  /**
   * Node's raw header list (name, value, name, value…), when the adapter has it: node:http keeps only
   * the first of repeated `Authorization` headers in `headers`, so only this list shows a second token.
   */
  readonly rawHeaders?: readonly string[] | undefined;
  /** The complete request body, when the adapter captured it (needed for `Content-Digest` with `possession`). */
  readonly body?: Uint8Array | undefined;
  /**
   * Whether a body the gate cannot see may follow: set by the adapter from protocol knowledge, since only
   * it knows the protocol. HTTP/1.x: a `Content-Length` other than 0, or any `Transfer-Encoding`.
   * HTTP/2 and HTTP/3: a `Content-Length` other than 0, or no `Content-Length` unless the stream is
   * known to have ended with its headers (END_STREAM). With `possession`, such a request without `body`
   * is refused: a body that is not seen cannot be checked against a signature.
   */
  readonly bodyMayFollow: boolean;
  /**
   * An object that lives as long as the client's connection (Node's socket): a keep-alive client's
   * repeated token is recognised on it without hashing it again. Optional.
   */
  readonly connection?: object | undefined;
  /** The adapter's own request object, handed back unchanged to `onRefusal` and `token.from`. */
  readonly original?: unknown;
}

/** Where the gate looks for the attestation token. Exactly one place may carry it per request. */
export interface TokenSources<Request = GateRequest> {
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
  /**
   * Your own extractor; return undefined when the request carries no token. Not allowed with
   * `possession`: the gate could not tell which field the signature must cover.
   */
  readonly from?: (request: Request) => string | undefined;
}

export interface PossessionOptions extends VerifyRequestSignatureOptions {
  /**
   * The authority (`host[:port]`) this service is reached at, as clients sign it. Set it: then a request
   * signed for another service fails here. Default: the request's `authority`, which only ties the
   * signature to whatever host the client named.
   */
  readonly authority?: string;
}

/**
 * What to do with a refusal besides answering it, for logs and metrics. May return a promise; a throw or
 * a rejection is published on `CHANNELS.callbackError` and never changes the outcome or crashes the process.
 */
export type RefusalListener = (error: AttestationError, request: GateRequest) => unknown;

export interface RequestGateOptions {
  /** A verifier from `createVerifier`, shared by every gate. Required. */
  readonly verifier: Verifier;
  /**
   * Which enclaves this gate trusts. Required: a gate without a policy would let any authentic token
   * through, debug enclaves included. It narrows the verifier's own policy, if it has one: both must pass.
   * Compiled and checked against the verifier's issuers at construction.
   */
  readonly policy: AttestationPolicy | CompiledPolicy;
  /** Where the token is looked for. Default: `Authorization: Bearer` only. */
  readonly token?: TokenSources;
  /** When false, a request without a token passes with `attestation: undefined` (a bad token is still refused). Default true. */
  readonly required?: boolean;
  /** The `realm` of `WWW-Authenticate`: 1–256 token68 characters (`A-Z a-z 0-9 - . _ ~ + /`, trailing `=`). Default `attestation`. */
  readonly realm?: string;
  /** `Retry-After` seconds on 503 (keys or replay store unavailable): a non-negative integer. Default 30. */
  readonly retryAfterSeconds?: number;
  /** Require the token to be bound to a challenge nonce issued by this challenge store (consumed once). */
  readonly binding?: BindingOptions;
  /** Make each token single-use across the fleet sharing this replay store (by `jti`). */
  readonly singleUse?: ReplayStore;
  /**
   * Require proof of possession: each request signed (RFC 9421) with the private key whose public half
   * the enclave put in its runtime data (`attestation.runtimeKey`), covering the field that carried the
   * token, so a stolen token alone is refused.
   */
  readonly possession?: PossessionOptions;
  /** Called with each refusal (see {@link RefusalListener}). The error's message says what failed; it is never sent to the client. */
  readonly onRefusal?: RefusalListener;
}

/** The problem body of a refusal (RFC 9457), with the stable code. Its texts are fixed per code. */
export interface ProblemDetails {
  readonly type: 'about:blank';
  readonly title: string;
  readonly status: number;
  /** The stable error code, e.g. `ERR_TOKEN_EXPIRED`. */
  readonly code: AttestationError['code'];
  readonly detail: string;
}

export interface GateAccepted {
  readonly ok: true;
  /** The verified attestation; undefined only when the token is not `required` and none was presented. */
  readonly attestation: VerifiedAttestation | undefined;
}

export interface GateRefused {
  readonly ok: false;
  /** Why, with its stable code; the message is for logs only. Never modified by the gate. */
  readonly error: AttestationError;
  readonly status: number;
  /** `WWW-Authenticate` (RFC 6750) and `Retry-After`, by lower-case name, computed from the error. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body to send as `application/problem+json`. */
  readonly problem: ProblemDetails;
}

export type GateOutcome = GateAccepted | GateRefused;

export interface RequestGate {
  /**
   * Decides one request: token (form, header, issuer, key, signature, time, claims) → policy → request
   * signature (possession) → only then what consumes state (challenge nonce, `jti`, RFC 9421 nonce).
   * Never rejects: every failure, including an unexpected one (`ERR_INTERNAL`), is a refused outcome.
   */
  check(request: GateRequest): Promise<GateOutcome>;
  /**
   * The outcome when it is known without waiting, undefined otherwise (then call `check`): a refusal
   * found before verification (no token, a malformed presentation), or a remembered token on a gate
   * without binding, single use or possession. The hot path of a keep-alive client costs no promise.
   * Refusals returned here are reported to `onRefusal` as by `check`.
   */
  checkSync(request: GateRequest): GateOutcome | undefined;
}
