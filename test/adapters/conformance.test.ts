/**
 * One conformance suite, run against every adapter: the same requests must get the same answers — status,
 * WWW-Authenticate, Retry-After, problem body, media type — whichever framework serves them.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/client/index.js';
import { createChallengeStore, createMemoryReplayStore, createVerifier, type Verifier } from '../../src/index.js';
import { createTestAttestationService, DEFAULT_MRSIGNER, runtimeDataClaims, type TestAttestationService } from '../../src/testing/index.js';
import { FRAMEWORKS, type CommonOptions, type RunningApp } from './servers.js';

let maa: TestAttestationService;
let verifier: Verifier;
const policy = { mrsigner: [DEFAULT_MRSIGNER], minSvn: 2 };

beforeAll(async () => {
  maa = await createTestAttestationService();
  verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
});
afterAll(() => maa.close());

function enclave(nonce?: string): { token: string; privateKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const token = maa.mint({ 'x-ms-sgx-svn': 3, ...runtimeDataClaims(JSON.stringify({ nonce, jwk: publicKey.export({ format: 'jwk' }) })) });
  return { token, privateKey };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function expectProblem(response: Response, status: number, code: string, bearerError?: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ type: 'about:blank', status, code });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  const challenge = response.headers.get('www-authenticate');
  if (status === 503) {
    expect(challenge).toBeNull();
    expect(response.headers.get('retry-after')).toBe('30');
  } else if (bearerError === undefined) {
    expect(challenge).toBe('Bearer realm="attestation"');
  } else {
    expect(challenge).toMatch(new RegExp(`^Bearer realm="attestation", error="${bearerError}", error_description="[^"]+"$`));
  }
}

describe.each(Object.entries(FRAMEWORKS))('%s', (_name, framework) => {
  const running: RunningApp[] = [];
  async function serve(options: Partial<CommonOptions> = {}): Promise<RunningApp> {
    const app = await framework({ verifier, policy, ...options });
    running.push(app);
    return app;
  }
  afterAll(async () => {
    await Promise.all(running.map((app) => app.close()));
  });

  let plain: RunningApp;
  beforeAll(async () => {
    plain = await serve();
  });

  it('passes a valid token and hands the handler its attestation', async () => {
    const response = await fetch(`${plain.origin}/data`, { headers: bearer(maa.mint({ 'x-ms-sgx-svn': 5 })) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ svn: 5 });
  });

  it("rechecks a kept-alive client's repeated token on every request: expiry, policy, another token", async () => {
    let now = Date.now();
    const timed = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true, now: () => now });
    const app = await serve({ verifier: timed });
    const token = maa.mint({ 'x-ms-sgx-svn': 3 }, { iat: new Date(now), lifetimeSeconds: 600 });
    const other = maa.mint({ 'x-ms-sgx-svn': 6 });
    for (let i = 0; i < 3; i++) expect(await (await fetch(`${app.origin}/data`, { headers: bearer(token) })).json()).toEqual({ svn: 3 });
    expect(await (await fetch(`${app.origin}/data`, { headers: bearer(other) })).json()).toEqual({ svn: 6 });
    expect(await (await fetch(`${app.origin}/data`, { headers: bearer(token) })).json()).toEqual({ svn: 3 });
    const strict = await serve({ verifier: timed, policy: { ...policy, minSvn: 5 } });
    await expectProblem(await fetch(`${strict.origin}/data`, { headers: bearer(token) }), 403, 'ERR_POLICY_DENIED', 'insufficient_scope');
    now += 700_000;
    await expectProblem(await fetch(`${app.origin}/data`, { headers: bearer(token) }), 401, 'ERR_TOKEN_EXPIRED', 'invalid_token');
  });

  it('answers a missing token with 401 and a bare Bearer challenge', async () => {
    await expectProblem(await fetch(`${plain.origin}/data`), 401, 'ERR_TOKEN_MISSING');
  });

  it('answers an expired token with 401 invalid_token', async () => {
    const token = maa.mint({}, { iat: new Date(Date.now() - 86_400_000), lifetimeSeconds: 60 });
    await expectProblem(await fetch(`${plain.origin}/data`, { headers: bearer(token) }), 401, 'ERR_TOKEN_EXPIRED', 'invalid_token');
  });

  it('answers a forged token with 401 invalid_token', async () => {
    const [header, payload] = maa.mint().split('.');
    await expectProblem(
      await fetch(`${plain.origin}/data`, { headers: bearer(`${header}.${payload}.${'A'.repeat(342)}`) }),
      401,
      'ERR_SIGNATURE_INVALID',
      'invalid_token',
    );
  });

  it('answers an enclave the policy refuses with 403 insufficient_scope', async () => {
    await expectProblem(
      await fetch(`${plain.origin}/data`, { headers: bearer(maa.mint({ 'x-ms-sgx-svn': 1 })) }),
      403,
      'ERR_POLICY_DENIED',
      'insufficient_scope',
    );
  });

  it('answers a broken Authorization header with 400 invalid_request', async () => {
    await expectProblem(
      await fetch(`${plain.origin}/data`, { headers: { authorization: 'Bearer a b' } }),
      400,
      'ERR_REQUEST_INVALID',
      'invalid_request',
    );
  });

  it('answers 503 with Retry-After when the issuer cannot be reached', async () => {
    const unreachable = createVerifier({ issuers: ['http://127.0.0.1:9'], allowInsecureLoopback: true, fetchTimeoutMs: 500 });
    const app = await serve({ verifier: unreachable, policy: { mrsigner: [DEFAULT_MRSIGNER] } });
    const token = maa.mint({}, { header: { jku: 'http://127.0.0.1:9/certs' } });
    const forged = token.split('.');
    const payload = JSON.parse(Buffer.from(forged[1]!, 'base64url').toString()) as Record<string, unknown>;
    const retargeted = `${forged[0]}.${Buffer.from(JSON.stringify({ ...payload, iss: 'http://127.0.0.1:9' })).toString('base64url')}.${forged[2]}`;
    await expectProblem(await fetch(`${app.origin}/data`, { headers: bearer(retargeted) }), 503, 'ERR_METADATA_UNAVAILABLE');
  });

  it('reads the token from the configured sources, and refuses two at once', async () => {
    const app = await serve({ token: { bearer: true, header: 'x-attestation-token', cookie: 'attestation', query: 'token' } });
    const token = maa.mint({ 'x-ms-sgx-svn': 4 });
    expect(await (await fetch(`${app.origin}/data`, { headers: { 'x-attestation-token': token } })).json()).toEqual({ svn: 4 });
    expect(await (await fetch(`${app.origin}/data`, { headers: { cookie: `other=1; attestation=${token}` } })).json()).toEqual({ svn: 4 });
    expect(await (await fetch(`${app.origin}/data?token=${token}`)).json()).toEqual({ svn: 4 });
    await expectProblem(
      await fetch(`${app.origin}/data`, { headers: { ...bearer(token), 'x-attestation-token': token } }),
      400,
      'ERR_REQUEST_INVALID',
      'invalid_request',
    );
  });

  it('lets a request without a token through when not required, but never a bad one', async () => {
    const app = await serve({ required: false });
    const response = await fetch(`${app.origin}/data`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ svn: null });
    await expectProblem(await fetch(`${app.origin}/data`, { headers: bearer('x.y.z') }), 401, 'ERR_TOKEN_MALFORMED', 'invalid_token');
  });

  it('binds tokens to a challenge nonce, used once', async () => {
    const challenges = createChallengeStore();
    const app = await serve({ binding: { challenges } });
    const { nonce } = await challenges.issue();
    const { token } = enclave(nonce);
    expect((await fetch(`${app.origin}/data`, { headers: bearer(token) })).status).toBe(200);
    await expectProblem(await fetch(`${app.origin}/data`, { headers: bearer(token) }), 401, 'ERR_REPLAY', 'invalid_token');
    await expectProblem(
      await fetch(`${app.origin}/data`, { headers: bearer(maa.mint({ 'x-ms-sgx-svn': 3 })) }),
      401,
      'ERR_BINDING_MISMATCH',
      'invalid_token',
    );
  });

  it('accepts a single-use token once', async () => {
    const app = await serve({ singleUse: createMemoryReplayStore() });
    const token = maa.mint({ 'x-ms-sgx-svn': 3 });
    expect((await fetch(`${app.origin}/data`, { headers: bearer(token) })).status).toBe(200);
    await expectProblem(await fetch(`${app.origin}/data`, { headers: bearer(token) }), 401, 'ERR_REPLAY', 'invalid_token');
  });

  describe('proof of possession', () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await serve({ possession: { nonceStore: createMemoryReplayStore(), requireNonce: true } });
    });

    it('accepts a request signed with the attested key, body included', async () => {
      const { token, privateKey } = enclave();
      const body = JSON.stringify({ reading: 42 });
      const headers = signRequest({
        method: 'POST',
        url: `${app.origin}/data?x=1`,
        privateKey,
        token,
        body,
        headers: { 'content-type': 'application/json' },
      });
      const response = await fetch(`${app.origin}/data?x=1`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ svn: 3 });
      const get = signRequest({ method: 'GET', url: `${app.origin}/data`, privateKey, token });
      expect((await fetch(`${app.origin}/data`, { headers: get })).status).toBe(200);
    });

    it('refuses a stolen token without a signature, and a body changed after signing', async () => {
      const { token, privateKey } = enclave();
      await expectProblem(await fetch(`${app.origin}/data`, { headers: bearer(token) }), 401, 'ERR_POSSESSION', 'invalid_token');
      const headers = signRequest({
        method: 'POST',
        url: `${app.origin}/data`,
        privateKey,
        token,
        body: '{"reading":42}',
        headers: { 'content-type': 'application/json' },
      });
      const tampered = await fetch(`${app.origin}/data`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: '{"reading":43}',
      });
      await expectProblem(tampered, 401, 'ERR_POSSESSION', 'invalid_token');
    });

    it('refuses a replayed signed request', async () => {
      const { token, privateKey } = enclave();
      const headers = signRequest({ method: 'GET', url: `${app.origin}/data`, privateKey, token });
      expect((await fetch(`${app.origin}/data`, { headers })).status).toBe(200);
      await expectProblem(await fetch(`${app.origin}/data`, { headers }), 401, 'ERR_POSSESSION', 'invalid_token');
    });
  });
});
