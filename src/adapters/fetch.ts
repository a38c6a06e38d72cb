/**
 * `attestation-gate/fetch`: the request gate for the Web `Request`/`Response` API (Hono, Next.js route
 * handlers, Deno-style and fetch-style servers, node:http behind an adapter).
 *
 * ```ts
 * const gate = createFetchGate({ verifier, policy });
 * const outcome = await gate(request);
 * if (!outcome.ok) return outcome.response;   // 400/401/403/503, problem+json, WWW-Authenticate
 * use(outcome.attestation);
 * ```
 */
import { AttestationError } from '../errors.js';
import type { GateOutcome, GateRequest } from '../gate/types.js';
import type { VerifiedAttestation } from '../verify/result.js';
import { adapterGate, problemHeaders, type AdapterGateOptions, type AdapterPossessionOptions } from '../gate/adapter.js';

export type { AdapterGateOptions, AdapterPossessionOptions } from '../gate/adapter.js';

export interface FetchPossessionOptions extends AdapterPossessionOptions<Request> {
  /**
   * Largest body read to check its `Content-Digest`, in bytes. Default 1 MiB. The gate reads a clone of
   * the body, so the handler can still read it; a larger body is refused (ERR_POSSESSION) before it is
   * read in full.
   */
  readonly maxBodyBytes?: number;
}

/** The gate's options, with callbacks receiving the Web `Request`. */
export interface FetchGateOptions extends Omit<AdapterGateOptions<Request>, 'possession'> {
  readonly possession?: FetchPossessionOptions;
}

export type FetchGateOutcome =
  | { readonly ok: true; readonly attestation: VerifiedAttestation | undefined }
  | {
      readonly ok: false;
      /** The answer to send: status, `WWW-Authenticate`/`Retry-After`, an `application/problem+json` body. */
      readonly response: Response;
      /** Why, with its stable code; the message is for logs only. */
      readonly error: AttestationError;
    };

/** What a server knows of a request besides the `Request` itself. */
export interface FetchGateContext {
  /**
   * An object that lives as long as the client's connection, when the server exposes one (Node's socket:
   * `c.env.incoming.socket` under @hono/node-server): a keep-alive client's repeated token is then
   * recognised on it by comparison instead of being hashed and looked up. Optional.
   */
  readonly connection?: object | undefined;
}

/** `await gate(request)`: the attestation, or a ready refusal `Response`. Never rejects. */
export type FetchGate = (request: Request, context?: FetchGateContext) => Promise<FetchGateOutcome>;

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function createFetchGate(options: FetchGateOptions): FetchGate {
  const gate = adapterGate(options, 'createFetchGate');
  const possession = options.possession;
  const maxBodyBytes = possession?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0)
    throw new AttestationError('ERR_CONFIG_INVALID', 'possession.maxBodyBytes must be a non-negative integer');

  async function bodyOf(request: Request): Promise<Uint8Array | undefined> {
    if (possession?.body !== undefined) return possession.body(request);
    return request.body === null ? undefined : readBounded(request.clone(), maxBodyBytes);
  }

  return async function attestationGate(request, context) {
    // Without its body first: a request without a token, or with a malformed one, is answered before a
    // byte of its body is read; so is a remembered token on a gate that needs no body.
    const withoutBody = fetchGateRequest(request, undefined, context?.connection);
    const known = gate.checkSync(withoutBody);
    if (known !== undefined) return settled(known);
    let gateRequest: GateRequest = withoutBody;
    if (possession !== undefined) {
      try {
        gateRequest = fetchGateRequest(request, await bodyOf(request), context?.connection);
      } catch (error) {
        return unreadable(error, request);
      }
    }
    return settled(await gate.check(gateRequest));
  };

  /**
   * A body that could not be read (too large, or the stream failed) is a body the gate cannot see: asked
   * without it, the gate refuses in its own order and words (a bad token first, else ERR_POSSESSION).
   */
  async function unreadable(error: unknown, request: Request): Promise<FetchGateOutcome> {
    const outcome = await gate.check({ ...baseRequest(request), bodyMayFollow: true });
    if (outcome.ok) throw error; // unreachable: with possession the gate refuses a body it cannot see
    return refused(outcome);
  }
}

function settled(outcome: GateOutcome): FetchGateOutcome {
  return outcome.ok ? { ok: true, attestation: outcome.attestation } : refused(outcome);
}

function refused(outcome: Extract<GateOutcome, { ok: false }>): FetchGateOutcome {
  return {
    ok: false,
    error: outcome.error,
    response: new Response(JSON.stringify(outcome.problem), { status: outcome.status, headers: problemHeaders(outcome) }),
  };
}

function baseRequest(request: Request): Omit<GateRequest, 'bodyMayFollow'> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  // Headers iterates lower-case names, repeated fields joined with ", " (as the gate reads them).
  for (const [name, value] of request.headers) headers[name] = value;
  return {
    method: request.method,
    target: `${url.pathname}${url.search}`,
    authority: headers.host ?? url.host,
    scheme: url.protocol.slice(0, -1),
    headers,
    original: request,
  };
}

/** The gate's view of a Web Request: a body may follow exactly when the request has one. */
export function fetchGateRequest(request: Request, body?: Uint8Array, connection?: object): GateRequest {
  return { ...baseRequest(request), body, bodyMayFollow: request.body !== null, connection };
}

/** Reads a body up to `limit` bytes; more is an ERR_POSSESSION before the rest is read. */
async function readBounded(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) throw new AttestationError('ERR_POSSESSION', `the request body is larger than possession.maxBodyBytes (${limit})`);
  const reader: ReadableStreamDefaultReader<Uint8Array> = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > limit) {
      // Not awaited: cancelling one branch of a cloned (teed) body settles only once the other is cancelled too.
      reader.cancel().catch(() => {});
      throw new AttestationError('ERR_POSSESSION', `the request body is larger than possession.maxBodyBytes (${limit})`);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

export default createFetchGate;
