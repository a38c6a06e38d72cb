/**
 * `attestation-gate/fastify`: a Fastify 5 plugin over the request gate.
 *
 * ```ts
 * await app.register(attestationGate, { verifier });
 * app.get('/data', { onRequest: app.requireAttestation({ policy }) }, (request) => request.attestation);
 * ```
 *
 * Registered with fastify-plugin, so `request.attestation` is decorated once, on the root instance, and
 * `app.requireAttestation` is visible to every route. Each call builds one gate with its own policy:
 * use it as a route's `onRequest` hook (refused before the body is read) or, with `possession`, as its
 * `preHandler` (the body must have been read to check its digest).
 */
import fastifyPlugin from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AttestationError } from '../errors.js';
import { nodeGateRequest } from '../gate/node.js';
import type { VerifiedAttestation } from '../verify/result.js';
import type { Verifier } from '../verify/verifier.js';
import { adapterGate, capturedBody, problemHeaders, type AdapterGateOptions } from '../gate/adapter.js';

export type { AdapterGateOptions, AdapterPossessionOptions } from '../gate/adapter.js';

export type FastifyAttestationOptions = AdapterGateOptions<FastifyRequest>;

/**
 * The plugin's options: defaults for every route's `requireAttestation` (a shared verifier, realm,
 * token sources…). The policy is per route.
 */
export type FastifyAttestationPluginOptions = Omit<FastifyAttestationOptions, 'policy'>;

/** A route's options: its policy, and anything it changes from the plugin's defaults. */
export type FastifyRouteAttestationOptions = Omit<FastifyAttestationOptions, 'verifier'> & { readonly verifier?: Verifier };

/** A Fastify `onRequest`/`preHandler` hook: resolves to the reply when it answered a refusal (Fastify's early-response convention). */
export type FastifyAttestationHook = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the attestation hook when the request's token verified and satisfied the route's policy. */
    attestation: VerifiedAttestation | undefined;
  }
  interface FastifyInstance {
    /** A hook gating a route on its own policy, with the plugin's options as defaults. */
    requireAttestation(options: FastifyRouteAttestationOptions): FastifyAttestationHook;
  }
}

/**
 * The hook alone, for apps that register the plugin for the decoration but build hooks elsewhere, or
 * that do not use the plugin at all (then `request.attestation` is set on first use). On refusal it
 * answers through the reply: the same status, `WWW-Authenticate`, `Retry-After` and problem body as
 * the Express middleware. Possession reads `request.rawBody` (fastify-raw-body with `encoding: false`)
 * or a Buffer `request.body` unless `possession.body` says otherwise.
 */
export function fastifyAttestation(options: FastifyAttestationOptions): FastifyAttestationHook {
  const gate = adapterGate(options, 'requireAttestation');
  // Read only under possession: the gate asks for the body nowhere else.
  const bodyOf = options.possession?.body ?? capturedBody;
  return async function attestationHook(request, reply) {
    const gateRequest = nodeGateRequest(request.raw, { body: () => bodyOf(request), original: request });
    const outcome = gate.checkSync(gateRequest) ?? (await gate.check(gateRequest));
    if (outcome.ok) {
      request.attestation = outcome.attestation;
      return undefined;
    }
    return reply.code(outcome.status).headers(problemHeaders(outcome)).send(JSON.stringify(outcome.problem));
  };
}

async function plugin(app: FastifyInstance, defaults: FastifyAttestationPluginOptions): Promise<void> {
  if (typeof defaults !== 'object' || defaults === null)
    throw new AttestationError('ERR_CONFIG_INVALID', 'the attestation plugin needs { verifier }');
  app.decorateRequest('attestation', undefined);
  app.decorate('requireAttestation', (options: FastifyRouteAttestationOptions) => {
    const { verifier = defaults.verifier } = options ?? {};
    return fastifyAttestation({ ...defaults, ...options, verifier });
  });
}

/** The Fastify 5 plugin: `app.register(attestationGate, { verifier })`. */
export const attestationGate = fastifyPlugin(plugin, { fastify: '5.x', name: 'attestation-gate' });
export default attestationGate;
