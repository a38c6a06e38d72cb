import { X509Certificate, constants, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { connect } from 'node:net';
import { describe, it, expect, afterEach } from 'vitest';
import {
  DEFAULT_MRENCLAVE,
  DEFAULT_MRSIGNER,
  DEFAULT_POLICY_HASH,
  DEFAULT_PRODUCT_ID,
  DEFAULT_SVN,
  certificateToPem,
  createTestAttestationService,
  maaKeyId,
  type TestAttestationService,
  type TestAttestationServiceOptions,
} from '../../src/testing/index.js';

// Key generation dominates the cost of a service: generate once, hand the keys to every service.
const rsa = (bits: number): KeyObject => generateKeyPairSync('rsa', { modulusLength: bits }).privateKey;
const KEY_A = rsa(2048);
const KEY_B = rsa(2048);
const KEY_C = rsa(2048);
const KEY_1024 = rsa(1024);

const running: TestAttestationService[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function start(options: TestAttestationServiceOptions = {}): Promise<TestAttestationService> {
  const service = await createTestAttestationService({ privateKeys: [KEY_A], ...options });
  running.push(service);
  return service;
}

function decode(token: string): {
  headerText: string;
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signature: Buffer;
} {
  const [h = '', p = '', s = ''] = token.split('.');
  const headerText = Buffer.from(h, 'base64url').toString('utf8');
  return {
    headerText,
    header: JSON.parse(headerText),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
    signature: Buffer.from(s, 'base64url'),
  };
}

function certKey(x5c: string): { key: KeyObject; subject: string } {
  const cert = new X509Certificate(certificateToPem(x5c));
  return { key: cert.publicKey, subject: cert.subject };
}

function verifies(token: string, key: KeyObject, options: { digest?: string; pss?: boolean } = {}): boolean {
  const dot = token.lastIndexOf('.');
  const input = Buffer.from(token.slice(0, dot), 'ascii');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  const padding = options.pss
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : { key, padding: constants.RSA_PKCS1_PADDING };
  return verify(options.digest ?? 'sha256', input, padding, signature);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are asserted field by field
type Json = any;

async function getJson(url: string): Promise<{ status: number; body: Json; type: string | null }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json(), type: res.headers.get('content-type') };
}

describe('metadata endpoints', () => {
  it('serves discovery shaped like MAA, on a random loopback port', async () => {
    const maa = await start();
    expect(maa.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(maa.jwksUri).toBe(`${maa.issuer}/certs`);
    const { status, body, type } = await getJson(`${maa.issuer}/.well-known/openid-configuration`);
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    expect(Object.keys(body)).toEqual([
      'response_types_supported',
      'id_token_signing_alg_values_supported',
      'revocation_endpoint',
      'issuer',
      'jwks_uri',
      'claims_supported',
    ]);
    expect(body.issuer).toBe(maa.issuer);
    expect(body.jwks_uri).toBe(maa.jwksUri);
    expect(body.revocation_endpoint).toBe(`${maa.issuer}/revoke`);
    expect(body.id_token_signing_alg_values_supported).toEqual(['RS256']);
    expect(body).toEqual(maa.openidConfiguration());
  });

  it('serves /certs exactly like MAA: x5c, kid, kty only; the certificate is CN=issuer and signs minted tokens', async () => {
    const maa = await start();
    const { status, body } = await getJson(`${maa.jwksUri}?api-version=2020-10-01`);
    expect(status).toBe(200);
    expect(body).toEqual(maa.publicJwks());
    expect(body.keys).toHaveLength(1);
    const [jwk] = body.keys;
    expect(Object.keys(jwk)).toEqual(['x5c', 'kid', 'kty']);
    expect(jwk.kty).toBe('RSA');
    expect(jwk.kid).toBe(maa.activeKid);
    const { key, subject } = certKey(jwk.x5c[0]);
    expect(subject).toBe(`CN=${maa.issuer}`);
    expect(maaKeyId(key)).toBe(jwk.kid);
    const token = maa.mint();
    expect(decode(token).header.kid).toBe(jwk.kid);
    expect(verifies(token, key)).toBe(true);
  });

  it('publishes n and e when asked, agreeing with the certificate', async () => {
    const maa = await start({ jwksIncludesModulus: true });
    const [jwk] = (await getJson(maa.jwksUri)).body.keys;
    expect(Object.keys(jwk)).toEqual(['x5c', 'kid', 'kty', 'n', 'e']);
    const fromCert = certKey(jwk.x5c[0]).key.export({ format: 'jwk' });
    expect([jwk.n, jwk.e]).toEqual([fromCert.n, fromCert.e]);
  });

  it('answers 404 to anything else', async () => {
    const maa = await start();
    expect((await fetch(`${maa.issuer}/`)).status).toBe(404);
    expect((await fetch(`${maa.issuer}/certs/`)).status).toBe(404);
    expect((await fetch(`${maa.issuer}//certs`)).status).toBe(404);
    expect((await fetch(maa.jwksUri, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('generates its own keys by default (2048-bit) and honours keyCount and modulusLength', async () => {
    const one = await createTestAttestationService();
    running.push(one);
    expect(one.keys()).toHaveLength(1);
    expect(one.publicKey().asymmetricKeyDetails?.modulusLength).toBe(2048);
    const small = await createTestAttestationService({ keyCount: 2, modulusLength: 1024 });
    running.push(small);
    expect(small.keys()).toHaveLength(2);
    expect(small.activeKid).toBe(small.keys()[0]);
    for (const kid of small.keys()) expect(small.publicKey(kid).asymmetricKeyDetails?.modulusLength).toBe(1024);
    await expect(createTestAttestationService({ keyCount: 0 })).rejects.toThrow(RangeError);
  });
});

describe('mint', () => {
  it('writes the header members in MAA order', async () => {
    const maa = await start();
    const { headerText } = decode(maa.mint());
    expect(headerText).toBe(JSON.stringify({ alg: 'RS256', jku: maa.jwksUri, kid: maa.activeKid, typ: 'JWT' }));
  });

  it('issues MAA-shaped registered claims and the default SGX claims', async () => {
    const now = new Date('2030-01-02T03:04:05.678Z');
    const maa = await start({ now: () => now.getTime() });
    const { payload } = decode(maa.mint());
    const iat = Math.floor(now.getTime() / 1000);
    expect(payload).toMatchObject({ iat, nbf: iat, exp: iat + 28_800, iss: maa.issuer });
    expect(payload.jti).toMatch(/^[0-9a-f]{64}$/);
    expect(decode(maa.mint()).payload.jti).not.toBe(payload.jti);
    expect(payload).not.toHaveProperty('aud');
    expect(payload).toMatchObject({
      'x-ms-attestation-type': 'sgx',
      'x-ms-ver': '1.0',
      'x-ms-sgx-mrenclave': DEFAULT_MRENCLAVE,
      'x-ms-sgx-mrsigner': DEFAULT_MRSIGNER,
      'x-ms-sgx-product-id': DEFAULT_PRODUCT_ID,
      'x-ms-sgx-svn': DEFAULT_SVN,
      'x-ms-sgx-is-debuggable': false,
      'x-ms-policy-hash': DEFAULT_POLICY_HASH,
      tee: 'sgx',
    });
    // Sorted by name, as MAA's serializer emits them.
    const names = Object.keys(payload);
    expect(names).toEqual([...names].sort());
  });

  it('takes iat (number or Date) and lifetime per token, and lifetime per service', async () => {
    const maa = await start({ lifetimeSeconds: 3600 });
    expect(decode(maa.mint({}, { iat: 1_654_037_276 })).payload).toMatchObject({
      iat: 1_654_037_276,
      nbf: 1_654_037_276,
      exp: 1_654_040_876,
    });
    const p = decode(maa.mint({}, { iat: new Date(1_000_000_999), lifetimeSeconds: 60 })).payload;
    expect(p).toMatchObject({ iat: 1_000_000, exp: 1_000_060 });
  });

  it('merges overrides, removes claims set to undefined, and keeps legacy aliases consistent', async () => {
    const maa = await start();
    const { payload } = decode(
      maa.mint({
        'x-ms-sgx-svn': 7,
        'x-ms-sgx-is-debuggable': true,
        'x-ms-sgx-mrsigner': 'ab'.repeat(32),
        nonce: 'n-1',
        'x-ms-ver': undefined,
        jti: undefined,
        iss: 'https://evil.example',
      }),
    );
    expect(payload).toMatchObject({
      'x-ms-sgx-svn': 7,
      svn: 7,
      'x-ms-sgx-is-debuggable': true,
      'is-debuggable': true,
      nonce: 'n-1',
      iss: 'https://evil.example',
    });
    expect(payload['sgx-mrsigner']).toBe('ab'.repeat(32));
    expect(payload['x-ms-policy']).toMatchObject({ svn: 7, 'is-debuggable': true, 'sgx-mrsigner': 'ab'.repeat(32) });
    expect(payload).not.toHaveProperty('x-ms-ver');
    expect(payload).not.toHaveProperty('jti');

    // An explicit alias wins, and removing the x-ms claim removes the alias that follows it.
    const q = decode(maa.mint({ 'x-ms-sgx-svn': 9, svn: 1, 'x-ms-sgx-product-id': undefined })).payload;
    expect(q).toMatchObject({ 'x-ms-sgx-svn': 9, svn: 1 });
    expect(q).not.toHaveProperty('x-ms-sgx-product-id');
    expect(q).not.toHaveProperty('product-id');
    expect(q['x-ms-policy']).not.toHaveProperty('product-id');
  });

  it('merges header overrides and removes members set to undefined', async () => {
    const maa = await start();
    const { header, headerText } = decode(maa.mint({}, { header: { jku: undefined, x5c: ['AAAA'], alg: 'HS256' } }));
    expect(headerText.startsWith('{"alg":"HS256","kid":')).toBe(true);
    expect(header).not.toHaveProperty('jku');
    expect(header.x5c).toEqual(['AAAA']);
  });

  it('mints unsigned tokens like MAA draft-policy responses', async () => {
    const maa = await start();
    const token = maa.mint({}, { alg: 'none' });
    expect(token.endsWith('.')).toBe(true);
    expect(token.split('.')).toHaveLength(3);
    expect(decode(token).header.alg).toBe('none');
    expect(decode(token).signature).toHaveLength(0);
  });

  it('signs with RS384/RS512 and PS256/PS384/PS512 (salt = digest length)', async () => {
    const maa = await start();
    const key = maa.publicKey();
    for (const [alg, digest, pss] of [
      ['RS384', 'sha384', false],
      ['RS512', 'sha512', false],
      ['PS256', 'sha256', true],
      ['PS384', 'sha384', true],
      ['PS512', 'sha512', true],
    ] as const) {
      const token = maa.mint({}, { alg });
      expect(decode(token).header.alg).toBe(alg);
      expect(verifies(token, key, { digest, pss })).toBe(true);
    }
  });

  it('signs with an unpublished key while naming the genuine kid (forgery)', async () => {
    const maa = await start();
    const forged = maa.mint({}, { signingKey: KEY_B });
    expect(decode(forged).header.kid).toBe(maa.activeKid);
    expect(verifies(forged, maa.publicKey())).toBe(false);
    expect(() => maa.mint({}, { kid: 'nope' })).toThrow(/unknown kid/);
  });

  it('signs with 1024-bit keys, which jose would refuse', async () => {
    const maa = await start({ privateKeys: [KEY_1024] });
    const [jwk] = maa.publicJwks().keys;
    const token = maa.mint();
    expect(decode(token).signature).toHaveLength(128);
    expect(verifies(token, certKey(jwk?.x5c[0] ?? '').key)).toBe(true);
  });
});

describe('key management', () => {
  it('rotates: the new key is active and alone in /certs; old keys still mint', async () => {
    const maa = await start({ privateKeys: [KEY_A, KEY_B] });
    const [a, b] = maa.keys();
    expect(maa.activeKid).toBe(a);
    const fresh = maa.rotateKeys();
    expect(fresh).not.toBe(a);
    expect(maa.activeKid).toBe(fresh);
    const served = (await getJson(maa.jwksUri)).body.keys.map((k: { kid: string }) => k.kid);
    expect(served).toEqual([fresh]);
    const old = maa.mint({}, { kid: b ?? '' });
    expect(decode(old).header.kid).toBe(b);
    expect(verifies(old, maa.publicKey(b))).toBe(true);
  });

  it('adds and removes keys', async () => {
    const maa = await start();
    const first = maa.activeKid;
    const added = maa.addKey({ privateKey: KEY_C });
    expect(maa.activeKid).toBe(first);
    expect((await getJson(maa.jwksUri)).body.keys.map((k: { kid: string }) => k.kid)).toEqual([first, added]);
    const active = maa.addKey({ privateKey: KEY_1024, activate: true });
    expect(maa.activeKid).toBe(active);
    expect(maa.publicKey().asymmetricKeyDetails?.modulusLength).toBe(1024);

    expect(maa.removeKey(active)).toBe(true);
    expect(maa.removeKey(active)).toBe(false);
    expect(maa.activeKid).toBe(added);
    expect(maa.keys()).toEqual([first, added]);
    expect(maa.removeKey(first)).toBe(true);
    expect(maa.removeKey(added)).toBe(true);
    expect((await getJson(maa.jwksUri)).body).toEqual({ keys: [] });
    // The last active key keeps signing, unpublished: a token nobody can verify.
    expect(maa.activeKid).toBe(added);
    expect(decode(maa.mint()).header.kid).toBe(added);
    expect(maa.privateKey(active)).toBe(KEY_1024);
  });
});

describe('faults', () => {
  it('answers with an injected status and a default MAA-style error body', async () => {
    const maa = await start();
    maa.setFault('certs', { status: 503, headers: { 'Retry-After': '1' } });
    const res = await fetch(maa.jwksUri);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toHaveProperty('error');
    expect((await fetch(`${maa.issuer}/.well-known/openid-configuration`)).status).toBe(200);
  });

  it('answers with an injected body and content type', async () => {
    const maa = await start();
    maa.setFault('discovery', { body: '<html>gateway</html>', contentType: 'text/html' });
    const res = await fetch(`${maa.issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(await res.text()).toBe('<html>gateway</html>');
  });

  it('applies a fault the given number of times, then clears it', async () => {
    const maa = await start();
    maa.setFault('certs', { status: 500, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await fetch(maa.jwksUri)).status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it('applies "all" to every route, a route fault first, and clears', async () => {
    const maa = await start();
    maa.setFault('all', { status: 502 });
    maa.setFault('certs', { status: 429 });
    expect((await fetch(maa.jwksUri)).status).toBe(429);
    expect((await fetch(`${maa.issuer}/.well-known/openid-configuration`)).status).toBe(502);
    maa.setFault('certs', null);
    expect((await fetch(maa.jwksUri)).status).toBe(502);
    maa.clearFaults();
    expect((await fetch(maa.jwksUri)).status).toBe(200);
  });

  it('delays', async () => {
    const maa = await start();
    maa.setFault('certs', { delayMs: 120 });
    const t0 = performance.now();
    const res = await fetch(maa.jwksUri);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(100);
    expect(await res.json()).toEqual(maa.publicJwks());
  });

  it('redirects', async () => {
    const maa = await start();
    maa.setFault('certs', { redirectTo: 'http://169.254.169.254/metadata' });
    const res = await fetch(maa.jwksUri, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://169.254.169.254/metadata');
  });

  it('hangs until the client gives up', async () => {
    const maa = await start();
    maa.setFault('certs', { hang: true });
    const t0 = performance.now();
    await expect(fetch(maa.jwksUri, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('drips the body slowly, and completes it', async () => {
    const maa = await start();
    maa.setFault('certs', { body: '{"keys":[]}', dripBytesPerSecond: 100 });
    const t0 = performance.now();
    const res = await fetch(maa.jwksUri);
    expect(res.headers.get('content-length')).toBe('11');
    expect(await res.text()).toBe('{"keys":[]}');
    // 11 bytes at 100 B/s: ~110 ms.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
  });

  it('drips the normal body so that a client deadline fires mid-body', async () => {
    const maa = await start();
    maa.setFault('certs', { dripBytesPerSecond: 200 });
    const controller = new AbortController();
    const res = await fetch(maa.jwksUri, { signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.value?.length ?? 0).toBeGreaterThan(0);
    expect(first.value?.length ?? 0).toBeLessThan(Number(res.headers.get('content-length')));
    setTimeout(() => controller.abort(), 50);
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toThrow();
  });

  it('streams an oversize body: valid JSON of exactly that size, with no Content-Length', async () => {
    const maa = await start();
    maa.setFault('certs', { oversizeBytes: 300_000 });
    const res = await fetch(maa.jwksUri);
    expect(res.headers.get('content-length')).toBeNull();
    const text = await res.text();
    expect(Buffer.byteLength(text)).toBe(300_000);
    const body = JSON.parse(text);
    expect(body.keys).toEqual(maa.publicJwks().keys);
    expect(Object.keys(body)[0]).toBe('x-padding');
  });

  it('lets a client stop reading an oversize body early', async () => {
    const maa = await start();
    maa.setFault('certs', { oversizeBytes: 512 * 1024 * 1024 });
    const res = await fetch(maa.jwksUri);
    const reader = res.body!.getReader();
    let received = 0;
    let firstChunk = '';
    while (received < 1024 * 1024) {
      const { value, done } = await reader.read();
      if (done) break;
      if (!firstChunk) firstChunk = Buffer.from(value).toString('utf8', 0, 20);
      received += value.length;
    }
    await reader.cancel();
    expect(received).toBeGreaterThanOrEqual(1024 * 1024);
    expect(firstChunk.startsWith('{"x-padding":"AAAA')).toBe(true);
  });

  it('validates faults', async () => {
    const maa = await start();
    expect(() => maa.setFault('certs', { status: 42 })).toThrow(RangeError);
    expect(() => maa.setFault('certs', { times: 0 })).toThrow(RangeError);
    expect(() => maa.setFault('certs', { dripBytesPerSecond: 0 })).toThrow(RangeError);
  });
});

describe('counters', () => {
  it('counts requests per endpoint, including faulted ones, and resets', async () => {
    const maa = await start();
    const live = maa.requests;
    await fetch(`${maa.issuer}/.well-known/openid-configuration`).then((r) => r.text());
    await fetch(maa.jwksUri).then((r) => r.text());
    maa.setFault('certs', { status: 500, times: 1 });
    await fetch(maa.jwksUri).then((r) => r.text());
    await fetch(`${maa.issuer}/other`).then((r) => r.text());
    expect(live).toEqual({ discovery: 1, certs: 2, attest: 0, total: 4 });
    maa.resetCounters();
    expect(maa.requests).toEqual({ discovery: 0, certs: 0, attest: 0, total: 0 });
    expect(maa.requests).toBe(live);
  });
});

describe('close', () => {
  it('returns promptly with hanging and dripping requests open, and is idempotent', async () => {
    const maa = await createTestAttestationService({ privateKeys: [KEY_A] });
    maa.setFault('certs', { hang: true });
    maa.setFault('discovery', { dripBytesPerSecond: 1, delayMs: 10 });
    const hanging = fetch(maa.jwksUri).then(
      () => 'answered',
      () => 'failed',
    );
    const dripping = fetch(`${maa.issuer}/.well-known/openid-configuration`).then(
      (res) =>
        res.text().then(
          () => 'answered',
          () => 'failed',
        ),
      () => 'failed',
    );
    // And an idle connection that never sends a request.
    const idle = connect(Number(new URL(maa.issuer).port), '127.0.0.1');
    const idleClosed = new Promise((resolve) => idle.on('close', resolve));
    idle.on('error', () => undefined);
    await new Promise((resolve) => idle.on('connect', resolve));
    while (maa.requests.total < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    const t0 = performance.now();
    await maa.close();
    await maa.close();
    expect(performance.now() - t0).toBeLessThan(500);
    expect(await hanging).toBe('failed');
    expect(await dripping).toBe('failed');
    await idleClosed;
    await expect(fetch(maa.jwksUri)).rejects.toThrow();
  });
});
