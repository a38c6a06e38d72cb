/**
 * What answering new tokens asynchronously changes over HTTP, stated and proved on a real Express server:
 *
 * - A client that half-closes its connection right after its request (`shutdown(SHUT_WR)`, e.g.
 *   `socket.end(request)`) gets no answer for a NEW token from Node's HTTP server as configured by
 *   default: when the FIN arrives before the answer, Node aborts the pending request and ends the socket
 *   (`server.httpAllowHalfOpen` is false), as for any asynchronous handler (jose's WebCrypto included).
 *   The verification itself still completes and is remembered, so the client's retry is a cache hit.
 *   A server that sets `server.httpAllowHalfOpen = true` answers such a client.
 * - A REPEATED token is answered synchronously, half-close or not.
 * - A client that drops its connection mid-verification costs nothing more: no crash, no unhandled
 *   rejection, the server keeps serving, and the result is remembered.
 */
import type { Server } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, requireAttestation, type Verifier } from '../../src/index.js';
import { createTestAttestationService, DEFAULT_MRSIGNER, type TestAttestationService } from '../../src/testing/index.js';

let maa: TestAttestationService;
let verifier: Verifier;
let server: Server;
let port: number;
let coldVerifier: Verifier;
let coldGate: ReturnType<typeof requireAttestation>;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

beforeAll(async () => {
  maa = await createTestAttestationService();
  verifier = createVerifier({ issuers: [{ issuer: maa.issuer, jwks: maa.publicJwks() }], allowInsecureLoopback: true });
  const app = express();
  app.get('/gate', requireAttestation({ verifier, policy: { mrsigner: [DEFAULT_MRSIGNER] } }), (_req, res) => void res.json({ ok: true }));
  // A gate whose verifier has yet to fetch its keys (set per test): its first answer takes milliseconds,
  // so a client's FIN surely arrives before it, however loaded the machine.
  app.get(
    '/gate-cold',
    (req, res, next) => coldGate(req, res, next),
    (_req, res) => void res.json({ ok: true }),
  );
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  port = (server.address() as { port: number }).port;
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await new Promise((resolve) => server.close(resolve));
  await maa.close();
});

type Ending = 'half-close' | 'keep-open' | 'destroy';

/** Sends one request on a raw socket; resolves with what came back before the connection closed. */
function rawRequest(token: string, ending: Ending, path = '/gate'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => socket.destroy(new Error('timed out')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`;
    if (ending === 'half-close') socket.end(request);
    else if (ending === 'keep-open') socket.write(request);
    else socket.write(request, () => socket.destroy());
  });
}

const statusOf = (response: string) => /^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 'no answer';

/** Waits (bounded) until the verifier remembers `token`: the verification finished after the client left. */
async function remembered(token: string, by = verifier): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (by.verifyCached(token) !== undefined) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return false;
}

describe('new tokens are answered asynchronously', () => {
  it('a client that keeps its side open gets its answer', async () => {
    expect(statusOf(await rawRequest(maa.mint(), 'keep-open'))).toBe('200');
  });

  it('a client that half-closes after a NEW token gets no answer from a default Node server, and its retry is a cache hit', async () => {
    coldVerifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
    coldGate = requireAttestation({ verifier: coldVerifier, policy: { mrsigner: [DEFAULT_MRSIGNER] } });
    const token = maa.mint();
    expect(statusOf(await rawRequest(token, 'half-close', '/gate-cold'))).toBe('no answer');
    expect(await remembered(token, coldVerifier)).toBe(true);
    expect(statusOf(await rawRequest(token, 'half-close', '/gate-cold'))).toBe('200');
  });

  it('a client that half-closes after a REPEATED token is answered (the synchronous hit path)', async () => {
    const token = maa.mint();
    expect(statusOf(await rawRequest(token, 'keep-open'))).toBe('200');
    expect(statusOf(await rawRequest(token, 'half-close'))).toBe('200');
  });

  it('with server.httpAllowHalfOpen = true, a half-closing client gets its answer for a new token too', async () => {
    (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    try {
      expect(statusOf(await rawRequest(maa.mint(), 'half-close'))).toBe('200');
    } finally {
      (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = false;
    }
  });

  it('a client that drops its connection mid-verification: no crash, no unhandled rejection, the result is remembered', async () => {
    const tokens = Array.from({ length: 20 }, () => maa.mint());
    await Promise.all(tokens.map((token) => rawRequest(token, 'destroy')));
    for (const token of tokens) expect(await remembered(token)).toBe(true);
    expect(statusOf(await rawRequest(maa.mint(), 'keep-open'))).toBe('200');
    expect(unhandled).toEqual([]);
  });
});
