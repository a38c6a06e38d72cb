/**
 * Building a `GateRequest` from Node's own request objects — `http.IncomingMessage` (HTTP/1.x) and
 * `http2.Http2ServerRequest` (the compatibility API) — for adapters over frameworks that hand those
 * through (Express, Connect, Fastify's `req.raw`, Koa's `ctx.req`).
 */
import type { GateHeaders, GateRequest } from './types.js';

/** What the gate reads from a Node request; every member is optional so wrappers and test doubles fit. */
export interface NodeRequestLike {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: GateHeaders;
  readonly rawHeaders?: readonly string[] | undefined;
  /** 1 for HTTP/1.x, 2 for HTTP/2. Absent is read as HTTP/1.1. */
  readonly httpVersionMajor?: number | undefined;
  /** HTTP/2: the stream; `endAfterHeaders` is true when END_STREAM came with the request headers (no body). */
  readonly stream?: { readonly endAfterHeaders?: boolean } | undefined;
  readonly socket?: object | null | undefined;
}

/** A Content-Length of zero in any spelling Node lets through (`0`, `00`). */
const ZERO_LENGTH = /^0+$/;

/**
 * Whether a body may follow the headers, from the protocol alone (RFC 9112 §6.3, RFC 9113 §8.1):
 * HTTP/1.x has a body exactly when `Transfer-Encoding` is present (it overrides any `Content-Length`)
 * or `Content-Length` is non-zero; HTTP/2 needs neither, so without a zero `Content-Length` a body may
 * follow unless the stream ended with its headers.
 */
export function nodeBodyMayFollow(req: NodeRequestLike): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  if (length !== undefined) return !(typeof length === 'string' && ZERO_LENGTH.test(length.trim()));
  if ((req.httpVersionMajor ?? 1) < 2) return false;
  return req.stream?.endAfterHeaders !== true;
}

function headerString(headers: GateHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** What an adapter adds to a Node request: each either a value, or a function the gate calls only if it needs it. */
export interface NodeGateExtras {
  /** The request target; default `req.url`. Pass the original one when a framework rewrites `url` under a mount path. */
  readonly target?: string | (() => string | undefined) | undefined;
  /** The raw body, if the application captured it. */
  readonly body?: Uint8Array | (() => Uint8Array | undefined) | undefined;
  /** The framework's own request object, handed back to callbacks; default `req`. */
  readonly original?: unknown;
}

/**
 * The gate's view of a Node request, read lazily: a member is read from the request only when the gate
 * needs it. Express gives every request object a hidden class of its own, so each property read from
 * it is a megamorphic lookup; a repeated token needs only the headers and the socket, while the
 * method, target, authority and body matter only to proof of possession and query tokens. Measured
 * on Express 5 requests, building the eager view cost 1.7–2.6 µs per request, this one 0.2 µs.
 */
class NodeGateRequest implements GateRequest {
  readonly headers: GateHeaders;
  readonly connection: object | undefined;
  readonly #req: NodeRequestLike;
  readonly #extra: NodeGateExtras;

  constructor(req: NodeRequestLike, extra: NodeGateExtras) {
    this.#req = req;
    this.#extra = extra;
    this.headers = req.headers;
    this.connection = req.socket ?? undefined;
  }

  get method(): string {
    return this.#req.method ?? 'GET';
  }

  get target(): string {
    const { target } = this.#extra;
    return (typeof target === 'function' ? target() : target) ?? this.#req.url ?? '/';
  }

  // HTTP/2 carries the authority as a pseudo-header; HTTP/1.1 in Host.
  get authority(): string | undefined {
    return headerString(this.headers, ':authority') ?? headerString(this.headers, 'host');
  }

  get scheme(): string {
    const socket = this.connection;
    return (
      headerString(this.headers, ':scheme') ??
      (socket !== undefined && (socket as { encrypted?: unknown }).encrypted === true ? 'https' : 'http')
    );
  }

  get rawHeaders(): readonly string[] | undefined {
    return this.#req.rawHeaders;
  }

  get body(): Uint8Array | undefined {
    const { body } = this.#extra;
    return typeof body === 'function' ? body() : body;
  }

  get bodyMayFollow(): boolean {
    return nodeBodyMayFollow(this.#req);
  }

  get original(): unknown {
    return this.#extra.original ?? this.#req;
  }
}

/**
 * The gate's view of a Node request (see `NodeGateExtras` for what an adapter adds). Headers are passed
 * through, not copied; every other member is read from `req` when the gate asks for it.
 */
export function nodeGateRequest(req: NodeRequestLike, extra: NodeGateExtras = {}): GateRequest {
  return new NodeGateRequest(req, extra);
}
