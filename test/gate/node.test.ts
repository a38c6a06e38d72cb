import { describe, expect, it } from 'vitest';
import { createRequestGate, createVerifier, nodeBodyMayFollow, nodeGateRequest } from '../../src/index.js';
import { createTestAttestationService, DEFAULT_MRSIGNER } from '../../src/testing/index.js';

describe('nodeBodyMayFollow: may a body the gate cannot see follow the headers?', () => {
  it.each([
    ['HTTP/1.1 without Content-Length or Transfer-Encoding', 1, {}, undefined, false],
    ['HTTP/1.1 Content-Length: 0', 1, { 'content-length': '0' }, undefined, false],
    ['HTTP/1.1 Content-Length: 00', 1, { 'content-length': '00' }, undefined, false],
    ['HTTP/1.1 Content-Length: 12', 1, { 'content-length': '12' }, undefined, true],
    ['HTTP/1.1 chunked', 1, { 'transfer-encoding': 'chunked' }, undefined, true],
    // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length (Node refuses both unless insecureHTTPParser).
    ['HTTP/1.1 Content-Length: 0 with chunked', 1, { 'content-length': '0', 'transfer-encoding': 'chunked' }, undefined, true],
    ['HTTP/2 without Content-Length, stream open', 2, {}, { endAfterHeaders: false }, true],
    ['HTTP/2 without Content-Length, stream state unknown', 2, {}, undefined, true],
    ['HTTP/2 without Content-Length, END_STREAM with the headers', 2, {}, { endAfterHeaders: true }, false],
    ['HTTP/2 Content-Length: 0', 2, { 'content-length': '0' }, { endAfterHeaders: false }, false],
    ['HTTP/2 Content-Length: 5, even with END_STREAM claimed', 2, { 'content-length': '5' }, { endAfterHeaders: true }, true],
  ] as const)('%s → %s', (_name, httpVersionMajor, headers, stream, expected) => {
    expect(nodeBodyMayFollow({ httpVersionMajor, headers, stream })).toBe(expected);
  });
});

describe('nodeGateRequest', () => {
  it('reads HTTP/2 pseudo-headers for the authority and scheme, and passes headers through uncopied', () => {
    const headers = { ':authority': 'rp.example:8443', ':scheme': 'https', host: 'ignored', authorization: 'Bearer t' };
    const req = { method: 'POST', url: '/x?y=1', headers, httpVersionMajor: 2, stream: { endAfterHeaders: true } };
    const request = nodeGateRequest(req, { target: '/mounted/x?y=1' });
    expect(request).toMatchObject({
      method: 'POST',
      target: '/mounted/x?y=1',
      authority: 'rp.example:8443',
      scheme: 'https',
      bodyMayFollow: false,
      original: req,
    });
    expect(request.headers).toBe(headers);
  });

  it('falls back to Host, req.url and GET for HTTP/1.1', () => {
    expect(nodeGateRequest({ headers: { host: 'rp.example' } })).toMatchObject({
      method: 'GET',
      target: '/',
      authority: 'rp.example',
      scheme: 'http',
      bodyMayFollow: false,
    });
  });
});

describe('nodeGateRequest reads lazily', () => {
  /** A Node request that records which of its members were read. */
  function recordingRequest(members: Record<string, unknown>): { req: Record<string, unknown>; read: Set<string> } {
    const read = new Set<string>();
    const req = new Proxy(members, {
      get(target, name, receiver) {
        if (typeof name === 'string') read.add(name);
        return Reflect.get(target, name, receiver) as unknown;
      },
    });
    return { req, read };
  }

  it('a repeated token reads only the headers, the raw headers and the socket: no method, target, body or protocol', async () => {
    const maa = await createTestAttestationService();
    try {
      const verifier = createVerifier({ issuers: [{ issuer: maa.issuer, jwks: maa.publicJwks() }], allowInsecureLoopback: true });
      const gate = createRequestGate({ verifier, policy: { mrsigner: [DEFAULT_MRSIGNER] } });
      const token = maa.mint();
      const authorization = `Bearer ${token}`;
      const members = {
        method: 'GET',
        url: '/data',
        headers: { host: 'rp.example', authorization },
        rawHeaders: ['Host', 'rp.example', 'Authorization', authorization],
        httpVersionMajor: 1,
        socket: {},
      };
      const first = recordingRequest(members);
      expect((await gate.check(nodeGateRequest(first.req as never, { body: () => expect.fail('the body was read') }))).ok).toBe(true);
      const again = recordingRequest(members);
      const outcome = gate.checkSync(nodeGateRequest(again.req as never, { target: () => expect.fail('the target was read') }));
      expect(outcome?.ok).toBe(true);
      expect([...again.read].sort()).toEqual(['headers', 'rawHeaders', 'socket']);
    } finally {
      await maa.close();
    }
  });

  it('reads a member only when it is asked for, and the callbacks each time', () => {
    let targets = 0;
    const { req, read } = recordingRequest({ method: 'PUT', url: '/x', headers: { host: 'h', 'content-length': '3' } });
    const request = nodeGateRequest(req as never, { target: () => `/t${++targets}`, body: () => new Uint8Array([1]) });
    expect([...read].sort()).toEqual(['headers', 'socket']);
    expect(request.method).toBe('PUT');
    expect(request.target).toBe('/t1');
    expect(request.target).toBe('/t2');
    expect(request.body).toEqual(new Uint8Array([1]));
    expect(request.bodyMayFollow).toBe(true);
    expect(request.original).toBe(req);
  });
});
