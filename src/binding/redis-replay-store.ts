import { AttestationError, quote } from '../errors.js';
import { storageKey, storeUnavailable, ttlMilliseconds, type ReplayStore } from '../verify/replay-store.js';

/**
 * The one method the store needs from a Redis client: ioredis's generic `call` (on `Redis` and `Cluster`).
 * Typed structurally so ioredis stays your dependency, not ours; any client with this shape works.
 */
export interface RedisClientLike {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

export interface RedisReplayStoreOptions {
  /**
   * Your ioredis client (Redis ≥ 6.2). Recommended: `enableOfflineQueue: false` and a small
   * `maxRetriesPerRequest` (e.g. 1), so that while Redis is unreachable commands fail at once instead of
   * queueing; `timeoutMs` bounds each call either way.
   */
  readonly client: RedisClientLike;
  /** Prepended to every key. Default `attestation-gate:`. */
  readonly prefix?: string;
  /** Longest wait for one Redis answer, in milliseconds; then ERR_REPLAY_STORE_UNAVAILABLE. Default 1000. */
  readonly timeoutMs?: number;
}

/**
 * A replay store shared through Redis, for relying parties running as several processes or instances:
 * a nonce issued by one instance can be used once, on any instance.
 *
 * Each operation is one `SET` command — Redis runs every command atomically, so no check-then-write race
 * exists between instances, and no Lua script is needed (scripts are disabled or restricted on some
 * managed Redis services, and a single-key command also works unchanged on Redis Cluster):
 * - issue: `SET key issued PX ttl NX` — created only if absent.
 * - consume: `SET key used XX KEEPTTL GET` — overwritten only if present (XX), keeping the issue-time
 *   expiry (KEEPTTL; without it the used marker would never expire), and returning the previous value
 *   (GET): `issued` → consumed, `used` → replayed, none → unknown. `GET` needs Redis 6.2; on older
 *   servers the command is a syntax error, which fails closed.
 * - once: `SET key 1 PX ttl NX`.
 *
 * Every error, timeout or unexpected reply rejects with ERR_REPLAY_STORE_UNAVAILABLE. A call that timed
 * out may still run later: a nonce may end up used although its request was refused (the client asks for
 * a new challenge), or a `jti` recorded although refused (that token cannot be retried) — refusals, never
 * an acceptance.
 */
export function createRedisReplayStore(options: RedisReplayStoreOptions): ReplayStore {
  if (typeof options !== 'object' || options === null || typeof options.client?.call !== 'function') {
    throw new AttestationError('ERR_CONFIG_INVALID', 'createRedisReplayStore needs { client }: an ioredis client');
  }
  const { client } = options;
  const prefix = options.prefix ?? 'attestation-gate:';
  if (typeof prefix !== 'string') throw new AttestationError('ERR_CONFIG_INVALID', 'prefix must be a string');
  const timeoutMs = options.timeoutMs ?? 1000;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new AttestationError('ERR_CONFIG_INVALID', 'timeoutMs must be a positive number of milliseconds');
  }

  // ioredis queues commands while reconnecting (and a hung server never answers): without a deadline a
  // request could wait indefinitely for a store that is down.
  async function set(...args: (string | number)[]): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(storeUnavailable(undefined, `the replay store did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      // Promise.race subscribes to the call, so its late rejection after a timeout is handled, not unhandled.
      return await Promise.race([Promise.resolve().then(() => client.call('SET', ...args)), deadline]);
    } catch (error) {
      throw storeUnavailable(error);
    } finally {
      clearTimeout(timer);
    }
  }

  function unexpected(reply: unknown): AttestationError {
    return new AttestationError('ERR_REPLAY_STORE_UNAVAILABLE', `the replay store gave an unexpected reply: ${quote(reply)}`);
  }

  function created(reply: unknown): boolean {
    if (reply === 'OK') return true;
    if (reply === null) return false;
    throw unexpected(reply);
  }

  return {
    async issue(key, ttlMs) {
      return created(await set(prefix + storageKey('nonce', key), 'issued', 'PX', ttlMilliseconds(ttlMs), 'NX'));
    },
    async consume(key) {
      const previous = await set(prefix + storageKey('nonce', key), 'used', 'XX', 'KEEPTTL', 'GET');
      if (previous === 'issued') return 'consumed';
      if (previous === 'used') return 'replayed';
      if (previous === null) return 'unknown';
      throw unexpected(previous);
    },
    async once(key, ttlMs) {
      return created(await set(prefix + storageKey('once', key), '1', 'PX', ttlMilliseconds(ttlMs), 'NX'));
    },
  };
}
