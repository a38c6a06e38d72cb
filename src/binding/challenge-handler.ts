import { AttestationError } from '../errors.js';
import { errorResponse, isRetryAfter } from '../gate/respond.js';
import { sendProblem, type ResponseLike } from '../express/respond.js';
import type { ChallengeStore } from './challenges.js';
import { storeUnavailable } from './replay-store.js';

export interface ChallengeHandlerOptions {
  /** `Retry-After` seconds when the store is unavailable (503). Default 30. */
  readonly retryAfter?: number;
}

type Next = (error?: unknown) => void;

/**
 * The challenge endpoint, as a plain `(req, res, next)` handler for Express 4/5, Connect and node:http:
 * answers `200 {"nonce","expiresAt"}` with `cache-control: no-store` (a cached nonce would be handed to
 * several clients), or a 503 problem+json with `Retry-After` when the store fails.
 *
 * Mount it on POST: a GET invites prefetchers and crawlers to fill the store. It is unauthenticated by
 * nature, so rate-limit it.
 */
export function challengeHandler(challenges: ChallengeStore, options: ChallengeHandlerOptions = {}): (req: unknown, res: ResponseLike, next: Next) => void {
  if (typeof challenges !== 'object' || challenges === null || typeof challenges.issue !== 'function') {
    throw new AttestationError('ERR_CONFIG_INVALID', 'challengeHandler needs a challenge store from createChallengeStore');
  }
  const retryAfter = options.retryAfter ?? 30;
  if (!isRetryAfter(retryAfter)) {
    throw new AttestationError('ERR_CONFIG_INVALID', 'retryAfter must be a non-negative integer number of seconds');
  }
  const respondOptions = { realm: 'attestation', retryAfter };

  function fail(error: unknown, res: ResponseLike, next: Next): void {
    const refusal = error instanceof AttestationError ? error : storeUnavailable(error);
    if (res.headersSent) {
      next(refusal);
      return;
    }
    const answer = errorResponse(refusal, respondOptions);
    sendProblem(res, answer);
  }

  // Never throws and never returns a rejected promise: Express 4 and node:http would not catch it.
  return function challenge(_req, res, next) {
    let pending: Promise<{ nonce: string; expiresAt: Date }>;
    try {
      pending = challenges.issue();
    } catch (error) {
      fail(error, res, next);
      return;
    }
    pending.then(
      ({ nonce, expiresAt }) => {
        let body: string;
        try {
          body = JSON.stringify({ nonce, expiresAt: expiresAt.toISOString() });
        } catch (error) {
          fail(error, res, next);
          return;
        }
        res.statusCode = 200;
        res.setHeader('content-type', 'application/json');
        res.setHeader('cache-control', 'no-store');
        res.end(body);
      },
      (error: unknown) => fail(error, res, next),
    );
  };
}
