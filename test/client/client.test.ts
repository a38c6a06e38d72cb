import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAttestedFetch, signRequest } from '../../src/client/index.js';
import { AttestationError, isAttestationError } from '../../src/errors.js';
import { errorResponse } from '../../src/express/respond.js';
import { createVerifier } from '../../src/index.js';
import { verifyRequestSignature } from '../../src/possession/verify-request.js';
import { createTestAttestationService, type TestAttestationService } from '../../src/testing/index.js';
import { keyCases, memoryNonceStore } from '../possession/helpers.js';

const KEYS = keyCases();
const EC = KEYS[0]!;

let maa: TestAttestationService;
let server: Server;
let origin: string;
const nonceStore = memoryNonceStore();

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The token for an enclave whose runtime data holds `key`, as MAA puts it in `x-ms-runtime.jwk`. */
function tokenFor(key: KeyObject): string {
  return maa.mint({ 'x-ms-runtime': { jwk: key.export({ format: 'jwk' }) } });
}

beforeAll(async () => {
  maa = await createTestAttestationService();
  const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
  // A relying party: verify the token, take the key from its runtime data, demand the request be signed with it.
  server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      try {
        if (req.url === '/redirect') {
          res.writeHead(302, { location: '/elsewhere' }).end();
          return;
        }
        const authorization = req.headers.authorization ?? '';
        const attestation = await verifier.verify(authorization.replace(/^Bearer /, ''));
        const runtime = attestation.claims['x-ms-runtime'] as { jwk: Record<string, string> };
        const runtimeKey = createPublicKey({ key: runtime.jwk, format: 'jwk' });
        // The authority this service is configured to be reached at, not the Host header.
        const authority = new URL(origin).host;
        await verifyRequestSignature({ method: req.method!, url: req.url!, authority, headers: req.headers, body }, runtimeKey, {
          nonceStore,
        });
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ method: req.method, url: req.url, body: body.toString('utf8'), type: req.headers['content-type'] }));
      } catch (error) {
        if (!isAttestationError(error)) throw error;
        const answer = errorResponse(error, { realm: 'attestation', retryAfterSeconds: 30 });
        res
          .writeHead(answer.status, { ...answer.headers, 'content-type': 'application/problem+json' })
          .end(JSON.stringify({ ...answer.body, message: error.message }));
      }
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await maa.close();
});

describe('createAttestedFetch against a real relying party on 127.0.0.1', () => {
  it.each(KEYS)(
    'signs a GET and a JSON POST that the relying party accepts ($name, $algorithm)',
    async ({ privateKey, publicKey, algorithm }) => {
      const fetch = createAttestedFetch({ token: tokenFor(publicKey), privateKey, algorithm });
      const get = await fetch(`${origin}/secrets?scope=read`);
      expect(get.status).toBe(200);
      expect(await get.json()).toMatchObject({ method: 'GET', url: '/secrets?scope=read' });

      const post = await fetch(`${origin}/orders`, {
        method: 'post',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ item: 'x', qty: 2 }),
      });
      expect(post.status).toBe(200);
      expect(await post.json()).toMatchObject({ method: 'POST', body: '{"item":"x","qty":2}', type: 'application/json' });
    },
  );

  it('signs bodies whose bytes fetch produces itself (FormData, URLSearchParams) and an empty query', async () => {
    const fetch = createAttestedFetch({ token: tokenFor(EC.publicKey), privateKey: EC.privateKey });
    const form = new FormData();
    form.set('field', 'value');
    form.set('file', new Blob(['contents']), 'a.txt');
    const multipart = await fetch(`${origin}/upload`, { method: 'POST', body: form });
    expect(multipart.status).toBe(200);
    expect(((await multipart.json()) as { type: string }).type).toMatch(/^multipart\/form-data; boundary=/);
    expect((await fetch(`${origin}/form`, { method: 'PUT', body: new URLSearchParams({ a: '1 2' }) })).status).toBe(200);
    expect((await fetch(`${origin}/empty?`)).status).toBe(200);
    expect((await fetch(new Request(`${origin}/from-request`, { method: 'DELETE' }))).status).toBe(200);
  });

  it('takes the token from a function, so a renewed token is used for later requests', async () => {
    let calls = 0;
    const fetch = createAttestedFetch({
      token: async () => {
        calls++;
        return tokenFor(EC.publicKey);
      },
      privateKey: EC.privateKey,
    });
    expect((await fetch(`${origin}/a`)).status).toBe(200);
    expect((await fetch(`${origin}/b`)).status).toBe(200);
    expect(calls).toBe(2);
  });

  it('is refused with 401 ERR_POSSESSION when a thief presents a stolen token with a key of its own', async () => {
    const thief = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const fetch = createAttestedFetch({ token: tokenFor(EC.publicKey), privateKey: thief.privateKey });
    const response = await fetch(`${origin}/secrets`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error_description="The request is not signed with the attested key"');
    expect(await response.json()).toMatchObject({ code: 'ERR_POSSESSION', message: expect.stringMatching(/does not verify/) });
  });

  it('is refused when the stolen token is sent without any signature', async () => {
    const response = await fetch(`${origin}/secrets`, { headers: { authorization: `Bearer ${tokenFor(EC.publicKey)}` } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'ERR_POSSESSION', message: expect.stringMatching(/no Signature-Input/) });
  });

  it('refuses a captured request replayed as is (nonce), to another path, or with another body', async () => {
    const sent: Array<{ url: string; init: RequestInit }> = [];
    const recording: typeof globalThis.fetch = async (url, init) => {
      sent.push({ url: String(url), init: init! });
      return globalThis.fetch(url, init);
    };
    const fetch = createAttestedFetch({ token: tokenFor(EC.publicKey), privateKey: EC.privateKey, fetch: recording });
    expect((await fetch(`${origin}/transfer?to=alice`, { method: 'POST', body: '{"amount":1}' })).status).toBe(200);
    const captured = sent[0]!;
    const headers = new Headers(captured.init.headers);
    const replay = async (url: string, body: string) => {
      const response = await globalThis.fetch(url, { method: 'POST', headers, body });
      return { status: response.status, ...((await response.json()) as { code: string; message: string }) };
    };
    expect(await replay(captured.url, '{"amount":1}')).toMatchObject({
      status: 401,
      code: 'ERR_POSSESSION',
      message: expect.stringMatching(/nonce has been used/),
    });
    expect(await replay(`${origin}/transfer?to=mallory`, '{"amount":1}')).toMatchObject({
      status: 401,
      message: expect.stringMatching(/does not verify/),
    });
    expect(await replay(`${origin}/admin?to=alice`, '{"amount":1}')).toMatchObject({
      status: 401,
      message: expect.stringMatching(/does not verify/),
    });
    expect(await replay(captured.url, '{"amount":1000}')).toMatchObject({
      status: 401,
      message: expect.stringMatching(/does not match the body/),
    });
  });

  it('does not follow redirects unless asked', async () => {
    const fetch = createAttestedFetch({ token: tokenFor(EC.publicKey), privateKey: EC.privateKey });
    const response = await fetch(`${origin}/redirect`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/elsewhere');
  });

  it('refuses an unusable key or fetch at construction', () => {
    const cases = [
      () => createAttestedFetch({ token: 't', privateKey: EC.publicKey }),
      () => createAttestedFetch({ token: 't', privateKey: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey }),
      () => createAttestedFetch({ token: 't', privateKey: EC.privateKey, algorithm: 'ed25519' }),
      () => createAttestedFetch({ token: 't', privateKey: EC.privateKey, fetch: 42 as never }),
    ];
    for (const create of cases) {
      expect(create).toThrow(AttestationError);
      try {
        create();
      } catch (error) {
        expect((error as AttestationError).code).toBe('ERR_CONFIG_INVALID');
      }
    }
  });
});

describe('signRequest with node:http', () => {
  it('produces headers a plain node:http client can send', async () => {
    const body = Buffer.from('{"hello": "world"}');
    const url = `${origin}/raw?x=1`;
    const headers = signRequest({ method: 'PUT', url, body, token: tokenFor(EC.publicKey), privateKey: EC.privateKey });
    expect(Object.keys(headers).sort()).toEqual(['authorization', 'content-digest', 'signature', 'signature-input']);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        url,
        { method: 'PUT', headers: { ...headers, 'content-type': 'application/json', 'content-length': body.length } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
  });

  it('signs the Authorization header given in headers when no token is passed, and refuses to sign without one', () => {
    const signed = signRequest({
      method: 'GET',
      url: 'https://rp.example.com/',
      headers: { Authorization: 'Bearer abc' },
      privateKey: EC.privateKey,
    });
    expect(signed.authorization).toBe('Bearer abc');
    expect(() => signRequest({ method: 'GET', url: 'https://rp.example.com/', privateKey: EC.privateKey })).toThrow(/needs a token/);
    expect(() => signRequest({ method: 'GET', url: 'https://rp.example.com/', token: 'a b', privateKey: EC.privateKey })).toThrow(
      /bearer token/,
    );
    expect(() => signRequest({ method: 'GET', url: '/relative', token: 'a', privateKey: EC.privateKey })).toThrow(/absolute URL/);
    expect(() => signRequest({ method: 'GET', url: 'ftp://a/', token: 'a', privateKey: EC.privateKey })).toThrow(/http/);
    expect(() => signRequest({ method: 'GET', url: 'https://a/', token: 'a', privateKey: EC.privateKey, keyId: 'ké' })).toThrow(/keyId/);
    expect(() => signRequest({ method: 'GET', url: 'https://a/', token: 'a', privateKey: EC.privateKey, label: 'Sig1' })).toThrow(/label/);
    expect(() => signRequest({ method: 'GET', url: 'https://a/', token: 'a', privateKey: EC.privateKey, now: () => Number.NaN })).toThrow(
      /now\(\)/,
    );
  });

  it('uses the RFC 7638 thumbprint as the default keyid and adds a fresh nonce each time', () => {
    const a = signRequest({ method: 'GET', url: 'https://rp.example.com/', token: 'a', privateKey: EC.privateKey })['signature-input']!;
    const b = signRequest({ method: 'GET', url: 'https://rp.example.com/', token: 'a', privateKey: EC.privateKey })['signature-input']!;
    const thumbprint = /keyid="([A-Za-z0-9_-]{43})"/.exec(a)?.[1];
    expect(thumbprint).toBeDefined();
    expect(b).toContain(`keyid="${thumbprint}"`);
    expect(/nonce="([^"]+)"/.exec(a)?.[1]).not.toBe(/nonce="([^"]+)"/.exec(b)?.[1]);
  });
});

describe('the client entry point', () => {
  it('imports only node: built-ins and its own modules (no express, undici or jose)', () => {
    const seen = new Set<string>();
    const external = new Set<string>();
    const visit = (url: URL) => {
      if (seen.has(url.href)) return;
      seen.add(url.href);
      const source = readFileSync(url, 'utf8');
      for (const [, specifier] of source.matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
        if (specifier!.startsWith('.')) visit(new URL(specifier!.replace(/\.js$/, '.ts'), url));
        else external.add(specifier!);
      }
    };
    visit(new URL('../../src/client/index.ts', import.meta.url));
    expect([...external].every((name) => name.startsWith('node:'))).toBe(true);
    expect(seen.size).toBeGreaterThan(3);
  });
});
