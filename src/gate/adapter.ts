/**
 * What every adapter over the request gate shares (Express and the framework adapters alike, so it sits
 * below both): options whose callbacks (`token.from`, `onRefusal`)
 * receive the framework's own request rather than the gate's view of it, and the refusal headers a
 * problem answer carries. Rules stay in the gate; this only translates.
 */
import { AttestationError } from '../errors.js';
import { buildGate } from './gate.js';
import { resolveGateOptions } from './options.js';
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

function invalid(message: string): never {
  throw new AttestationError('ERR_CONFIG_INVALID', message);
}

/** Builds the gate from adapter options, checked once (ERR_CONFIG_INVALID); `original` carries the native request. */
export function adapterGate<Native>(options: AdapterGateOptions<Native>, name: string): RequestGate {
  if (typeof options !== 'object' || options === null) invalid(`${name} needs { verifier, policy }`);
  const { token, onRefusal, possession } = options;
  if (token?.from !== undefined && typeof token.from !== 'function') invalid('token.from must be a function');
  if (onRefusal !== undefined && typeof onRefusal !== 'function') invalid('onRefusal must be a function');
  if (possession?.body !== undefined && typeof possession.body !== 'function')
    invalid('possession.body must be a function returning the raw body');
  const { body: _body, ...gatePossession } = possession ?? {};
  const from = token?.from;
  return buildGate(
    resolveGateOptions(
      {
        ...options,
        token:
          token === undefined
            ? undefined
            : { ...token, from: from === undefined ? undefined : (request: GateRequest) => from(request.original as Native) },
        onRefusal: onRefusal === undefined ? undefined : (error, request) => onRefusal(error, request.original as Native),
        possession: possession === undefined ? undefined : gatePossession,
      },
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
