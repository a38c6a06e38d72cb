import { verificationChannel } from '../diagnostics.js';
import { asAttestationError, type AttestationError } from '../errors.js';
import type { VerifiedAttestation } from './result.js';

// What the verifier publishes on `CHANNELS.verification`, one message per verification. Nothing is
// built, and the clock is not read, unless someone subscribes: nothing on the hot path nobody asked for.

/** When a verification started, for `durationMs`; 0 (unread) without subscribers. */
export function verificationStarted(): number {
  return verificationChannel.hasSubscribers ? performance.now() : 0;
}

/** The error a failed verification throws, published as `rejected`. */
export function refusal(cause: unknown, started: number): AttestationError {
  // Nothing but an AttestationError leaves the verifier: an unexpected error is a refusal, never a pass,
  // and reported as the library's failure (ERR_INTERNAL), not blamed on the token.
  const error = asAttestationError(cause);
  if (verificationChannel.hasSubscribers)
    verificationChannel.publish({ outcome: 'rejected', code: error.code, durationMs: performance.now() - started });
  return error;
}

/** The result of a passed verification, published as `accepted` (`cached` for a token-cache hit). */
export function accepted(result: VerifiedAttestation, started: number, cached: boolean): VerifiedAttestation {
  if (verificationChannel.hasSubscribers) {
    verificationChannel.publish({
      outcome: 'accepted',
      issuer: result.issuer,
      attestationType: result.attestationType,
      cached,
      durationMs: performance.now() - started,
    });
  }
  return result;
}
