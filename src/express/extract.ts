import { findToken } from '../gate/extract.js';
import type { TokenSources } from '../gate/types.js';

export type { TokenSources } from '../gate/types.js';

/** A minimal request shape: Node's IncomingMessage, an Express or a Connect request. */
export interface RequestLike {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly url?: string | undefined;
  /** Node's raw header list (name, value, …): the only place a repeated Authorization header shows. */
  readonly rawHeaders?: readonly string[] | undefined;
}

/**
 * The one token a Node request presents, found by the gate's own rules (see `findToken`): more than one
 * source present, a repeated token header or a malformed Bearer header is ERR_REQUEST_INVALID.
 */
export function extractToken<Request extends RequestLike>(request: Request, sources: TokenSources<Request>): string | undefined {
  const { from, ...fixed } = sources;
  const view = { headers: request.headers, target: request.url ?? '', rawHeaders: request.rawHeaders };
  return findToken(view, from === undefined ? fixed : { ...fixed, from: () => from(request) })?.token;
}
