import { createServer } from 'node:http';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createChallengeStore, createMemoryReplayStore, type ChallengeStore, type ReplayStore } from '../../src/binding/index.js';
import { challengeHandler } from '../../src/express/index.js';

const failingStore: ReplayStore = {
  ...createMemoryReplayStore(),
  issue: () => Promise.reject(new Error('ECONNREFUSED 10.0.0.7:6379 secret-host')),
};

type AppBuilder = (challenges: ChallengeStore, retryAfter?: number) => Parameters<typeof request>[0];

const expressApp: AppBuilder = (challenges, retryAfter) => {
  const app = express();
  app.post('/challenge', challengeHandler(challenges, retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }));
  return app;
};

const nodeHttpApp: AppBuilder = (challenges, retryAfter) => {
  const handler = challengeHandler(challenges, retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter });
  return createServer((req, res) =>
    handler(req, res, (error) => {
      res.statusCode = 500;
      res.end(String(error));
    }),
  );
};

describe.each([
  ['Express 5', expressApp],
  ['node:http', nodeHttpApp],
] as const)('challengeHandler on %s', (_name, build) => {
  it('answers 200 JSON with a fresh nonce and its expiry, never cached', async () => {
    const challenges = createChallengeStore({ ttlSeconds: 120 });
    const app = build(challenges);
    const before = Date.now();
    const response = await request(app).post('/challenge');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json\b/);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.body as { nonce: string; expiresAt: string };
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'nonce']);
    expect(body.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expiresAt = Date.parse(body.expiresAt);
    expect(new Date(expiresAt).toISOString()).toBe(body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 120_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);

    // The nonce it handed out is usable once.
    await expect(challenges.consume(body.nonce)).resolves.toBeUndefined();
    await expect(challenges.consume(body.nonce)).rejects.toMatchObject({ code: 'ERR_REPLAY' });
    const other = await request(app).post('/challenge');
    expect((other.body as { nonce: string }).nonce).not.toBe(body.nonce);
  });

  it('answers 503 problem+json with Retry-After when the store fails, revealing nothing of the failure', async () => {
    const response = await request(build(createChallengeStore({ store: failingStore }), 7)).post('/challenge');
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['retry-after']).toBe('7');
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(JSON.parse(response.text)).toEqual({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      code: 'ERR_REPLAY_STORE_UNAVAILABLE',
      detail: 'Replay protection is temporarily unavailable',
    });
    expect(response.text).not.toContain('secret-host');
  });

  it('defaults Retry-After to 30 seconds', async () => {
    const response = await request(build(createChallengeStore({ store: failingStore }))).post('/challenge');
    expect(response.headers['retry-after']).toBe('30');
  });
});

describe('challengeHandler', () => {
  it('refuses a missing challenge store at construction', () => {
    expect(() => challengeHandler(undefined as unknown as ChallengeStore)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    for (const retryAfter of [-1, 1.5, Number.NaN, 'abc']) {
      expect(() => challengeHandler(createChallengeStore(), { retryAfterSeconds: retryAfter as number })).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
      );
    }
  });

  it('survives a challenge store that throws synchronously', async () => {
    const throwing = {
      ttlSeconds: 1,
      issue: () => {
        throw new Error('sync');
      },
      consume: async () => undefined,
    } as ChallengeStore;
    const response = await request(expressApp(throwing)).post('/challenge');
    expect(response.status).toBe(503);
    expect((response.body as { code: string }).code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
  });

  it.each([
    ['returns a plain value instead of a promise', () => 'not a challenge'],
    ['resolves with nothing', () => Promise.resolve(undefined)],
    ['resolves with an expiry that is not a Date', () => Promise.resolve({ nonce: 'n', expiresAt: 'soon' })],
  ])('answers 503, on node:http too, when a custom challenge store %s', async (_name, issue) => {
    // On node:http a throw or an unhandled rejection here would take the whole process down.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const odd = { ttlSeconds: 1, issue, consume: async () => undefined } as unknown as ChallengeStore;
      const response = await request(nodeHttpApp(odd)).post('/challenge');
      expect(response.status).toBe(503);
      expect((response.body as { code: string }).code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
