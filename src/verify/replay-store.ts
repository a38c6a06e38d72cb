import { hash } from 'node:crypto';
import { AttestationError, isAttestationError } from '../errors.js';

/**
 * Where single-use values live: challenge nonces (issued, then used once) and one-time values such as a
 * token's `jti`. Every operation is atomic, so two relying-party instances sharing a store can never both
 * accept the same value. A store that cannot answer rejects with `ERR_REPLAY_STORE_UNAVAILABLE`; it never
 * guesses, because guessing "first use" is exactly what a replay needs.
 */
export interface ReplayStore {
  /** Records `key` as issued for ttlMs; false if it already exists. */
  issue(key: string, ttlMs: number): Promise<boolean>;
  /** Atomically moves an issued key to used: 'consumed' the first time, 'replayed' after, 'unknown' if never issued or expired. Used keys stay remembered until the original expiry. */
  consume(key: string): Promise<'consumed' | 'replayed' | 'unknown'>;
  /** Atomically records a one-time value (e.g. a token's jti) for ttlMs: true the first time, false if seen before (SET NX PX semantics). */
  once(key: string, ttlMs: number): Promise<boolean>;
}

/**
 * Nonces and one-time values live in separate namespaces, so a `jti` that happens to equal a nonce can
 * neither consume it nor be blocked by it.
 */
export type KeySpace = 'nonce' | 'once';

/**
 * The stored form of a key: its SHA-256. Keys may come from tokens (a `jti` is whatever the issuer
 * wrote), so storing digests keeps every entry the same small size — an entry-count bound is then a
 * memory bound too, in this process and in Redis.
 */
export function storageKey(space: KeySpace, key: string): string {
  if (typeof key !== 'string') throw new AttestationError('ERR_CONFIG_INVALID', 'replay store keys must be strings');
  return `${space}:${hash('sha256', key, 'base64url')}`;
}

/** A ttl in whole milliseconds, rounded up so a fractional ttl never becomes 0 (which would mean "forever" to some stores). */
export function ttlMilliseconds(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new AttestationError('ERR_CONFIG_INVALID', 'replay store ttls must be positive finite numbers of milliseconds');
  }
  const whole = Math.ceil(ttlMs);
  if (!Number.isSafeInteger(whole)) throw new AttestationError('ERR_CONFIG_INVALID', 'replay store ttl is too large');
  return whole;
}

/**
 * Every failure of a store as ERR_REPLAY_STORE_UNAVAILABLE, the original kept as `cause`. A failure is
 * never read as an answer: not as 'consumed', not as "first use".
 */
export function storeUnavailable(error: unknown, what = 'the replay store failed'): AttestationError {
  if (isAttestationError(error, 'ERR_REPLAY_STORE_UNAVAILABLE')) return error;
  const reason = error instanceof Error ? `: ${error.message}` : '';
  return new AttestationError('ERR_REPLAY_STORE_UNAVAILABLE', `${what}${reason}`, { cause: error });
}
