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
 * HTTP/1.x has a body exactly when `Content-Length` is non-zero or `Transfer-Encoding` is present;
 * HTTP/2 needs neither, so without a zero `Content-Length` a body may follow unless the stream ended
 * with its headers.
 */
export function nodeBodyMayFollow(req: NodeRequestLike): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return !(typeof length === 'string' && ZERO_LENGTH.test(length.trim()));
  if (req.headers['transfer-encoding'] !== undefined) return true;
  if ((req.httpVersionMajor ?? 1) < 2) return false;
  return req.stream?.endAfterHeaders !== true;
}

function headerString(headers: GateHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The gate's view of a Node request. `target` defaults to `req.url`; pass the original target when a
 * framework rewrites `url` under a mount path (Express's `req.originalUrl`). `body` is the raw body if
 * the application captured it. Headers are passed through, not copied.
 */
export function nodeGateRequest(
  req: NodeRequestLike,
  extra: { readonly target?: string | undefined; readonly body?: Uint8Array | undefined; readonly original?: unknown } = {},
): GateRequest {
  const headers = req.headers;
  const socket = req.socket ?? undefined;
  return {
    method: req.method ?? 'GET',
    target: extra.target ?? req.url ?? '/',
    // HTTP/2 carries the authority as a pseudo-header; HTTP/1.1 in Host.
    authority: headerString(headers, ':authority') ?? headerString(headers, 'host'),
    scheme:
      headerString(headers, ':scheme') ??
      (socket !== undefined && (socket as { encrypted?: unknown }).encrypted === true ? 'https' : 'http'),
    headers,
    rawHeaders: req.rawHeaders,
    body: extra.body,
    bodyMayFollow: nodeBodyMayFollow(req),
    connection: socket,
    original: extra.original ?? req,
  };
}
