import { describe, expect, it } from 'vitest';
import { nodeBodyMayFollow, nodeGateRequest } from '../../src/index.js';

describe('nodeBodyMayFollow: may a body the gate cannot see follow the headers?', () => {
  it.each([
    ['HTTP/1.1 without Content-Length or Transfer-Encoding', 1, {}, undefined, false],
    ['HTTP/1.1 Content-Length: 0', 1, { 'content-length': '0' }, undefined, false],
    ['HTTP/1.1 Content-Length: 00', 1, { 'content-length': '00' }, undefined, false],
    ['HTTP/1.1 Content-Length: 12', 1, { 'content-length': '12' }, undefined, true],
    ['HTTP/1.1 chunked', 1, { 'transfer-encoding': 'chunked' }, undefined, true],
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
