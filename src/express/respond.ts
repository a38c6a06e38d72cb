import { problemHeaders } from '../gate/adapter.js';
import type { ErrorResponse } from '../gate/respond.js';

export { errorResponse, type ErrorResponse, type RespondOptions } from '../gate/respond.js';
export type { ProblemDetails } from '../gate/types.js';

/** The response shape both HTTP handlers write to: Node's ServerResponse, Express's, Connect's. */
export interface ResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
  readonly headersSent?: boolean;
}

/** Writes a refusal as `application/problem+json`, never cached. */
export function sendProblem(res: ResponseLike, answer: Pick<ErrorResponse, 'status' | 'headers' | 'body'>): void {
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(problemHeaders(answer))) res.setHeader(name, value);
  res.end(JSON.stringify(answer.body));
}
