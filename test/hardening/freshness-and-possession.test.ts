/**
 * Items 1 and 3–9 of the freshness and possession hardening, each performed as an attacker would against
 * Express servers on 127.0.0.1 (item 2, bodies on every HTTP version, is `test/express/bodies.test.ts`).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as diagnosticsChannel from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/client/index.js';
import {
  AttestationError,
  CHANNELS,
  createChallengeStore,
  createMemoryReplayStore,
  createRedisReplayStore,
  createRequestGate,
  createVerifier,
  errorResponse,
  requireAttestation,
  type ReplayStore,
  type Verifier,
} from '../../src/index.js';
import { runtimeKeyOf } from '../../src/claims/runtime-data.js';
import { checkRequestSignature } from '../../src/possession/verify-request.js';
import { createTestAttestationService, DEFAULT_MRSIGNER, runtimeDataClaims, type TestAttestationService } from '../../src/testing/index.js';
import { describeWithRedis, startRedis, type RedisServer } from '../binding/redis-server.js';
import { memoryNonceStore } from '../possession/helpers.js';
import { AUTHORITY, BEARER_COMPONENTS, plain, signed } from '../gate/helpers.js';

let maa: TestAttestationService;
let verifier: Verifier;
const policy = { mrsigner: [DEFAULT_MRSIGNER] };
const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  maa = await createTestAttestationService();
  verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
});
afterAll(() => maa.close());

function keyPair() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

function enclaveToken(publicKey: KeyObject, extra: Record<string, unknown> = {}, claims: Record<string, unknown> = {}): string {
  return maa.mint({ ...runtimeDataClaims(JSON.stringify({ ...extra, jwk: publicKey.export({ format: 'jwk' }) })), ...claims });
}

function onceApp(store: ReplayStore, gateVerifier = verifier) {
  const app = express();
  app.get('/once', requireAttestation({ verifier: gateVerifier, policy, singleUse: store }), (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}

describe('item 1: a single-use token cannot replay after exp, inside the clock tolerance', () => {
  // Expired 5 s ago, still accepted for the remaining 25 s of the 30 s tolerance: before, its jti was
  // remembered for max(1 ms, exp - now) and the token replayed for the rest of the window.
  const lateToken = () => maa.mint({ exp: now() - 5, iat: now() - 600, nbf: now() - 600 });

  it('memory store: accepted once, then 20 of 20 replays refused', async () => {
    const app = onceApp(createMemoryReplayStore());
    const token = lateToken();
    expect((await request(app).get('/once').set('authorization', `Bearer ${token}`)).status).toBe(200);
    await sleep(20);
    const codes: string[] = [];
    for (let i = 0; i < 20; i += 1) codes.push((await request(app).get('/once').set('authorization', `Bearer ${token}`)).body.code);
    expect(codes).toEqual(Array(20).fill('ERR_REPLAY'));
  });

  describeWithRedis('Redis shared by two Express instances', () => {
    let redis: RedisServer;
    let clients: Redis[];
    beforeAll(async () => {
      redis = await startRedis();
      clients = [0, 1].map(() => new Redis(redis.url, { enableOfflineQueue: true, maxRetriesPerRequest: 0 }));
    });
    afterAll(async () => {
      clients.forEach((client) => client.disconnect());
      await redis.stop();
    });

    it('accepted once on one instance, then 10 of 10 replays refused across both, and the jti lives past exp + tolerance', async () => {
      const apps = clients.map((client) =>
        onceApp(createRedisReplayStore({ client }), createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true })),
      );
      const token = lateToken();
      expect((await request(apps[0]!).get('/once').set('authorization', `Bearer ${token}`)).status).toBe(200);
      await sleep(20);
      const codes: string[] = [];
      for (let i = 0; i < 10; i += 1)
        codes.push(
          (
            await request(apps[i % 2]!)
              .get('/once')
              .set('authorization', `Bearer ${token}`)
          ).body.code,
        );
      expect(codes).toEqual(Array(10).fill('ERR_REPLAY'));
      // Keys are stored as digests: the one single-use entry is the only key with a ttl this long.
      const keys = await clients[0]!.keys('*');
      const ttlMs = Math.max(...(await Promise.all(keys.map((key) => clients[0]!.pttl(key)))));
      // exp was 5 s ago and the tolerance is 30 s: at least ~25 s left, and the margin on top.
      expect(ttlMs).toBeGreaterThan(24_000);
      expect(ttlMs).toBeLessThanOrEqual(31_000);
    });
  });
});

describe('item 3: nothing is consumed before every proof has passed', () => {
  it('an unsigned copy of the token (seen by the untrusted host) burns neither the challenge nonce nor the jti', async () => {
    const challenges = createChallengeStore();
    const { nonce } = await challenges.issue();
    const { privateKey, publicKey } = keyPair();
    const token = enclaveToken(publicKey, { nonce });
    const gate = createRequestGate({
      verifier,
      policy,
      binding: { challenges },
      singleUse: createMemoryReplayStore(),
      possession: { authority: AUTHORITY },
    });
    const request = plain({ authorization: `Bearer ${token}` });
    // The thief: unsigned, then signed with its own key, then correctly signed but stale.
    expect(await gate.check(request)).toMatchObject({ ok: false, error: { code: 'ERR_POSSESSION' } });
    expect(await gate.check(signed(request, BEARER_COMPONENTS, keyPair().privateKey))).toMatchObject({
      ok: false,
      error: { code: 'ERR_POSSESSION' },
    });
    // The enclave's own request still goes through: nothing was consumed.
    expect(await gate.check(signed(request, BEARER_COMPONENTS, privateKey))).toMatchObject({ ok: true });
    // And now the nonce and jti are used up.
    expect(await gate.check(signed(request, BEARER_COMPONENTS, privateKey))).toMatchObject({ ok: false, error: { code: 'ERR_REPLAY' } });
  });

  it('a token refused by the policy burns no nonce', async () => {
    const challenges = createChallengeStore();
    const { nonce } = await challenges.issue();
    const gate = createRequestGate({ verifier, policy: { mrsigner: ['ab'.repeat(32)] }, binding: { challenges } });
    expect(await gate.check(plain({ authorization: `Bearer ${maa.mint(runtimeDataClaims(JSON.stringify({ nonce })))}` }))).toMatchObject({
      ok: false,
      error: { code: 'ERR_POLICY_DENIED' },
    });
    await expect(challenges.consume(nonce)).resolves.toBeUndefined();
  });

  it('a bound token without a jti burns no nonce on a single-use gate', async () => {
    const challenges = createChallengeStore();
    const { nonce } = await challenges.issue();
    const gate = createRequestGate({ verifier, policy, binding: { challenges }, singleUse: createMemoryReplayStore() });
    const token = maa.mint({ ...runtimeDataClaims(JSON.stringify({ nonce })), jti: undefined });
    expect(await gate.check(plain({ authorization: `Bearer ${token}` }))).toMatchObject({
      ok: false,
      error: { code: 'ERR_BINDING_MISMATCH' },
    });
    await expect(challenges.consume(nonce)).resolves.toBeUndefined();
  });

  it('a request refused by the binding burns no RFC 9421 nonce', async () => {
    const nonceStore = memoryNonceStore();
    const challenges = createChallengeStore();
    const { privateKey, publicKey } = keyPair();
    const unbound = enclaveToken(publicKey, { nonce: Buffer.alloc(32, 7).toString('base64url') });
    const gate = createRequestGate({ verifier, policy, binding: { challenges }, possession: { authority: AUTHORITY, nonceStore } });
    const request = signed(plain({ authorization: `Bearer ${unbound}` }), BEARER_COMPONENTS, privateKey, { nonce: 'n-1' });
    expect(await gate.check(request)).toMatchObject({ ok: false, error: { code: 'ERR_BINDING_MISMATCH' } });
    expect(nonceStore.seen.size).toBe(0);
  });
});

describe('item 4: linear-time canonicalisation of covered headers', () => {
  /** Median time of `runs` checks of a request whose covered `x-data` header is `value`, signed by a thief without the key. */
  function medianMs(value: string, runs: number): number {
    const { publicKey } = keyPair();
    const request = signed(plain({ authorization: 'Bearer t', 'x-data': value }), [...BEARER_COMPONENTS, 'x-data'], keyPair().privateKey);
    const times: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      const started = performance.now();
      try {
        checkRequestSignature({ method: request.method, url: request.target, authority: AUTHORITY, headers: request.headers }, publicKey);
      } catch (error) {
        expect((error as AttestationError).code).toBe('ERR_POSSESSION');
      }
      times.push(performance.now() - started);
    }
    return times.sort((x, y) => x - y)[Math.floor(runs / 2)]!;
  }

  it('a covered header of "a", 11 406 spaces, "b" costs about what the same length without the run costs', () => {
    const run = `a${' '.repeat(11_406)}b`;
    const flat = 'a'.repeat(run.length);
    medianMs(flat, 5); // warm-up
    const withRun = medianMs(run, 31);
    const without = medianMs(flat, 31);
    // Before: ~66 ms against ~1.5 ms. Allow noise on a loaded machine, not a quadratic factor.
    expect(withRun).toBeLessThan(without * 3 + 2);
  });

  it('a covered header of 200 000 characters is refused by the bound on the signature base', () => {
    const { publicKey } = keyPair();
    const request = signed(plain({ authorization: 'Bearer t', 'x-data': 'a' }), [...BEARER_COMPONENTS, 'x-data'], keyPair().privateKey);
    expect(() =>
      checkRequestSignature(
        { method: 'GET', url: '/data', authority: AUTHORITY, headers: { ...request.headers, 'x-data': `a${' '.repeat(200_000)}b` } },
        publicKey,
      ),
    ).toThrow(/too long/);
  });
});

describe('item 5: the signature covers the token wherever it travels', () => {
  // The enclave holds the key in both tokens' runtime data; a signature over "Authorization: Bearer A"
  // must not carry token B presented in a cookie, a custom header or the query.
  const { privateKey, publicKey } = keyPair();
  let tokenA: string;
  let tokenB: string;
  beforeAll(() => {
    tokenA = enclaveToken(publicKey);
    tokenB = enclaveToken(publicKey, {}, { 'x-ms-sgx-svn': 9 });
  });

  const DERIVED = ['@method', '@authority', '@path', '@query'];
  it.each([
    ['a cookie', { bearer: false, cookie: 'att' }, (token: string) => ({ cookie: `att=${token}` }), '', 'cookie'],
    [
      'a custom header',
      { bearer: false, header: 'x-attestation-token' },
      (token: string) => ({ 'x-attestation-token': token }),
      '',
      'x-attestation-token',
    ],
  ] as const)(
    'token B in %s with a signature over Authorization: Bearer A is refused; covering the carrier is accepted',
    async (_name, token, carry, query, component) => {
      const gate = createRequestGate({ verifier, policy, token, possession: { authority: AUTHORITY } });
      const target = `/data${query}`;
      const attack = signed(plain({ authorization: `Bearer ${tokenA}`, ...carry(tokenB) }, { target }), BEARER_COMPONENTS, privateKey);
      expect(await gate.check(attack)).toMatchObject({
        ok: false,
        error: { code: 'ERR_POSSESSION', message: expect.stringContaining('carries the token') },
      });
      const honest = signed(plain({ ...carry(tokenB) }, { target }), [...DERIVED, component], privateKey);
      expect(await gate.check(honest)).toMatchObject({ ok: true });
    },
  );

  it('token B in the query, on a gate that does not require @query, must still be covered by @query', async () => {
    const gate = createRequestGate({
      verifier,
      policy,
      token: { bearer: false, query: 'att' },
      possession: { authority: AUTHORITY, requiredComponents: ['@method', '@authority', '@path'] },
    });
    const request = plain({ authorization: `Bearer ${tokenA}` }, { target: `/data?att=${tokenB}` });
    const attack = signed(request, ['@method', '@authority', '@path', 'authorization'], privateKey);
    expect(await gate.check(attack)).toMatchObject({
      ok: false,
      error: { code: 'ERR_POSSESSION', message: expect.stringContaining('carries the token') },
    });
    expect(await gate.check(signed(request, ['@method', '@authority', '@path', '@query'], privateKey))).toMatchObject({ ok: true });
  });
});

describe('item 6: the verifier policy is a floor that route policies narrow', () => {
  it('an SVN-1 token refused by the verifier policy (minSvn 5) is refused on every route', async () => {
    const strict = createVerifier({
      issuers: [maa.issuer],
      allowInsecureLoopback: true,
      policy: { mrsigner: [DEFAULT_MRSIGNER], minSvn: 5 },
    });
    const app = express();
    app.get('/lenient', requireAttestation({ verifier: strict, policy: { mrsigner: [DEFAULT_MRSIGNER], minSvn: 1 } }), (_req, res) =>
      res.json({ ok: true }),
    );
    const token = maa.mint({ 'x-ms-sgx-svn': 1 });
    await expect(strict.verify(token)).rejects.toMatchObject({ code: 'ERR_POLICY_DENIED' });
    const answer = await request(app).get('/lenient').set('authorization', `Bearer ${token}`);
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('ERR_POLICY_DENIED');
    // Twice, so the second answer comes from the cache path too.
    expect((await request(app).get('/lenient').set('authorization', `Bearer ${token}`)).status).toBe(403);
    expect(
      (
        await request(app)
          .get('/lenient')
          .set('authorization', `Bearer ${maa.mint({ 'x-ms-sgx-svn': 6 })}`)
      ).status,
    ).toBe(200);
  });
});

describe('item 7: policy-denied tokens cannot evict accepted ones from the cache', () => {
  it('60 genuine debug-enclave tokens leave a cached legitimate entry in place', async () => {
    const small = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true, tokenCache: { maxEntries: 8 } });
    const gate = createRequestGate({ verifier: small, policy });
    const legitimate = plain({ authorization: `Bearer ${maa.mint()}` });
    expect(await gate.check(legitimate)).toMatchObject({ ok: true });
    expect(gate.checkSync(legitimate)).toMatchObject({ ok: true });
    for (let i = 0; i < 60; i += 1) {
      const debug = plain({ authorization: `Bearer ${maa.mint({ 'x-ms-sgx-is-debuggable': true })}` });
      expect(await gate.check(debug)).toMatchObject({ ok: false, error: { code: 'ERR_POLICY_DENIED' } });
    }
    // Still answered synchronously from the cache: it was not pushed out.
    expect(gate.checkSync(legitimate)).toMatchObject({ ok: true });
  });
});

describe('item 8: crashes and bad options', () => {
  it('an onRefusal returning a rejected promise does not crash the process (HTTP)', async () => {
    const unhandled: unknown[] = [];
    const published: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    const onPublished = (message: unknown) => published.push(message);
    process.on('unhandledRejection', onUnhandled);
    diagnosticsChannel.subscribe(CHANNELS.callbackError, onPublished);
    const app = express();
    app.get(
      '/a',
      requireAttestation({
        verifier,
        policy,
        onRefusal: async () => {
          throw new Error('log sink down');
        },
      }),
      (_req, res) => res.json({ ok: true }),
    );
    try {
      for (let i = 0; i < 5; i += 1) expect((await request(app).get('/a').set('authorization', 'Bearer junk')).status).toBe(401);
      await sleep(20);
      expect(unhandled).toEqual([]);
      expect(published).toHaveLength(5);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      diagnosticsChannel.unsubscribe(CHANNELS.callbackError, onPublished);
    }
  });

  it("realm: 123 and retryAfterSeconds: 'abc' are refused at construction, not on the first answer", () => {
    expect(() => requireAttestation({ verifier, policy, realm: 123 as unknown as string })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
    expect(() => requireAttestation({ verifier, policy, retryAfterSeconds: 'abc' as unknown as number })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });

  it('errorResponse(error, {}) answers with the defaults instead of throwing', () => {
    const down = new AttestationError('ERR_METADATA_UNAVAILABLE', 'down');
    expect(errorResponse(down, {})).toMatchObject({ status: 503, headers: { 'retry-after': '30' } });
    expect(errorResponse(new AttestationError('ERR_TOKEN_EXPIRED', 'x'), {}).headers['www-authenticate']).toMatch(
      /^Bearer realm="attestation", error="invalid_token"/,
    );
    expect(errorResponse(down)).toMatchObject({ status: 503 });
    expect(errorResponse(down, { realm: 'a"b', retryAfterSeconds: Number.NaN } as never)).toMatchObject({
      headers: { 'retry-after': '30' },
    });
  });
});

describe('item 9: smaller leaks', () => {
  it.each([
    ['use: "enc"', { use: 'enc' }],
    ['key_ops: ["encrypt"]', { key_ops: ['encrypt'] }],
    ['key_ops: ["deriveKey"]', { key_ops: ['deriveKey'] }],
    ['alg: "ECDH-ES"', { alg: 'ECDH-ES' }],
    ['alg: "RS256" on an EC key', { alg: 'RS256' }],
  ])('a runtime JWK marked %s is not a request-signing key', async (_name, marks) => {
    const { publicKey } = keyPair();
    const jwk = { ...publicKey.export({ format: 'jwk' }), ...marks };
    const attestation = await verifier.verify(maa.mint(runtimeDataClaims(JSON.stringify({ jwk }))));
    expect(runtimeKeyOf(attestation)).toBeUndefined();
    const marked = await verifier.verify(
      maa.mint(
        runtimeDataClaims(
          JSON.stringify({ jwk: { ...publicKey.export({ format: 'jwk' }), use: 'sig', key_ops: ['verify'], alg: 'ES256' } }),
        ),
      ),
    );
    expect(runtimeKeyOf(marked)).toBeDefined();
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'a runtime JWK with kty %j and an alg is no key, not a TypeError',
    async (kty) => {
      // The runtime data is the enclave's to choose: anyone can attest a debug enclave to a shared MAA instance.
      const { publicKey } = keyPair();
      const jwk = { ...publicKey.export({ format: 'jwk' }), kty, alg: 'ES256' };
      const attestation = await verifier.verify(maa.mint(runtimeDataClaims(JSON.stringify({ jwk }))));
      expect(runtimeKeyOf(attestation)).toBeUndefined();
      const keys = await verifier.verify(maa.mint(runtimeDataClaims(JSON.stringify({ keys: [jwk] }))));
      expect(keys.runtimeKey).toBeUndefined();
      // Through the gate it is a possession refusal (401), not an internal error (500).
      const gate = createRequestGate({ verifier, policy, possession: { authority: AUTHORITY } });
      const token = maa.mint(runtimeDataClaims(JSON.stringify({ jwk })));
      const outcome = await gate.check(signed(plain({ authorization: `Bearer ${token}` }), BEARER_COMPONENTS, keyPair().privateKey));
      expect(outcome.ok ? 'accepted' : outcome.error.code).toBe('ERR_POSSESSION');
    },
  );

  it('in a key set, an encryption key is skipped for the signing key after it', async () => {
    const signing = keyPair().publicKey;
    const keys = [{ ...keyPair().publicKey.export({ format: 'jwk' }), use: 'enc' }, signing.export({ format: 'jwk' })];
    const attestation = await verifier.verify(maa.mint(runtimeDataClaims(JSON.stringify({ keys }))));
    expect(runtimeKeyOf(attestation)?.equals(signing)).toBe(true);
  });

  it('a token whose x-ms-sgx-ehd and x-ms-runtime disagree is refused', async () => {
    const challenges = createChallengeStore();
    const [first, second] = [await challenges.issue(), await challenges.issue()];
    const token = maa.mint({ ...runtimeDataClaims(JSON.stringify({ nonce: first.nonce })), 'x-ms-runtime': { nonce: second.nonce } });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_CLAIM_INVALID' });
    await expect(
      verifier.verify(maa.mint({ ...runtimeDataClaims('not json'), 'x-ms-runtime': { nonce: second.nonce } })),
    ).rejects.toMatchObject({ code: 'ERR_CLAIM_INVALID' });
    // Both forms carrying the same data agree, whatever the member order.
    const same = maa.mint({
      ...runtimeDataClaims(JSON.stringify({ a: 1, nonce: first.nonce })),
      'x-ms-runtime': { nonce: first.nonce, a: 1 },
    });
    await expect(verifier.verify(same)).resolves.toBeDefined();
  });

  it('the raw kid of an unsigned token reaches keys:unknown-kid subscribers escaped and cut short', async () => {
    const seen: { kid: string }[] = [];
    const listener = (message: unknown) => seen.push(message as { kid: string });
    diagnosticsChannel.subscribe(CHANNELS.unknownKid, listener);
    try {
      const kid = `evil\r\n\u001b[31mred\u001b[0m${'x'.repeat(200)}`;
      const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid, typ: 'JWT' })).toString('base64url');
      const payload = Buffer.from(JSON.stringify({ iss: maa.issuer })).toString('base64url');
      await expect(verifier.verify(`${header}.${payload}.${Buffer.alloc(256).toString('base64url')}`)).rejects.toBeInstanceOf(
        AttestationError,
      );
      expect(seen).toHaveLength(1);
      expect([...seen[0]!.kid].every((c) => c >= ' ' && c <= '~')).toBe(true);
      // 64 characters of the kid are kept, each escaped to at most 6, then the escaped ellipsis.
      expect(seen[0]!.kid).toMatch(/^evil\\u000d\\u000a\\u001b\[31mred\\u001b\[0mx+\\u2026$/);
      expect(seen[0]!.kid).toHaveLength(90);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.unknownKid, listener);
    }
  });

  it('claim errors show 1.5 and true as JSON values with their type, not as strings', async () => {
    const messages = async (claims: Record<string, unknown>) =>
      (await verifier.verify(maa.mint(claims)).catch((error: AttestationError) => error)) as AttestationError;
    const fraction = await messages({ 'x-ms-sgx-svn': 1.5 });
    expect(fraction.code).toBe('ERR_CLAIM_INVALID');
    expect(fraction.message).toContain(' 1.5');
    expect(fraction.message).not.toContain('"1.5"');
    const stringy = await messages({ 'x-ms-sgx-svn': '1.5' });
    expect(stringy.message).toContain('"1.5"');
  });
});

describe('item 10: possession outside Express', () => {
  it('a plain node:http server gets the whole gate, possession included, through createRequestGate', async () => {
    const { privateKey, publicKey } = keyPair();
    const token = enclaveToken(publicKey);
    const gate = createRequestGate({ verifier, policy, possession: {} });
    const server: Server = createServer((req, res) => {
      void gate
        .check({
          method: req.method ?? 'GET',
          target: req.url ?? '/',
          authority: req.headers.host,
          headers: req.headers,
          bodyMayFollow: false,
        })
        .then((outcome) => {
          res.statusCode = outcome.ok ? 200 : outcome.status;
          res.end(outcome.ok ? 'through' : outcome.problem.code);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const signedAnswer = await fetch(`${origin}/x`, { headers: signRequest({ method: 'GET', url: `${origin}/x`, privateKey, token }) });
      expect([signedAnswer.status, await signedAnswer.text()]).toEqual([200, 'through']);
      const stolen = await fetch(`${origin}/x`, { headers: { authorization: `Bearer ${token}` } });
      expect([stolen.status, await stolen.text()]).toEqual([401, 'ERR_POSSESSION']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
