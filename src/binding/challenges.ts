import { createHash, randomBytes } from 'node:crypto';
import { AttestationError, quote } from '../errors.js';
import { isCanonicalBase64Url } from '../token/base64url.js';
import { refuseRenamed, resolveNow } from '../util/renamed.js';
import { createMemoryReplayStore } from './memory-replay-store.js';
import { SHA512_NONCE_PREFIX } from '../verify/nonce-location.js';
import { storeUnavailable, type ReplayStore } from '../verify/replay-store.js';

export interface ChallengeStoreOptions {
  /** Seconds a nonce stays usable. Default 300: long enough to get evidence attested by MAA and sent back. */
  readonly ttlSeconds?: number;
  /**
   * Where nonces are recorded. Default: a new in-memory store, which only works when one process both
   * issues and checks nonces; several instances must share a `createRedisReplayStore`.
   */
  readonly store?: ReplayStore;
  /** The clock for `expiresAt`, in milliseconds since the epoch; for tests. Default `Date.now`. */
  readonly now?: () => number;
}

export interface Challenge {
  /** 32 random bytes, base64url: 43 characters. */
  readonly nonce: string;
  readonly expiresAt: Date;
}

export interface ChallengeStore {
  /** A fresh nonce, recorded as issued for `ttl` seconds. Rejects with ERR_REPLAY_STORE_UNAVAILABLE if the store fails. */
  issue(): Promise<Challenge>;
  /**
   * Uses a nonce up: `nonce` is the nonce as issued, or {@link SHA512_NONCE_PREFIX} followed by the
   * lower-case hex SHA-512 of it (how TDX and SEV-SNP `user-data` carries a nonce). Both name the same
   * record, so a nonce used one way is used the other way too. Resolves the first time; rejects with ERR_REPLAY on any later use, ERR_BINDING_MISMATCH
   * for a nonce that is malformed, was never issued or has expired, ERR_REPLAY_STORE_UNAVAILABLE if the
   * store fails.
   */
  consume(nonce: string): Promise<void>;
  /** Seconds a nonce stays usable. */
  readonly ttlSeconds: number;
}

const SHA512_HEX = /^[0-9a-f]{128}$/;

/**
 * The store key of an issued nonce: its SHA-512, hex. Recording every nonce under its hash (rather than
 * under itself) is what lets a token that carries only the hash consume it in one atomic store step, in
 * memory and in Redis alike, with no second key that could be consumed separately.
 */
export function nonceSha512(nonce: string): string {
  return createHash('sha512').update(nonce, 'utf8').digest('hex');
}

const NONCE_BYTES = 32;
/** Characters in the canonical unpadded base64url form of NONCE_BYTES bytes. */
const NONCE_LENGTH = 43;

/**
 * Challenges that bind an attestation to now: the relying party hands out a nonce, the enclave puts it
 * (hashed, as runtime data) into its evidence, and the relying party accepts it once.
 */
export function createChallengeStore(options: ChallengeStoreOptions = {}): ChallengeStore {
  if (typeof options !== 'object' || options === null)
    throw new AttestationError('ERR_CONFIG_INVALID', 'createChallengeStore options must be an object');
  refuseRenamed(options, { ttl: 'ttlSeconds', clock: 'now' }, 'createChallengeStore option');
  const ttlSeconds = options.ttlSeconds ?? 300;
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new AttestationError('ERR_CONFIG_INVALID', 'ttlSeconds must be a positive number of seconds');
  }
  const ttlMs = Math.ceil(ttlSeconds * 1000);
  const store = options.store ?? createMemoryReplayStore();
  if (typeof store !== 'object' || store === null || typeof store.issue !== 'function' || typeof store.consume !== 'function') {
    throw new AttestationError('ERR_CONFIG_INVALID', 'store must be a ReplayStore (issue, consume, once)');
  }
  const now = resolveNow(options.now);

  return {
    ttlSeconds,
    async issue() {
      const nonce = randomBytes(NONCE_BYTES).toString('base64url');
      // Taken before the store records the nonce, so the advertised expiry is never later than the real one.
      const expiresAt = new Date(now() + ttlMs);
      let fresh: unknown;
      try {
        fresh = await store.issue(nonceSha512(nonce), ttlMs);
      } catch (error) {
        throw storeUnavailable(error);
      }
      // 256 random bits do not collide: "already exists" means the store is broken, not unlucky.
      if (fresh !== true) throw storeUnavailable(undefined, `the replay store answered ${quote(fresh)} when issuing a fresh nonce`);
      return { nonce, expiresAt };
    },
    async consume(nonce) {
      // Shape is checked before the store is asked, so junk costs no store round trip.
      const key = storeKeyOf(nonce);
      if (key === undefined) throw new AttestationError('ERR_BINDING_MISMATCH', `the challenge nonce is malformed: ${quote(nonce)}`);
      let outcome: unknown;
      try {
        outcome = await store.consume(key);
      } catch (error) {
        throw storeUnavailable(error);
      }
      if (outcome === 'consumed') return;
      if (outcome === 'replayed') throw new AttestationError('ERR_REPLAY', 'the challenge nonce has already been used');
      if (outcome === 'unknown')
        throw new AttestationError('ERR_BINDING_MISMATCH', 'the challenge nonce was not issued here or has expired');
      throw storeUnavailable(undefined, `the replay store answered ${quote(outcome)} when consuming a nonce`);
    },
  };
}

/** The store key a `consume` argument names, or undefined when it is neither a nonce nor a nonce's SHA-512. */
function storeKeyOf(nonce: unknown): string | undefined {
  if (typeof nonce !== 'string') return undefined;
  if (nonce.startsWith(SHA512_NONCE_PREFIX)) {
    const digest = nonce.slice(SHA512_NONCE_PREFIX.length);
    return SHA512_HEX.test(digest) ? digest : undefined;
  }
  return nonce.length === NONCE_LENGTH && isCanonicalBase64Url(nonce) ? nonceSha512(nonce) : undefined;
}
