/**
 * What every adapter over the request gate shares (Express and the framework adapters alike, so it sits
 * below both): options whose callbacks (`token.from`, `onRefusal`)
 * receive the framework's own request rather than the gate's view of it, and the refusal headers a
 * problem answer carries. Rules stay in the gate; this only translates.
 */
import { AttestationError } from '../errors.js';
import { buildGate } from './gate.js';
import { invalid, isObject, resolveGateOptions } from './options.js';
import type { GateRefused, GateRequest, PossessionOptions, RequestGate, RequestGateOptions, TokenSources } from './types.js';

/** Gate options as an adapter takes them: callbacks get `Native`, the framework's request or context. */
export interface AdapterGateOptions<Native> extends Omit<RequestGateOptions, 'token' | 'onRefusal' | 'possession'> {
  /** Where the token is looked for. Default: `Authorization: Bearer` only. `from` receives the framework's request. */
  readonly token?: TokenSources<Native>;
  /**
   * Called with each refusal before it is answered, for logs and metrics; the error's message says what
   * failed and is never sent to the client. A throw or rejection is published on `CHANNELS.callbackError`.
   */
  readonly onRefusal?: (error: AttestationError, request: Native) => unknown;
  /** Require proof of possession (RFC 9421 request signatures with the attested key); see each adapter for the body. */
  readonly possession?: AdapterPossessionOptions<Native>;
}

export interface AdapterPossessionOptions<Native> extends PossessionOptions {
  /** The raw request body, for its `Content-Digest`. Each adapter documents its default. */
  readonly body?: (request: Native) => Uint8Array | undefined;
}

/** Builds the gate from adapter options, checked once (ERR_CONFIG_INVALID); `original` carries the native request. */
export function adapterGate<Native>(options: AdapterGateOptions<Native>, name: string): RequestGate {
  if (typeof options !== 'object' || options === null) invalid(`${name} needs { verifier, policy }`);
  const { token, onRefusal, possession } = options;
  // Only well-formed options are rewrapped (callbacks to receive the native request, the body reader
  // taken out); anything else goes to the gate's checks as it came, so it is refused there, not hidden.
  if (isObject(possession) && possession!.body !== undefined && typeof possession!.body !== 'function')
    invalid('possession.body must be a function returning the raw body');
  const from = isObject(token) ? token!.from : undefined;
  const { body: _body, ...gatePossession } = isObject(possession) ? possession! : {};
  return buildGate(
    resolveGateOptions(
      {
        ...options,
        token:
          typeof from === 'function'
            ? { ...token, from: (request: GateRequest) => (from as (native: Native) => unknown)(request.original as Native) }
            : token,
        onRefusal: typeof onRefusal === 'function' ? (error, request) => onRefusal(error, request.original as Native) : onRefusal,
        possession: isObject(possession) ? gatePossession : possession,
      } as RequestGateOptions,
      name,
    ),
  );
}

/** The headers of a problem answer: the gate's (`WWW-Authenticate`, `Retry-After`), the media type, never cached. */
export function problemHeaders(outcome: Pick<GateRefused, 'headers'>): Record<string, string> {
  return { ...outcome.headers, 'content-type': 'application/problem+json', 'cache-control': 'no-store' };
}

/** The raw body an application captured the usual way: bytes at `rawBody`, or a body parsed as bytes. */
export function capturedBody(holder: { readonly rawBody?: unknown; readonly body?: unknown } | undefined): Uint8Array | undefined {
  if (holder === undefined) return undefined;
  if (holder.rawBody instanceof Uint8Array) return holder.rawBody;
  return holder.body instanceof Uint8Array ? holder.body : undefined;
}
