import { createHash, randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChallengeStore, createRedisReplayStore, type RedisClientLike } from '../../src/binding/index.js';
import { describeWithRedis, REDIS_TESTS_RUN, startRedis, type RedisServer } from './redis-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/** Each test works under its own prefix, so tests sharing the server cannot see each other's keys. */
const freshPrefix = () => `test-${randomUUID()}:`;

let server: RedisServer;
/** Two relying-party instances' connections, and one for inspecting the server. */
let a: Redis;
let b: Redis;
let admin: Redis;
const extraClients: Redis[] = [];
const extraServers: RedisServer[] = [];

function connect(port: number, options: RedisOptions = {}): Redis {
  const client = new Redis({ host: '127.0.0.1', port, ...options });
  // Connection failures are what some tests are about: keep ioredis from reporting them as unhandled.
  client.on('error', () => {});
  extraClients.push(client);
  return client;
}

beforeAll(async () => {
  if (!REDIS_TESTS_RUN) return;
  server = await startRedis();
  a = connect(server.port);
  b = connect(server.port);
  admin = connect(server.port);
  await Promise.all([a.ping(), b.ping(), admin.ping()]);
});

afterAll(async () => {
  for (const client of extraClients) client.disconnect();
  await Promise.all([server?.stop(), ...extraServers.map((extra) => extra.stop())]);
});

describeWithRedis('createRedisReplayStore against a real redis-server', () => {
  it('issues, consumes once, then replays; unknown keys are unknown', async () => {
    const store = createRedisReplayStore({ client: a, prefix: freshPrefix() });
    expect(await store.issue('n1', 60_000)).toBe(true);
    expect(await store.issue('n1', 60_000)).toBe(false);
    expect(await store.consume('n1')).toBe('consumed');
    expect(await store.consume('n1')).toBe('replayed');
    expect(await store.issue('n1', 60_000)).toBe(false);
    expect(await store.consume('never-issued')).toBe('unknown');
  });

  it('records one-time values, apart from nonces', async () => {
    const store = createRedisReplayStore({ client: a, prefix: freshPrefix() });
    expect(await store.once('jti', 60_000)).toBe(true);
    expect(await store.once('jti', 60_000)).toBe(false);
    expect(await store.consume('jti')).toBe('unknown');
  });

  it('writes only under its prefix, and a used key keeps its issue-time expiry (KEEPTTL)', async () => {
    const prefix = freshPrefix();
    const store = createRedisReplayStore({ client: a, prefix });
    await store.issue('raw-nonce-value', 60_000);
    await store.consume('raw-nonce-value');
    const keys = await admin.keys(`${prefix}*`);
    expect(keys).toHaveLength(1);
    const [key] = keys as [string];
    expect(await admin.get(key)).toBe('used');
    const pttl = await admin.pttl(key);
    expect(pttl).toBeGreaterThan(50_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    // Keys are digests: the raw value does not appear in Redis.
    expect(key).toMatch(new RegExp(`^${prefix}nonce:[A-Za-z0-9_-]{43}$`));
    expect(key).not.toContain('raw-nonce-value');
  });

  it('two relying-party instances sharing one Redis agree: a nonce is usable once, on either', async () => {
    const prefix = freshPrefix();
    const instance1 = createChallengeStore({ store: createRedisReplayStore({ client: a, prefix }) });
    const instance2 = createChallengeStore({ store: createRedisReplayStore({ client: b, prefix }) });

    const first = await instance1.issue();
    await expect(instance2.consume(first.nonce)).resolves.toBeUndefined();
    await expect(instance1.consume(first.nonce)).rejects.toMatchObject({ code: 'ERR_REPLAY', status: 401 });
    await expect(instance2.consume(first.nonce)).rejects.toMatchObject({ code: 'ERR_REPLAY' });

    const second = await instance1.issue();
    await expect(instance1.consume(second.nonce)).resolves.toBeUndefined();
    await expect(instance2.consume(second.nonce)).rejects.toMatchObject({ code: 'ERR_REPLAY' });

    // A nonce from an instance with another prefix (another relying party) is unknown here.
    const stranger = createChallengeStore({ store: createRedisReplayStore({ client: b, prefix: freshPrefix() }) });
    const foreign = await stranger.issue();
    await expect(instance1.consume(foreign.nonce)).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH' });
  });

  it('once is atomic: 100 concurrent calls from two clients, exactly one true', async () => {
    const prefix = freshPrefix();
    const stores = [createRedisReplayStore({ client: a, prefix }), createRedisReplayStore({ client: b, prefix })] as const;
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => stores[i % 2]!.once('jti-race', 60_000)));
    expect(results.filter((result) => result)).toHaveLength(1);
  });

  it('consume is atomic: 100 concurrent uses of one nonce from two instances, exactly one accepted', async () => {
    const prefix = freshPrefix();
    const instances = [
      createChallengeStore({ store: createRedisReplayStore({ client: a, prefix }) }),
      createChallengeStore({ store: createRedisReplayStore({ client: b, prefix }) }),
    ] as const;
    const { nonce } = await instances[0].issue();
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => settle(instances[i % 2]!.consume(nonce))));
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(1);
    for (const outcome of outcomes) if (!outcome.ok) expect(outcome.error).toMatchObject({ code: 'ERR_REPLAY' });
  });

  it('expires: unused and used nonces and one-time values are gone after their ttl', async () => {
    const prefix = freshPrefix();
    const store = createRedisReplayStore({ client: a, prefix });
    const challenges = createChallengeStore({ ttlSeconds: 0.3, store });
    const unused = await challenges.issue();
    const used = await challenges.issue();
    await challenges.consume(used.nonce);
    expect(await store.once('jti', 300)).toBe(true);

    await sleep(500);

    await expect(challenges.consume(unused.nonce)).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH' });
    await expect(challenges.consume(used.nonce)).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH' });
    expect(await store.once('jti', 300)).toBe(true);
    // Consuming an expired nonce did not re-create it (XX): only the new jti is stored.
    expect(await admin.keys(`${prefix}*`)).toHaveLength(1);
  });

  describe('Redis unavailable: ERR_REPLAY_STORE_UNAVAILABLE, quickly, never a pass', () => {
    it('a client pointed at a closed port without an offline queue fails at once', async () => {
      const closed = await startRedis();
      await closed.stop();
      const client = connect(closed.port, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
      const store = createRedisReplayStore({ client });
      const challenges = createChallengeStore({ store });
      const started = performance.now();
      for (const attempt of [
        store.issue('k', 1_000),
        store.consume('k'),
        store.once('k', 1_000),
        challenges.issue(),
        challenges.consume('A'.repeat(43)),
      ]) {
        await expect(attempt).rejects.toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE', status: 503 });
      }
      expect(performance.now() - started).toBeLessThan(500);
    });

    it('a default client whose server dies is cut off by timeoutMs instead of queueing', async () => {
      const dying = await startRedis();
      extraServers.push(dying);
      const client = connect(dying.port); // ioredis defaults: offline queue on, 20 retries per request
      const challenges = createChallengeStore({ store: createRedisReplayStore({ client, timeoutMs: 200 }) });
      const { nonce } = await challenges.issue();
      await dying.stop();

      const started = performance.now();
      const error = await challenges.consume(nonce).catch((e: unknown) => e);
      const elapsed = performance.now() - started;
      expect(error).toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE' });
      expect(elapsed).toBeLessThan(900);
      await expect(challenges.issue()).rejects.toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE' });
    });

    it('a server that stops answering is cut off by timeoutMs; the late write only ever refuses', async () => {
      const prefix = freshPrefix();
      const challenges = createChallengeStore({ store: createRedisReplayStore({ client: a, prefix, timeoutMs: 100 }) });
      const { nonce } = await challenges.issue();
      // CLIENT PAUSE … WRITE holds every write (SET) until it ends, as a stalled server would.
      await admin.call('CLIENT', 'PAUSE', '5000', 'WRITE');
      try {
        const started = performance.now();
        await expect(challenges.consume(nonce)).rejects.toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE' });
        expect(performance.now() - started).toBeLessThan(600);
      } finally {
        await admin.call('CLIENT', 'UNPAUSE');
      }
      // The timed-out SET ran once the server resumed: the nonce is spent, and the refusal stands.
      await expect(challenges.consume(nonce)).rejects.toMatchObject({ code: 'ERR_REPLAY' });
    });
  });

  it('a challenge store on Redis consumes a nonce named by its SHA-512 once, across instances', async () => {
    const prefix = freshPrefix();
    const issuer = createChallengeStore({ store: createRedisReplayStore({ client: a, prefix }) });
    const other = createChallengeStore({ store: createRedisReplayStore({ client: b, prefix }) });
    const { nonce } = await issuer.issue();
    const named = `sha512:${createHash('sha512').update(nonce).digest('hex')}`;
    const outcomes = await Promise.all([settle(other.consume(named)), settle(issuer.consume(nonce)), settle(other.consume(named))]);
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(1);
    expect(outcomes.filter((outcome) => !outcome.ok).map((outcome) => (outcome as { error: { code: string } }).error.code)).toEqual([
      'ERR_REPLAY',
      'ERR_REPLAY',
    ]);
  });
});

describe('createRedisReplayStore protocol (recorded client)', () => {
  function recording(reply: (args: (string | number)[]) => unknown) {
    const calls: (string | number)[][] = [];
    const client: RedisClientLike = {
      call: async (command, ...args) => {
        calls.push([command, ...args]);
        return reply(args);
      },
    };
    return { client, calls };
  }

  it('sends one SET per operation: NX PX to create, XX KEEPTTL GET to consume', async () => {
    const { client, calls } = recording((args) => (args.includes('GET') ? 'issued' : 'OK'));
    const store = createRedisReplayStore({ client, prefix: 'rp:' });
    await store.issue('n', 300_000);
    await store.consume('n');
    await store.once('j', 1500.2);
    expect(calls).toEqual([
      ['SET', expect.stringMatching(/^rp:nonce:[A-Za-z0-9_-]{43}$/), 'issued', 'PX', 300_000, 'NX'],
      ['SET', calls[0]![1], 'used', 'XX', 'KEEPTTL', 'GET'],
      ['SET', expect.stringMatching(/^rp:once:[A-Za-z0-9_-]{43}$/), '1', 'PX', 1501, 'NX'],
    ]);
  });

  it.each([
    ['a rejected command', () => Promise.reject(new Error('READONLY You cannot write against a read only replica.'))],
    [
      'a synchronous throw',
      () => {
        throw new Error('not connected');
      },
    ],
    ['an unexpected reply', async () => 'QUEUED'],
    ['a number', async () => 1],
    ['a Buffer', async () => Buffer.from('issued')],
    ['no answer at all', () => new Promise(() => {})],
  ])('%s fails closed', async (_name, call) => {
    const store = createRedisReplayStore({ client: { call } as RedisClientLike, timeoutMs: 50 });
    await expect(store.consume('k')).rejects.toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE' });
    await expect(store.issue('k', 1_000)).rejects.toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE' });
    await expect(store.once('k', 1_000)).rejects.toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE' });
  });

  it('keeps the client error as cause', async () => {
    const cause = new Error('ECONNRESET');
    const store = createRedisReplayStore({ client: { call: () => Promise.reject(cause) } });
    await expect(store.once('k', 1_000)).rejects.toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE', cause });
  });

  it('refuses bad options with ERR_CONFIG_INVALID', () => {
    const client: RedisClientLike = { call: async () => 'OK' };
    for (const options of [
      undefined,
      {},
      { client: {} },
      { client, timeoutMs: 0 },
      { client, timeoutMs: Number.NaN },
      { client, prefix: 5 },
    ]) {
      expect(() => createRedisReplayStore(options as never)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    }
  });
});
