import { CHANNELS, publish } from '../diagnostics.js';
import { AttestationError, isAttestationError } from '../errors.js';
import { DEFAULT_REALM, DEFAULT_RETRY_AFTER_SECONDS, errorResponse, isRetryAfter } from '../gate/respond.js';
import { sendProblem, type ResponseLike } from './respond.js';
import type { ChallengeStore } from '../binding/challenges.js';
import { storeUnavailable } from '../verify/replay-store.js';
import { refuseRenamed } from '../util/renamed.js';

export interface ChallengeHandlerOptions {
  /** `Retry-After` seconds when the store is unavailable (503). Default 30. */
  readonly retryAfterSeconds?: number;
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
export function challengeHandler(
  challenges: ChallengeStore,
  options: ChallengeHandlerOptions = {},
): (req: unknown, res: ResponseLike, next: Next) => void {
  if (typeof challenges !== 'object' || challenges === null || typeof challenges.issue !== 'function') {
    throw new AttestationError('ERR_CONFIG_INVALID', 'challengeHandler needs a challenge store from createChallengeStore');
  }
  refuseRenamed(options, { retryAfter: 'retryAfterSeconds' }, 'challengeHandler option');
  const retryAfterSeconds = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  if (!isRetryAfter(retryAfterSeconds)) {
    throw new AttestationError('ERR_CONFIG_INVALID', 'retryAfterSeconds must be a non-negative integer number of seconds');
  }
  const respondOptions = { realm: DEFAULT_REALM, retryAfterSeconds };

  function fail(error: unknown, res: ResponseLike, next: Next): void {
    const refusal = isAttestationError(error) ? error : storeUnavailable(error);
    if (res.headersSent) {
      next(refusal);
      return;
    }
    const answer = errorResponse(refusal, respondOptions);
    sendProblem(res, answer);
  }

  /** The 200 answer; throws for a challenge that is not `{ nonce: string, expiresAt: Date }`. */
  function answer(challenge: unknown, res: ResponseLike): void {
    const { nonce, expiresAt } = (challenge ?? {}) as { nonce?: unknown; expiresAt?: unknown };
    if (typeof nonce !== 'string' || !(expiresAt instanceof Date))
      throw new TypeError('the challenge store issued something other than { nonce, expiresAt }');
    const body = JSON.stringify({ nonce, expiresAt: expiresAt.toISOString() });
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', 'no-store');
    res.end(body);
  }

  // Never throws and never returns a rejected promise: Express 4 and node:http would not catch it. The
  // store may be the user's own, so whatever it returns, resolves or throws ends in an answer.
  return function challenge(_req, res, next) {
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(challenges.issue());
    } catch (error) {
      fail(error, res, next);
      return;
    }
    pending
      .then((issued) => answer(issued, res))
      .then(undefined, (error: unknown) => {
        try {
          fail(error, res, next);
        } catch (failure) {
          publish(CHANNELS.callbackError, () => ({ callback: 'challengeHandler', error: failure }));
        }
      });
  };
}
