/**
 * Item 2 of the possession hardening: a request that may carry a body the gate cannot see is refused, on
 * every HTTP version. The attack: sign a POST without a body (so no content-digest is covered), then send
 * it with a body — over HTTP/2 (which needs neither Content-Length nor Transfer-Encoding) and over
 * HTTP/1.1 chunked — and see whether the handler gets to act on the unsigned body.
 */
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { connect as http2Connect, createServer as createHttp2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import connect from 'connect';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/client/index.js';
import { requireAttestation } from '../../src/index.js';
import { DEFAULT_MRSIGNER } from '../../src/testing/index.js';
import { enclave, useLocalMaa } from '../gate/helpers.js';

const local = useLocalMaa();
const policy = { mrsigner: [DEFAULT_MRSIGNER] };

/** Reads whatever body arrives: what a handler acting on the request would see. */
function readBody(req: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function listening<T extends Server | Http2Server>(server: T): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

interface Http2Answer {
  readonly status: number;
  readonly body: string;
}

function http2Request(
  authority: string,
  headers: Record<string, string>,
  body?: string,
  endStream = body === undefined,
): Promise<Http2Answer> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`http://${authority}`);
    session.on('error', reject);
    const stream = session.request(headers, { endStream });
    stream.setTimeout(5000, () => stream.close());
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on('response', (response) => (status = Number(response[':status'])));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      session.close();
      resolve({ status, body: Buffer.concat(chunks).toString('utf8') });
    });
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
    else if (!endStream) stream.end();
  });
}

describe('HTTP/2 with Connect: bodies the gate cannot see', () => {
  let server: Http2Server;
  let authority: string;
  let acted: string[];
  beforeAll(async () => {
    acted = [];
    const app = connect();
    const gate = requireAttestation({ verifier: local.verifier, policy, possession: {} }) as connect.NextHandleFunction;
    app.use('/unread', gate);
    app.use('/unread', (req, res) => {
      void readBody(req).then((body) => {
        acted.push(body);
        res.end(JSON.stringify({ acted: body }));
      });
    });
    // The application captures the raw body before the gate, as the README says to.
    app.use('/captured', (req, _res, next) => {
      void readBody(req).then((body) => {
        (req as { rawBody?: Buffer }).rawBody = Buffer.from(body);
        next();
      });
    });
    app.use('/captured', gate);
    app.use('/captured', (req, res) => res.end(JSON.stringify({ acted: (req as { rawBody?: Buffer }).rawBody?.toString() })));
    server = createHttp2Server(app as unknown as Parameters<typeof createHttp2Server>[0]);
    authority = await listening(server);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function signedHeaders(path: string, method: string, body?: string): Record<string, string> {
    const { privateKey, token } = enclave(local.maa);
    return {
      ':method': method,
      ':path': path,
      ...signRequest({ method, url: `http://${authority}${path}`, privateKey, token, ...(body === undefined ? {} : { body }) }),
    };
  }

  it('refuses a POST signed without a body and sent with one, without Content-Length (the attack)', async () => {
    const answer = await http2Request(authority, signedHeaders('/unread', 'POST'), '{"transfer":"everything"}');
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'ERR_POSSESSION' });
    expect(acted).toEqual([]);
  });

  it('refuses a signed POST whose stream stays open, even if no body ever comes', async () => {
    const answer = await http2Request(authority, signedHeaders('/unread', 'POST'), undefined, false);
    expect(answer.status).toBe(401);
    expect(acted).toEqual([]);
  });

  it('accepts a signed request whose stream ended with its headers (END_STREAM: no body)', async () => {
    const answer = await http2Request(authority, signedHeaders('/unread', 'GET'));
    expect(answer.status).toBe(200);
    expect(acted).toEqual(['']);
  });

  it('accepts a body captured before the gate and covered by content-digest, and refuses a body swapped after signing', async () => {
    const body = '{"transfer":"ten"}';
    expect(await http2Request(authority, signedHeaders('/captured', 'POST', body), body)).toMatchObject({
      status: 200,
      body: JSON.stringify({ acted: body }),
    });
    const swapped = await http2Request(authority, signedHeaders('/captured', 'POST', body), '{"transfer":"all"}');
    expect(swapped.status).toBe(401);
  });
});

describe('HTTP/1.1 chunked with Express: bodies the gate cannot see', () => {
  let server: Server;
  let authority: string;
  const acted: string[] = [];
  beforeAll(async () => {
    const app = express();
    const gate = requireAttestation({ verifier: local.verifier, policy, possession: {} });
    app.post('/unread', gate, (req, res) => {
      void readBody(req).then((body) => {
        acted.push(body);
        res.json({ acted: body });
      });
    });
    app.post('/captured', express.raw({ type: '*/*' }), gate, (req, res) => {
      res.json({ acted: (req.body as Buffer).toString() });
    });
    server = createHttpServer(app);
    authority = await listening(server);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function post(path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const [host, port] = authority.split(':');
      const req = httpRequest(
        {
          host,
          port: Number(port),
          path,
          method: 'POST',
          headers: { ...headers, 'transfer-encoding': 'chunked', 'content-type': 'application/json' },
        },
        (res) => {
          void readBody(res).then((text) => resolve({ status: res.statusCode ?? 0, body: text }), reject);
        },
      );
      req.on('error', reject);
      req.setTimeout(5000, () => req.destroy(new Error('timed out')));
      req.write(body.slice(0, 5));
      req.end(body.slice(5));
    });
  }

  it('refuses a POST signed without a body and sent chunked with one (the attack)', async () => {
    const { privateKey, token } = enclave(local.maa);
    const answer = await post(
      '/unread',
      signRequest({ method: 'POST', url: `http://${authority}/unread`, privateKey, token }),
      '{"transfer":"everything"}',
    );
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'ERR_POSSESSION' });
    expect(acted).toEqual([]);
  });

  it('accepts a chunked body captured by express.raw and covered by content-digest', async () => {
    const { privateKey, token } = enclave(local.maa);
    const body = '{"transfer":"ten"}';
    const answer = await post(
      '/captured',
      signRequest({ method: 'POST', url: `http://${authority}/captured`, privateKey, token, body }),
      body,
    );
    expect(answer).toMatchObject({ status: 200, body: JSON.stringify({ acted: body }) });
  });
});
