import { Agent, createServer, get as httpGet, IncomingMessage } from 'node:http';
import connect from 'connect';
import express5 from 'express';
import express4 from 'express4';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createVerifier, getAttestation, requireAttestation, type RequireAttestationOptions, type Verifier } from '../../src/index.js';
import { createTestAttestationService, DEFAULT_MRSIGNER, type TestAttestationService } from '../../src/testing/index.js';

let maa: TestAttestationService;
let verifier: Verifier;
const OTHER_SIGNER = 'ab'.repeat(32);

beforeAll(async () => {
  maa = await createTestAttestationService();
  verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true, fetchTimeoutMs: 500 });
});
afterAll(async () => {
  await maa.close();
});
beforeEach(() => maa.clearFaults());

type Gate = Omit<RequireAttestationOptions, 'verifier'>;
const production = { mrsigner: [DEFAULT_MRSIGNER] };

/** The same app on each framework: /a gated by `gate`, /b by a stricter policy, /open not gated. */
type AppBuilder = (gate: Gate) => Parameters<typeof request>[0];

const express5App: AppBuilder = (gate) => {
  const app = express5();
  app.get('/a', requireAttestation({ verifier, ...gate }), (req, res) => {
    res.json({ mrsigner: getAttestation(req)?.sgx?.mrsigner ?? null });
  });
  app.get('/b', requireAttestation({ verifier, policy: { ...production, minSvn: 5 } }), (_req, res) => {
    res.json({ route: 'b' });
  });
  app.get('/open', (_req, res) => {
    res.json({ open: true });
  });
  return app;
};

const express4App: AppBuilder = (gate) => {
  const app = express4();
  app.get('/a', requireAttestation({ verifier, ...gate }), (req, res) => {
    res.json({ mrsigner: getAttestation(req)?.sgx?.mrsigner ?? null });
  });
  app.get('/b', requireAttestation({ verifier, policy: { ...production, minSvn: 5 } }), (_req, res) => {
    res.json({ route: 'b' });
  });
  return app;
};

const connectApp: AppBuilder = (gate) => {
  const app = connect();
  const json = (res: import('node:http').ServerResponse, body: unknown) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };
  app.use('/a', requireAttestation({ verifier, ...gate }) as connect.NextHandleFunction);
  app.use('/a', (req, res) => json(res, { mrsigner: getAttestation(req)?.sgx?.mrsigner ?? null }));
  app.use('/b', requireAttestation({ verifier, policy: { ...production, minSvn: 5 } }) as connect.NextHandleFunction);
  app.use('/b', (_req, res) => json(res, { route: 'b' }));
  return createServer(app);
};

describe.each([
  ['Express 5', express5App],
  ['Express 4', express4App],
  ['Connect', connectApp],
])('requireAttestation on %s', (_framework, build) => {
  const app = () => build({ policy: production });

  it('lets an allowed enclave through with req.attestation set', async () => {
    const response = await request(app()).get('/a').set('authorization', `Bearer ${maa.mint()}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ mrsigner: DEFAULT_MRSIGNER });
  });

  it('answers 401 without an error attribute when no token is presented', async () => {
    const response = await request(app()).get('/a');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="attestation"');
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      code: 'ERR_TOKEN_MISSING',
      detail: expect.any(String),
    });
  });

  it.each([
    ['an expired token', () => maa.mint({}, { iat: Math.floor(Date.now() / 1000) - 9 * 3600 }), 'ERR_TOKEN_EXPIRED'],
    ['a forged token', () => `${maa.mint().slice(0, -10)}AAAAAAAAAA`, 'ERR_SIGNATURE_INVALID'],
    ['junk', () => 'not.a.token', 'ERR_TOKEN_MALFORMED'],
  ])('answers 401 invalid_token for %s', async (_name, token, code) => {
    const response = await request(app()).get('/a').set('authorization', `Bearer ${token()}`);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(
      /^Bearer realm="attestation", error="invalid_token", error_description="[\x20-\x21\x23-\x5b\x5d-\x7e]+"$/,
    );
    expect(response.body.code).toBe(code);
  });

  it('answers 403 for an authentic token the policy refuses, without revealing expected values', async () => {
    const wrongSigner = await request(app())
      .get('/a')
      .set('authorization', `Bearer ${maa.mint({ 'x-ms-sgx-mrsigner': OTHER_SIGNER })}`);
    expect(wrongSigner.status).toBe(403);
    expect(wrongSigner.body.code).toBe('ERR_POLICY_DENIED');
    expect(wrongSigner.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
    expect(JSON.stringify(wrongSigner.body) + JSON.stringify(wrongSigner.headers)).not.toContain(DEFAULT_MRSIGNER);
    const debug = await request(app())
      .get('/a')
      .set('authorization', `Bearer ${maa.mint({ 'x-ms-sgx-is-debuggable': true })}`);
    expect(debug.status).toBe(403);
  });

  it('applies each route its own policy', async () => {
    const token = maa.mint({ 'x-ms-sgx-svn': 3 });
    expect((await request(app()).get('/a').set('authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await request(app()).get('/b').set('authorization', `Bearer ${token}`)).status).toBe(403);
    expect(
      (
        await request(app())
          .get('/b')
          .set('authorization', `Bearer ${maa.mint({ 'x-ms-sgx-svn': 5 })}`)
      ).status,
    ).toBe(200);
  });

  it('answers 503 with Retry-After when the keys are unavailable', async () => {
    const service = await createTestAttestationService();
    try {
      service.setFault('all', { status: 500 });
      const cold = createVerifier({ issuers: [service.issuer], allowInsecureLoopback: true });
      const gate = requireAttestation({ verifier: cold, policy: production, retryAfterSeconds: 12 });
      const response = await request(createServer((req, res) => gate(req, res, () => res.end('through'))))
        .get('/')
        .set('authorization', `Bearer ${service.mint()}`);
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('12');
      expect(response.body.code).toBe('ERR_METADATA_UNAVAILABLE');
      expect(response.headers['www-authenticate']).toBeUndefined();
    } finally {
      await service.close();
    }
  });

  it('answers 400 invalid_request for a malformed Authorization header', async () => {
    const response = await request(app()).get('/a').set('authorization', 'Bearer two words');
    expect(response.status).toBe(400);
    expect(response.headers['www-authenticate']).toMatch(/error="invalid_request"/);
    expect(response.body.code).toBe('ERR_REQUEST_INVALID');
  });

  it('treats another Authorization scheme as no token', async () => {
    const response = await request(app()).get('/a').set('authorization', 'Basic dXNlcjpwYXNz');
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('ERR_TOKEN_MISSING');
  });

  it('answers 400 when the token is presented in two places', async () => {
    const token = maa.mint();
    const response = await request(build({ policy: production, token: { header: 'x-attestation-token' } }))
      .get('/a')
      .set('authorization', `Bearer ${token}`)
      .set('x-attestation-token', token);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('ERR_REQUEST_INVALID');
  });

  it('with required: false, lets a request without a token through but still refuses a bad one', async () => {
    const lenient = () => build({ policy: production, required: false });
    const without = await request(lenient()).get('/a');
    expect(without.status).toBe(200);
    expect(without.body).toEqual({ mrsigner: null });
    expect((await request(lenient()).get('/a').set('authorization', 'Bearer not.a.token')).status).toBe(401);
  });

  it('reads the token from a named header, a cookie, a function, and the query only when enabled', async () => {
    const token = maa.mint();
    expect(
      (
        await request(build({ policy: production, token: { bearer: false, header: 'x-attestation-token' } }))
          .get('/a')
          .set('x-attestation-token', token)
      ).status,
    ).toBe(200);
    expect(
      (
        await request(build({ policy: production, token: { cookie: 'attestation' } }))
          .get('/a')
          .set('cookie', `theme=dark; attestation=${token}`)
      ).status,
    ).toBe(200);
    expect(
      (
        await request(build({ policy: production, token: { from: (req) => req.headers['x-custom'] as string | undefined } }))
          .get('/a')
          .set('x-custom', token)
      ).status,
    ).toBe(200);
    expect((await request(app()).get(`/a?access_token=${token}`)).status).toBe(401);
    expect((await request(build({ policy: production, token: { query: 'access_token' } })).get(`/a?access_token=${token}`)).status).toBe(
      200,
    );
  });
});

describe('requireAttestation with passErrors', () => {
  it('hands the error to Express, whose default handler answers with its status and headers', async () => {
    const app = express5();
    app.get('/a', requireAttestation({ verifier, policy: production, passErrors: true }), (_req, res) => {
      res.send('through');
    });
    const response = await request(app).get('/a').set('authorization', 'Bearer not.a.token');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('lets a custom error handler read code, status and headers', async () => {
    const app = express4();
    app.get('/a', requireAttestation({ verifier, policy: production, passErrors: true }), (_req, res) => {
      res.send('through');
    });
    app.use(
      (
        error: { code: string; status: number },
        _req: unknown,
        res: { status: (n: number) => { json: (b: unknown) => void } },
        _next: unknown,
      ) => {
        res.status(error.status).json({ custom: error.code });
      },
    );
    const response = await request(app).get('/a');
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ custom: 'ERR_TOKEN_MISSING' });
  });
});

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
])('req.attestation on %s (kept beside the request, read through an accessor)', (_framework, framework) => {
  it("reads, assigns and is found by getAttestation like a property; Node's own prototype is left alone", async () => {
    const app = framework();
    app.get('/a', requireAttestation({ verifier, policy: production }), (request: object, res: { json: (body: unknown) => void }) => {
      const req = request as { attestation?: { sgx?: { mrsigner?: string } } };
      const seen = req.attestation?.sgx?.mrsigner;
      const viaGetter = getAttestation(request) === req.attestation;
      req.attestation = undefined;
      res.json({
        seen,
        viaGetter,
        cleared: req.attestation === undefined && getAttestation(request) === undefined,
        own: Object.keys(req).includes('attestation'),
      });
    });
    for (let i = 0; i < 2; i++) {
      const response = await request(app).get('/a').set('authorization', `Bearer ${maa.mint()}`);
      expect(response.body).toEqual({ seen: DEFAULT_MRSIGNER, viaGetter: true, cleared: true, own: false });
    }
    expect(Object.getOwnPropertyDescriptor(IncomingMessage.prototype, 'attestation')).toBeUndefined();
  });

  it('is still read after the request leaves a mounted sub-app that gated it', async () => {
    const app = framework();
    const sub = framework();
    sub.use(requireAttestation({ verifier, policy: production }));
    app.use('/sub', sub);
    app.get('/sub/a', (req: object, res: { json: (body: unknown) => void }) => {
      res.json({ mrsigner: getAttestation(req)?.sgx?.mrsigner ?? null });
    });
    const response = await request(app).get('/sub/a').set('authorization', `Bearer ${maa.mint()}`);
    expect(response.body).toEqual({ mrsigner: DEFAULT_MRSIGNER });
  });
});

describe('a keep-alive connection (the memo of its last token, rechecked on every request)', () => {
  it("refuses what expired, applies each route's policy and tells tokens apart on one socket", async () => {
    let now = Math.floor(Date.now() / 1000);
    const timed = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true, now: () => now * 1000 });
    const app = express5();
    const ports = new Set<number | undefined>();
    app.use((req, _res, next) => {
      ports.add(req.socket.remotePort);
      next();
    });
    app.get('/a', requireAttestation({ verifier: timed, policy: production }), (req, res) => {
      res.json({ svn: getAttestation(req)?.sgx?.svn });
    });
    app.get('/b', requireAttestation({ verifier: timed, policy: { ...production, minSvn: 5 } }), (req, res) => {
      res.json({ svn: getAttestation(req)?.sgx?.svn });
    });
    const server = createServer(app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string, token: string) =>
      new Promise<{ status: number; body: { svn?: number; code?: string } }>((resolve, reject) => {
        const req = httpGet({ host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { svn?: number; code?: string } }));
        });
        req.on('error', reject);
      });
    try {
      const token = maa.mint({ 'x-ms-sgx-svn': 3, svn: 3 }, { iat: now, lifetimeSeconds: 600 });
      const other = maa.mint({ 'x-ms-sgx-svn': 6, svn: 6 });
      expect(await get('/a', token)).toEqual({ status: 200, body: { svn: 3 } });
      expect(await get('/a', token)).toEqual({ status: 200, body: { svn: 3 } });
      expect((await get('/b', token)).body.code).toBe('ERR_POLICY_DENIED');
      expect(await get('/a', token)).toEqual({ status: 200, body: { svn: 3 } });
      expect(await get('/b', other)).toEqual({ status: 200, body: { svn: 6 } });
      expect(await get('/a', token)).toEqual({ status: 200, body: { svn: 3 } });
      now += 700;
      expect((await get('/a', token)).body.code).toBe('ERR_TOKEN_EXPIRED');
      expect(ports.size).toBe(1);
    } finally {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('requireAttestation construction', () => {
  it('requires a verifier and a policy', () => {
    expect(() => requireAttestation({ verifier } as unknown as RequireAttestationOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
    expect(() => requireAttestation({ policy: production } as unknown as RequireAttestationOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });

  it('refuses an invalid policy at construction, not per request', () => {
    expect(() => requireAttestation({ verifier, policy: { mrsigner: ['xyz'] } })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
    expect(() => requireAttestation({ verifier, policy: { minSvn: 1 } })).toThrow(/identity/);
  });

  it('refuses a policy whose authorities the verifier does not trust', () => {
    expect(() => requireAttestation({ verifier, policy: { authority: 'https://other.wus.attest.azure.net', ...production } })).toThrow(
      /does not trust/,
    );
  });

  it('refuses a realm that is not token68 at construction, so it can never reach a header', () => {
    for (const realm of ['x", error="injected\r\nX-Evil: 1', '', 'two words', 123, 'a'.repeat(257), 'é']) {
      expect(() => requireAttestation({ verifier, policy: production, realm: realm as string })).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
      );
    }
  });
});
