/**
 * One small app per framework, each gating GET and POST /data with the adapter under test and answering
 * `{ svn }` from the attestation it was handed. The conformance suite runs the same requests against all.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import connect from 'connect';
import express from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import rawBody from 'fastify-raw-body';
import { Hono } from 'hono';
import Koa from 'koa';
import Koa2 from 'koa2';
import { requireAttestation, type RequireAttestationOptions, type VerifiedAttestation } from '../../src/index.js';
import attestationGate from '../../src/adapters/fastify.js';
import { createFetchGate, type FetchGateOptions } from '../../src/adapters/fetch.js';
import { koaAttestation, type KoaAttestationOptions } from '../../src/adapters/koa.js';

/** The options every adapter takes alike (no framework-specific callbacks). */
export type CommonOptions = Omit<RequireAttestationOptions, 'token' | 'onRefusal' | 'passErrors' | 'possession'> & {
  readonly token?: { readonly bearer?: boolean; readonly header?: string; readonly cookie?: string; readonly query?: string };
  readonly possession?: Omit<NonNullable<RequireAttestationOptions['possession']>, 'body'>;
};

export interface RunningApp {
  readonly origin: string;
  close(): Promise<void>;
}

export type Framework = (options: CommonOptions) => Promise<RunningApp>;

const answer = (attestation: VerifiedAttestation | undefined) => ({ svn: attestation?.sgx?.svn ?? null });

function listening(server: Server): Promise<RunningApp> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

function expressApp(factory: typeof express): Framework {
  return async (options) => {
    const app = factory();
    const gate = requireAttestation(options);
    app.get('/data', gate, (req, res) => void res.json(answer((req as { attestation?: VerifiedAttestation }).attestation)));
    app.post(
      '/data',
      factory.raw({ type: '*/*' }),
      gate,
      (req, res) => void res.json(answer((req as { attestation?: VerifiedAttestation }).attestation)),
    );
    return listening(createServer(app));
  };
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Connect has no body parser: the raw body is collected into `req.rawBody`, as users do. */
const connectApp: Framework = async (options) => {
  const app = connect();
  app.use((req, _res, next) => {
    if (req.method !== 'POST') return next();
    readAll(req).then((body) => {
      (req as { rawBody?: Buffer }).rawBody = body;
      next();
    }, next);
  });
  app.use('/data', requireAttestation(options));
  app.use('/data', (req: IncomingMessage & { attestation?: VerifiedAttestation }, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer(req.attestation)));
  });
  return listening(createServer(app));
};

const fastifyApp: Framework = async (options) => {
  const app = Fastify();
  await app.register(rawBody, { global: false, encoding: false, runFirst: true });
  await app.register(attestationGate, { verifier: options.verifier });
  const hook = app.requireAttestation(options);
  app.get('/data', { onRequest: hook }, async (request) => answer(request.attestation));
  app.post('/data', { config: { rawBody: true }, preHandler: hook }, async (request) => answer(request.attestation));
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => app.close() };
};

function koaApp(Factory: typeof Koa): Framework {
  return async (options) => {
    const app = new Factory();
    const gate = koaAttestation(options as KoaAttestationOptions);
    // A body parser's job, reduced to what the gate needs: the raw bytes at ctx.request.rawBody.
    app.use(async (ctx, next) => {
      if (ctx.method === 'POST') (ctx.request as { rawBody?: Buffer }).rawBody = await readAll(ctx.req);
      await next();
    });
    app.use(async (ctx, next) => {
      if (ctx.path !== '/data') return next();
      await gate(ctx as never, async () => {
        ctx.body = answer((ctx.state as { attestation?: VerifiedAttestation }).attestation);
      });
    });
    return listening(createServer(app.callback()));
  };
}

/** The Fetch adapter inside Hono, as samples/hono.js uses it. */
const honoApp: Framework = async (options) => {
  const gate = createFetchGate(options as FetchGateOptions);
  const app = new Hono<{ Variables: { attestation: VerifiedAttestation | undefined } }>();
  app.use('/data', async (c, next) => {
    // @hono/node-server hands over Node's request: its socket lets the gate recognise a repeated token.
    const outcome = await gate(c.req.raw, { connection: (c.env as { incoming?: { socket?: object } } | undefined)?.incoming?.socket });
    if (!outcome.ok) return outcome.response;
    c.set('attestation', outcome.attestation);
    await next();
  });
  app.on(['GET', 'POST'], '/data', (c) => c.json(answer(c.get('attestation'))));
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        origin: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            (server as Server).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
};

export const FRAMEWORKS: Record<string, Framework> = {
  'Express 4': expressApp(express4),
  'Express 5': expressApp(express),
  Connect: connectApp,
  'Fastify 5': fastifyApp,
  'Koa 3': koaApp(Koa),
  'Koa 2': koaApp(Koa2),
  'Fetch (Hono)': honoApp,
};
