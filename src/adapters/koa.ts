/**
 * `attestation-gate/koa`: Koa 2 and 3 middleware over the request gate.
 *
 * ```ts
 * router.get('/data', koaAttestation({ verifier, policy }), (ctx) => { ctx.body = ctx.state.attestation; });
 * ```
 *
 * On success `ctx.state.attestation` holds the verified attestation and the next middleware runs; on
 * refusal it answers with the same status, `WWW-Authenticate`, `Retry-After` and problem body as the
 * Express middleware, and the rest of the chain does not run.
 */
import type { Middleware, ParameterizedContext } from 'koa';
import { nodeGateRequest } from '../gate/node.js';
import type { VerifiedAttestation } from '../verify/result.js';
import { adapterGate, capturedBody, problemHeaders, type AdapterGateOptions } from '../gate/adapter.js';

export type { AdapterGateOptions, AdapterPossessionOptions } from '../gate/adapter.js';

/** What the middleware adds to `ctx.state`. */
export interface AttestationState {
  /** The verified attestation; undefined when the token is not `required` and none was presented. */
  attestation?: VerifiedAttestation;
}

/**
 * The gate's options, with callbacks receiving the Koa context. Possession reads the raw body from
 * `ctx.request.rawBody` (bytes, or the UTF-8 string @koa/bodyparser keeps) or a Buffer `ctx.request.body`,
 * unless `possession.body` says otherwise.
 */
export type KoaAttestationOptions = AdapterGateOptions<ParameterizedContext>;

export function koaAttestation(options: KoaAttestationOptions): Middleware<AttestationState> {
  const gate = adapterGate(options, 'koaAttestation');
  // Read only under possession: the gate asks for the body nowhere else.
  const bodyOf = options.possession?.body ?? rawBodyOf;
  return async function attestationGate(ctx, next) {
    const request = nodeGateRequest(ctx.req, { target: () => ctx.originalUrl, body: () => bodyOf(ctx), original: ctx });
    const outcome = gate.checkSync(request) ?? (await gate.check(request));
    if (outcome.ok) {
      if (outcome.attestation !== undefined) ctx.state.attestation = outcome.attestation;
      await next();
      return;
    }
    ctx.status = outcome.status;
    ctx.set(problemHeaders(outcome));
    // Assigned as a string so Koa keeps the problem+json media type instead of setting its own.
    ctx.body = JSON.stringify(outcome.problem);
  };
}

function rawBodyOf(ctx: ParameterizedContext): Uint8Array | undefined {
  const request = ctx.request as { rawBody?: unknown; body?: unknown };
  // @koa/bodyparser keeps the body it parsed as a UTF-8 string: its bytes are those the client sent
  // whenever they were valid UTF-8; any other body fails its digest, refused rather than misread.
  if (typeof request.rawBody === 'string') return Buffer.from(request.rawBody, 'utf8');
  return capturedBody(request);
}

export default koaAttestation;
