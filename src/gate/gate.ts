import { bindingNonce, singleUseKey } from '../verify/bind.js';
import { CHANNELS, publish } from '../diagnostics.js';
import { AttestationError } from '../errors.js';
import { checkRequestSignature, type RequestProof, type VerifyRequestSignatureOptions } from '../possession/index.js';
import type { VerifiedAttestation } from '../verify/result.js';
import type { VerifyOptions } from '../verify/verifier.js';
import { findToken, type FoundToken } from './extract.js';
import { resolveGateOptions, type ResolvedGateOptions, type ResolvedPossession } from './options.js';
import { asAttestationError, errorResponse } from './respond.js';
import type { GateAccepted, GateOutcome, GateRefused, GateRequest, RequestGate, RequestGateOptions } from './types.js';

const NO_TOKEN: GateAccepted = Object.freeze({ ok: true, attestation: undefined });

/**
 * The framework-neutral request gate: validates its options once (ERR_CONFIG_INVALID), then decides each
 * request in a fixed order — token (form, header, issuer, key, signature, time, claims) → policy (the
 * verifier's floor and this gate's) → request signature (possession) → only then what consumes state
 * (challenge nonce, `jti`, RFC 9421 nonce) — so a request that fails any check consumes nothing.
 */
export function createRequestGate(options: RequestGateOptions): RequestGate {
  return buildGate(resolveGateOptions(options));
}

export function buildGate(config: ResolvedGateOptions): RequestGate {
  const { verifier, policy, sources, required, binding, singleUse, possession, onRefusal } = config;
  const respond = { realm: config.realm, retryAfterSeconds: config.retryAfterSeconds };
  const consumes = binding !== undefined || singleUse !== undefined;
  // Binding, single use and possession need I/O or the whole request: never answered synchronously.
  const synchronous = !consumes && possession === undefined;
  const signatureOptions = possession === undefined ? undefined : signatureOptionsByCarrier(possession);

  function refused(error: unknown, request: GateRequest): GateRefused {
    const refusal = asAttestationError(error);
    const answer = errorResponse(refusal, respond);
    if (onRefusal !== undefined) report(refusal, request);
    return { ok: false, error: refusal, status: answer.status, headers: answer.headers, problem: answer.body };
  }

  /** A listener that throws or rejects is published, never propagated: logging must not turn a refusal into a crash. */
  function report(refusal: AttestationError, request: GateRequest): void {
    try {
      const returned: unknown = onRefusal!(refusal, request);
      if (typeof returned === 'object' && returned !== null && typeof (returned as PromiseLike<unknown>).then === 'function') {
        Promise.resolve(returned).then(undefined, (error: unknown) => callbackFailed(error));
      }
    } catch (error) {
      callbackFailed(error);
    }
  }

  /** The token, or the outcome already decided by how it was (not) presented. */
  function locate(request: GateRequest): FoundToken | GateOutcome {
    let found: FoundToken | undefined;
    try {
      found = findToken(request, sources);
    } catch (error) {
      return refused(error, request);
    }
    if (found !== undefined) return found;
    return required ? refused(new AttestationError('ERR_TOKEN_MISSING', 'no attestation token was presented'), request) : NO_TOKEN;
  }

  // A server: while a new token's RSA runs on the thread pool, the event loop serves other requests.
  const withoutConnection: VerifyOptions = { policy, signatureThread: 'thread-pool' };
  function verifyOptions(request: GateRequest): VerifyOptions {
    return request.connection === undefined
      ? withoutConnection
      : { policy, connection: request.connection, signatureThread: 'thread-pool' };
  }

  function checkSync(request: GateRequest): GateOutcome | undefined {
    // How the token was (not) presented is known at once on every gate, so a request refused for it
    // costs no promise, and an adapter need not read a body first.
    const found = locate(request);
    if ('ok' in found) return found;
    if (!synchronous) return undefined;
    try {
      const cached = verifier.verifyCached(found.token, verifyOptions(request));
      return cached === undefined ? undefined : { ok: true, attestation: cached };
    } catch (error) {
      return refused(error, request);
    }
  }

  async function check(request: GateRequest): Promise<GateOutcome> {
    const found = locate(request);
    if ('ok' in found) return found;
    try {
      // 1–2: the token and the policies (the verifier's floor, this gate's); consumes nothing.
      const attestation = await verifier.verify(found.token, verifyOptions(request));
      // What will be consumed must exist before anything is: a token without a nonce or jti burns nothing.
      if (binding !== undefined) bindingNonce(attestation, binding);
      if (singleUse !== undefined) singleUseKey(attestation);
      // 3: the request signature, checked in full without using up its nonce.
      const proof = signatureOptions === undefined ? undefined : prove(request, attestation, signatureOptions(found.carrier), possession!);
      // 4: only now, state: challenge nonce, then jti, then the signature's nonce.
      if (consumes) await verifier.consume(attestation, { binding, singleUse });
      if (proof !== undefined) await proof.consumeNonce();
      return { ok: true, attestation };
    } catch (error) {
      return refused(error, request);
    }
  }

  return { check, checkSync };
}

/** Signature options per token carrier, built once each: the carrier joins the components the signature must cover. */
function signatureOptionsByCarrier(possession: ResolvedPossession): (carrier: string | undefined) => VerifyRequestSignatureOptions {
  const built = new Map<string | undefined, VerifyRequestSignatureOptions>();
  return (carrier) => {
    let options = built.get(carrier);
    if (options === undefined) {
      options = carrier === undefined ? possession.signature : { ...possession.signature, tokenComponent: carrier };
      built.set(carrier, options);
    }
    return options;
  };
}

/** Checks the request's RFC 9421 signature against the key the attested enclave holds. */
function prove(
  request: GateRequest,
  attestation: VerifiedAttestation,
  options: VerifyRequestSignatureOptions,
  possession: ResolvedPossession,
): RequestProof {
  const key = attestation.runtimeKey;
  if (key === undefined) throw new AttestationError('ERR_POSSESSION', 'the attestation carries no enclave key to prove possession of');
  const { body } = request;
  // A body the gate cannot see is not an empty body: its digest could not be checked, and the handler
  // would act on bytes the signature never covered.
  if (body === undefined && request.bodyMayFollow !== false) {
    throw new AttestationError('ERR_POSSESSION', 'the request may carry a body the gate cannot see: capture the raw body before the gate');
  }
  return checkRequestSignature(
    {
      method: request.method,
      url: request.target,
      authority: possession.authority ?? request.authority ?? '',
      headers: request.headers,
      ...(body === undefined ? {} : { body }),
    },
    key,
    options,
  );
}

function callbackFailed(error: unknown): void {
  publish(CHANNELS.callbackError, () => ({ callback: 'onRefusal', error }));
}
