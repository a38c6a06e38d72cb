import { AttestationError } from '../errors.js';
import type { AttestationPolicy, CompiledPolicy } from '../policy/index.js';
import { checkedPolicy } from '../verify/options.js';
import type { VerifiedAttestation } from '../verify/result.js';
import type { Verifier, VerifyOptions } from '../verify/verifier.js';
import type { BindingOptions } from '../binding/bind.js';
import type { ReplayStore } from '../binding/replay-store.js';
import { checkSignatureOptions, verifyRequestSignature, type VerifyRequestSignatureOptions } from '../possession/index.js';
import { extractToken, type RequestLike, type TokenSources } from './extract.js';
import { errorResponse, sendProblem, type ResponseLike } from './respond.js';

export interface RequireAttestationOptions {
  /** A verifier from `createVerifier`, shared by every route. Required. */
  readonly verifier: Verifier;
  /**
   * Which enclaves this route trusts. Required: an attestation gate without a policy would let any
   * authentic token through, debug enclaves included. Compiled and validated here, once.
   */
  readonly policy: AttestationPolicy | CompiledPolicy;
  /** Where the token is looked for. Default: `Authorization: Bearer` only. */
  readonly token?: TokenSources;
  /** When false, a request without a token passes without `req.attestation` (a bad token is still refused). Default true. */
  readonly required?: boolean;
  /** The `realm` of `WWW-Authenticate`. Default `attestation`. */
  readonly realm?: string;
  /** `Retry-After` seconds on 503 (keys unavailable). Default 30. */
  readonly retryAfter?: number;
  /**
   * Hand refusals to `next(err)` instead of answering: the AttestationError carries `status` and `headers`,
   * so Express's default handler answers with the right status and `WWW-Authenticate`. Default false.
   */
  readonly passErrors?: boolean;
  /**
   * Called with each refusal before it is answered, for logs and metrics. The error's message, and for
   * ERR_POLICY_DENIED its `decision.reasons`, say exactly what failed; they are never sent to the client.
   */
  readonly onRefusal?: (error: AttestationError, req: AttestedRequest) => void;
  /** Require the token to be bound to a challenge nonce issued by this challenge store (consumed once). */
  readonly binding?: BindingOptions;
  /** Make each token single-use across the fleet sharing this replay store (by `jti`). */
  readonly singleUse?: ReplayStore;
  /**
   * Require proof of possession: each request signed (RFC 9421) with the private key whose public half
   * the enclave put in its runtime data (`attestation.runtimeKey`), so a stolen token alone is refused.
   */
  readonly possession?: PossessionOptions;
}

export interface PossessionOptions extends VerifyRequestSignatureOptions {
  /**
   * The authority (`host[:port]`) this service is reached at, as clients sign it. Set it: then a request
   * signed for another service fails here. Default: the request's Host header, which only ties the
   * signature to whatever host the client named.
   */
  readonly authority?: string;
  /**
   * The raw request body, for its `Content-Digest`. Default: `req.rawBody`, or `req.body` when it is a
   * Buffer (`express.raw()`). A request that declares a body the gate cannot see is refused.
   */
  readonly body?: (req: AttestedRequest) => Uint8Array | undefined;
}

/** The request as the middleware leaves it. */
export interface AttestedRequest extends RequestLike {
  attestation?: VerifiedAttestation;
  readonly method?: string;
  readonly originalUrl?: string;
  readonly rawBody?: unknown;
  readonly body?: unknown;
  /** The connection (Node's socket): a keep-alive client's repeated token is recognised on it. */
  readonly socket?: object;
}

type Next = (error?: unknown) => void;

/**
 * Express 4/5 and Connect middleware: a plain `(req, res, next)` function that never throws and never
 * returns a rejected promise (Express 4 would not catch it). On success `req.attestation` holds the
 * verified attestation; on refusal it answers 400/401/403/503 with an RFC 9457 problem body and
 * RFC 6750 `WWW-Authenticate`, or passes the error to `next` (`passErrors`).
 */
export function requireAttestation(options: RequireAttestationOptions): (req: AttestedRequest, res: ResponseLike, next: Next) => void {
  if (typeof options !== 'object' || options === null || typeof options.verifier?.verify !== 'function' || typeof options.verifier.verifyCached !== 'function') {
    throw new AttestationError('ERR_CONFIG_INVALID', 'requireAttestation needs { verifier, policy }');
  }
  if (options.policy === undefined) {
    throw new AttestationError('ERR_CONFIG_INVALID', 'requireAttestation needs a policy: which enclaves may use this route');
  }
  const { verifier } = options;
  // Validated here, once: an invalid policy, or one naming issuers the verifier does not trust, fails at start-up.
  const policy = checkedPolicy(options.policy, verifier.issuers);
  const { binding, singleUse } = options;
  const sources: TokenSources = options.token ?? {};
  const required = options.required !== false;
  const respondOptions = { realm: options.realm ?? 'attestation', retryAfter: options.retryAfter ?? 30 };
  const passErrors = options.passErrors === true;

  const onRefusal = options.onRefusal;
  const possession = options.possession;
  if (possession !== undefined) {
    checkSignatureOptions(possession);
    if (possession.authority !== undefined && (typeof possession.authority !== 'string' || possession.authority === '')) {
      throw new AttestationError('ERR_CONFIG_INVALID', 'possession.authority must be the host[:port] clients address this service by');
    }
  }

  function accept(attestation: VerifiedAttestation, req: AttestedRequest, res: ResponseLike, next: Next): void {
    if (possession === undefined) {
      req.attestation = attestation;
      next();
      return;
    }
    proveRequest(req, attestation, possession).then(
      () => {
        req.attestation = attestation;
        next();
      },
      (error: unknown) => refuse(error, req, res, next),
    );
  }

  function refuse(error: unknown, req: AttestedRequest, res: ResponseLike, next: Next): void {
    const refusal = error instanceof AttestationError ? error : new AttestationError('ERR_TOKEN_MALFORMED', 'the token could not be verified', { cause: error });
    if (onRefusal !== undefined) {
      try {
        onRefusal(refusal, req);
      } catch {
        // A failing logger must not turn a refusal into a crash or a pass.
      }
    }
    const answer = errorResponse(refusal, respondOptions);
    if (passErrors) {
      refusal.headers = answer.headers;
      next(refusal);
      return;
    }
    if (res.headersSent) {
      next(refusal);
      return;
    }
    sendProblem(res, answer);
  }

  return function attestationGate(req, res, next) {
    let token: string | undefined;
    try {
      token = extractToken(req, sources);
    } catch (error) {
      refuse(error, req, res, next);
      return;
    }
    if (token === undefined) {
      if (required) refuse(new AttestationError('ERR_TOKEN_MISSING', 'no attestation token was presented'), req, res, next);
      else next();
      return;
    }
    const verifyOptions: VerifyOptions = { policy, binding, singleUse, connection: req.socket };
    // A remembered token is answered synchronously: no promise, no extra tick on the hot path.
    let cached: VerifiedAttestation | undefined;
    try {
      cached = verifier.verifyCached(token, verifyOptions);
    } catch (error) {
      refuse(error, req, res, next);
      return;
    }
    if (cached !== undefined) {
      accept(cached, req, res, next);
      return;
    }
    verifier.verify(token, verifyOptions).then(
      (attestation) => accept(attestation, req, res, next),
      (error: unknown) => refuse(error, req, res, next),
    );
  };
}

/** Checks the request's RFC 9421 signature against the key the attested enclave holds. */
async function proveRequest(req: AttestedRequest, attestation: VerifiedAttestation, options: PossessionOptions): Promise<void> {
  const key = attestation.runtimeKey;
  if (key === undefined) throw new AttestationError('ERR_POSSESSION', 'the attestation carries no enclave key to prove possession of');
  const body = options.body !== undefined ? options.body(req) : rawBodyOf(req);
  if (body === undefined && declaresBody(req)) {
    throw new AttestationError('ERR_POSSESSION', 'the request has a body the gate cannot see: capture the raw body (express.raw, or req.rawBody) before the gate');
  }
  const host = req.headers.host;
  const authority = options.authority ?? (typeof host === 'string' ? host : '');
  await verifyRequestSignature(
    { method: req.method ?? 'GET', url: req.originalUrl ?? req.url ?? '/', authority, headers: req.headers, body },
    key,
    options,
  );
}

function rawBodyOf(req: AttestedRequest): Uint8Array | undefined {
  if (req.rawBody instanceof Uint8Array) return req.rawBody;
  return req.body instanceof Uint8Array ? req.body : undefined;
}

function declaresBody(req: AttestedRequest): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** The verified attestation the gate attached to this request, or undefined on an ungated route. */
export function getAttestation(req: object): VerifiedAttestation | undefined {
  return (req as AttestedRequest).attestation;
}
