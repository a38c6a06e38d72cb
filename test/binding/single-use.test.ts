import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createChallengeStore, createMemoryReplayStore, createRedisReplayStore, createVerifier, type Verifier } from '../../src/index.js';
import { createTestAttestationService, runtimeDataClaims, type TestAttestationService } from '../../src/testing/index.js';
import { describeWithRedis, startRedis, type RedisServer } from './redis-server.js';

let maa: TestAttestationService;
let redis: RedisServer;
let clients: Redis[];
// Two relying-party instances of one fleet: separate verifiers, one shared Redis.
let first: Verifier;
let second: Verifier;

beforeAll(async () => {
  [maa, redis] = await Promise.all([createTestAttestationService(), startRedis()]);
  clients = [0, 1].map(() => new Redis(redis.url, { enableOfflineQueue: true, maxRetriesPerRequest: 0 }));
  first = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
  second = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
});
afterAll(async () => {
  clients.forEach((client) => client.disconnect());
  await Promise.all([maa.close(), redis.stop()]);
});

describeWithRedis('single-use tokens (jti) across a fleet sharing Redis', () => {
  it('accepts a token once on one instance and refuses it on the other', async () => {
    const [storeA, storeB] = clients.map((client) => createRedisReplayStore({ client }));
    const token = maa.mint();
    await first.verify(token, { singleUse: storeA! });
    await expect(second.verify(token, { singleUse: storeB! })).rejects.toMatchObject({ code: 'ERR_REPLAY' });
    await expect(first.verify(token, { singleUse: storeA! })).rejects.toMatchObject({ code: 'ERR_REPLAY' });
  });

  it('refuses a token without a jti instead of letting it through untracked', async () => {
    await expect(first.verify(maa.mint({ jti: undefined }), { singleUse: createMemoryReplayStore() })).rejects.toMatchObject({
      code: 'ERR_BINDING_MISMATCH',
    });
  });

  it('takes only a plain true from a store as first use, and a failing store as unavailable', async () => {
    const answering = (answer: unknown) => ({
      issue: async () => true,
      consume: async () => 'consumed' as const,
      once: async () => answer as boolean,
    });
    await expect(first.verify(maa.mint(), { singleUse: answering('OK') })).rejects.toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE' });
    await expect(first.verify(maa.mint(), { singleUse: answering(undefined) })).rejects.toMatchObject({
      code: 'ERR_REPLAY_STORE_UNAVAILABLE',
    });
    const failing = {
      issue: async () => true,
      consume: async () => 'consumed' as const,
      once: async (): Promise<boolean> => {
        throw new Error('ECONNRESET');
      },
    };
    await expect(first.verify(maa.mint(), { singleUse: failing })).rejects.toMatchObject({
      code: 'ERR_REPLAY_STORE_UNAVAILABLE',
      status: 503,
    });
  });

  it('fails closed when Redis is unreachable', async () => {
    const down = new Redis({
      port: 1,
      host: '127.0.0.1',
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      const store = createRedisReplayStore({ client: down, timeoutMs: 300 });
      await expect(first.verify(maa.mint(), { singleUse: store })).rejects.toMatchObject({
        code: 'ERR_REPLAY_STORE_UNAVAILABLE',
        status: 503,
      });
    } finally {
      down.disconnect();
    }
  });
});

describeWithRedis('challenge nonces across a fleet sharing Redis', () => {
  it('a nonce issued by one instance binds a token once, whichever instance sees it first', async () => {
    const [challengesA, challengesB] = clients.map((client) => createChallengeStore({ store: createRedisReplayStore({ client }) }));
    const { nonce } = await challengesA!.issue();
    const token = maa.mint(runtimeDataClaims(JSON.stringify({ nonce })));
    await second.verify(token, { binding: { challenges: challengesB! } });
    await expect(first.verify(token, { binding: { challenges: challengesA! } })).rejects.toMatchObject({ code: 'ERR_REPLAY' });
  });

  it('refuses a nonce this fleet never issued', async () => {
    const challenges = createChallengeStore({ store: createRedisReplayStore({ client: clients[0]! }) });
    const foreign = Buffer.alloc(32, 1).toString('base64url');
    const token = maa.mint(runtimeDataClaims(JSON.stringify({ nonce: foreign })));
    await expect(first.verify(token, { binding: { challenges } })).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH' });
  });
});
