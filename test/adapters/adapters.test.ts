/** What each adapter does in its own framework's terms, beyond the shared conformance suite. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { createVerifier, type AttestationError, type Verifier } from '../../src/index.js';
import attestationGate, { fastifyAttestation } from '../../src/adapters/fastify.js';
import { createFetchGate } from '../../src/adapters/fetch.js';
import { koaAttestation } from '../../src/adapters/koa.js';
import { requireAttestation } from '../../src/express/middleware.js';
import { createTestAttestationService, DEFAULT_MRSIGNER, type TestAttestationService } from '../../src/testing/index.js';

let maa: TestAttestationService;
let verifier: Verifier;
const policy = { mrsigner: [DEFAULT_MRSIGNER] };

beforeAll(async () => {
  maa = await createTestAttestationService();
  verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
});
afterAll(() => maa.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('attestation-gate/fastify', () => {
  it('decorates request.attestation once; each route has its own policy; unguarded routes see undefined', async () => {
    const app = Fastify();
    await app.register(attestationGate, { verifier, realm: 'fleet' });
    app.get('/open', async (request) => ({ attested: request.attestation !== undefined }));
    app.get('/svn3', { onRequest: app.requireAttestation({ policy: { ...policy, minSvn: 3 } }) }, async (request) => ({
      svn: request.attestation?.sgx?.svn,
    }));
    app.get('/svn5', { preHandler: app.requireAttestation({ policy: { ...policy, minSvn: 5 } }) }, async (request) => ({
      svn: request.attestation?.sgx?.svn,
    }));
    // A child context sees the decoration and the factory (fastify-plugin does not encapsulate them).
    await app.register(async (child) => {
      child.get('/child', { onRequest: child.requireAttestation({ policy }) }, async (request) => ({ svn: request.attestation?.sgx?.svn }));
    });
    await app.ready();
    expect(app.hasRequestDecorator('attestation')).toBe(true);
    const token = maa.mint({ 'x-ms-sgx-svn': 4 });
    expect((await app.inject({ url: '/open', headers: bearer(token) })).json()).toEqual({ attested: false });
    expect((await app.inject({ url: '/svn3', headers: bearer(token) })).json()).toEqual({ svn: 4 });
    expect((await app.inject({ url: '/child', headers: bearer(token) })).json()).toEqual({ svn: 4 });
    const denied = await app.inject({ url: '/svn5', headers: bearer(token) });
    expect(denied.statusCode).toBe(403);
    expect(denied.headers['www-authenticate']).toMatch(/^Bearer realm="fleet", error="insufficient_scope"/);
    expect(denied.json()).toMatchObject({ code: 'ERR_POLICY_DENIED' });
    await app.close();
  });

  it('refuses to register twice, and to build a hook without a policy', async () => {
    const app = Fastify();
    await app.register(attestationGate, { verifier });
    await expect(app.register(attestationGate, { verifier }).ready()).rejects.toThrow();
    const other = Fastify();
    await other.register(attestationGate, { verifier });
    await other.ready();
    expect(() => other.requireAttestation({} as never)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    await other.close();
  });

  it('hands token.from and onRefusal the Fastify request, and never runs the handler on refusal', async () => {
    const app = Fastify();
    const refusals: [string, string][] = [];
    let handled = 0;
    const hook = fastifyAttestation({
      verifier,
      policy,
      token: {
        bearer: false,
        from: (request) =>
          typeof request.query === 'object' && request.query !== null ? (request.query as Record<string, string>).t : undefined,
      },
      onRefusal: (error: AttestationError, request) => void refusals.push([error.code, request.routeOptions.url ?? '']),
    });
    app.get('/data', { onRequest: hook }, async () => {
      handled += 1;
      return { ok: true };
    });
    expect((await app.inject({ url: `/data?t=${maa.mint()}` })).statusCode).toBe(200);
    expect((await app.inject({ url: '/data?t=x.y.z' })).statusCode).toBe(401);
    expect(handled).toBe(1);
    expect(refusals).toEqual([['ERR_TOKEN_MALFORMED', '/data']]);
    await app.close();
  });
});

describe('attestation-gate/koa', () => {
  it('sets ctx.state.attestation, and stops the chain on refusal', async () => {
    const app = new Koa();
    let downstream = 0;
    app.use(koaAttestation({ verifier, policy, realm: 'koa' }));
    app.use((ctx) => {
      downstream += 1;
      ctx.body = { svn: ctx.state.attestation?.sgx?.svn };
    });
    const server = createServer(app.callback()).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(origin, { headers: bearer(maa.mint({ 'x-ms-sgx-svn': 9 })) })).json()).toEqual({ svn: 9 });
      const refused = await fetch(origin);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="koa"');
      expect(downstream).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('is checked at construction', () => {
    expect(() => koaAttestation({ verifier } as never)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    expect(() => koaAttestation({ verifier, policy, onRefusal: 'log' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });
});

describe('attestation-gate/fetch', () => {
  const url = 'http://service.example/data?x=1';

  it('gives the attestation, or a ready Response', async () => {
    const gate = createFetchGate({ verifier, policy });
    const accepted = await gate(new Request(url, { headers: bearer(maa.mint({ 'x-ms-sgx-svn': 6 })) }));
    expect(accepted.ok && accepted.attestation?.sgx?.svn).toBe(6);
    const refused = await gate(new Request(url));
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error.code).toBe('ERR_TOKEN_MISSING');
    expect(refused.response.status).toBe(401);
    expect(refused.response.headers.get('content-type')).toBe('application/problem+json');
    expect(await refused.response.json()).toMatchObject({ code: 'ERR_TOKEN_MISSING', status: 401 });
  });

  it('hands the verifier the connection a server gives it, so a repeated token is recognised on it', async () => {
    const connections: unknown[] = [];
    const watched: Verifier = {
      ...verifier,
      verifyCached: (token, options) => (connections.push(options?.connection), verifier.verifyCached(token, options)),
    };
    const gate = createFetchGate({ verifier: watched, policy });
    const socket = {};
    const token = maa.mint();
    const request = () => new Request('http://127.0.0.1/data', { headers: bearer(token) });
    for (let i = 0; i < 2; i++) expect((await gate(request(), { connection: socket })).ok).toBe(true);
    expect((await gate(request())).ok).toBe(true);
    expect(connections).toEqual([socket, socket, undefined]);
  });

  it('leaves the body for the handler after reading it for possession', async () => {
    const gate = createFetchGate({ verifier, policy, possession: {} });
    const request = new Request(url, { method: 'POST', headers: bearer(maa.mint()), body: 'payload' });
    const outcome = await gate(request);
    // No runtime key in this token: refused for possession, after the body was read from a clone.
    expect(outcome.ok || outcome.error.code).toBe('ERR_POSSESSION');
    expect(await request.text()).toBe('payload');
  });

  it('refuses a request without a token, or with a malformed one, before reading any of its body', async () => {
    const gate = createFetchGate({ verifier, policy, possession: {} });
    for (const headers of [{}, { authorization: 'Bearer a b' }]) {
      let pulled = 0;
      // A queue of none: nothing is pulled until someone reads.
      const body = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            pulled += 1;
            controller.enqueue(new Uint8Array(1024));
          },
        },
        { highWaterMark: 0 },
      );
      const outcome = await gate(new Request(url, { method: 'POST', headers, body, duplex: 'half' } as RequestInit));
      expect(outcome.ok).toBe(false);
      expect(pulled).toBe(0);
    }
  });

  it('refuses a body over possession.maxBodyBytes without reading it all', async () => {
    const gate = createFetchGate({ verifier, policy, possession: { maxBodyBytes: 16 } });
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        if (pulled > 1000) controller.close();
        else controller.enqueue(new Uint8Array(8));
      },
    });
    const outcome = await gate(new Request(url, { method: 'POST', headers: bearer(maa.mint()), body, duplex: 'half' } as RequestInit));
    expect(outcome.ok || outcome.error.code).toBe('ERR_POSSESSION');
    expect(pulled).toBeLessThan(10);
    expect(() => createFetchGate({ verifier, policy, possession: { maxBodyBytes: -1 } })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });

  it('hands token.from the Web Request; repeated Authorization lines are refused', async () => {
    const gate = createFetchGate({
      verifier,
      policy,
      token: { bearer: false, from: (request) => request.headers.get('x-token') ?? undefined },
    });
    expect((await gate(new Request(url, { headers: { 'x-token': maa.mint() } }))).ok).toBe(true);
    const twice = new Headers();
    twice.append('authorization', `Bearer ${maa.mint()}`);
    twice.append('authorization', `Bearer ${maa.mint()}`);
    const plain = createFetchGate({ verifier, policy });
    const outcome = await plain(new Request(url, { headers: twice }));
    expect(outcome.ok || outcome.error.code).toBe('ERR_REQUEST_INVALID');
  });
});

describe('every adapter refuses options the core gate refuses, whatever their shape', () => {
  const adapters = {
    express: (options: object) => requireAttestation(options as never),
    fastify: (options: object) => fastifyAttestation(options as never),
    koa: (options: object) => koaAttestation(options as never),
    fetch: (options: object) => createFetchGate(options as never),
  };
  it.each(Object.keys(adapters))('%s', (name) => {
    const build = adapters[name as keyof typeof adapters];
    for (const wrong of [
      { token: 'x-attestation-token' },
      { token: true },
      { possession: null },
      { possession: true },
      { onRefusal: 'log' },
    ]) {
      expect(() => build({ verifier, policy, ...wrong }), JSON.stringify(wrong)).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
      );
    }
  });
});
