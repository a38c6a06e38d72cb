import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signRequest } from '../../src/client/index.js';
import {
  buildSignatureBase,
  componentValue,
  parseSignature,
  parseSignatureInput,
  serializeSignatureParams,
  splitRequestTarget,
  type MessageComponents,
} from '../../src/possession/signature-base.js';
import { outcome } from '../helpers/outcome.js';

const code = outcome;

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln';

describe('buildSignatureBase: known answers', () => {
  // Hand-written from RFC 9421 §2.5: one `"<component>": <value>` line per covered component in covered
  // order, LF-separated, no trailing newline; the last line is `"@signature-params": ` followed by the
  // inner list and the parameters in the order the signer wrote them. The digest is RFC 9530's sha-256
  // example for the same body.
  const EXPECTED = [
    '"@method": POST',
    '"@authority": rp.example.com',
    '"@path": /secrets',
    '"@query": ?scope=read&x=%2F',
    `"authorization": Bearer ${TOKEN}`,
    '"content-digest": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
    '"@signature-params": ("@method" "@authority" "@path" "@query" "authorization" "content-digest");created=1700000000;keyid="HCLAkPub";alg="ed25519"',
  ].join('\n');
  const message: MessageComponents = {
    method: 'POST',
    authority: 'RP.example.com',
    path: '/secrets',
    query: '?scope=read&x=%2F',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-digest': 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:' },
  };

  it('builds the exact base for a signed POST', () => {
    const base = buildSignatureBase(message, {
      components: ['@method', '@authority', '@path', '@query', 'authorization', 'content-digest'],
      parameters: [
        ['created', 1_700_000_000],
        ['keyid', 'HCLAkPub'],
        ['alg', 'ed25519'],
      ],
    });
    expect(base).toBe(EXPECTED);
  });

  it('is exactly what signRequest signs (Ed25519 is deterministic, so the signatures must be equal)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const headers = signRequest({
      method: 'post',
      url: 'https://RP.example.com:443/secrets?scope=read&x=%2F#fragment',
      body: '{"hello": "world"}',
      token: TOKEN,
      privateKey,
      keyId: 'HCLAkPub',
      nonce: false,
      now: () => 1_700_000_000_999,
    });
    expect(headers).toEqual({
      authorization: `Bearer ${TOKEN}`,
      'content-digest': 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
      'signature-input':
        'sig1=("@method" "@authority" "@path" "@query" "authorization" "content-digest");created=1700000000;keyid="HCLAkPub";alg="ed25519"',
      signature: `sig1=:${sign(null, Buffer.from(EXPECTED), privateKey).toString('base64')}:`,
    });
    expect(verify(null, Buffer.from(EXPECTED), publicKey, parseSignature(headers.signature!, 'sig1', true))).toBe(true);
  });

  it('reproduces RFC 9421 B.2.6 (ed25519) byte for byte: base and signature', () => {
    // Appendix B.1.4 test-key-ed25519 and B.2.6's request, Signature-Input and Signature.
    const privateKey = createPrivateKey(
      '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n',
    );
    const publicKey = createPublicKey(
      '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n',
    );
    const input = parseSignatureInput(
      'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
    );
    expect(input).toMatchObject({ label: 'sig-b26', created: 1618884473, keyid: 'test-key-ed25519' });
    const base = buildSignatureBase(
      {
        method: 'POST',
        authority: 'example.com',
        ...splitRequestTarget('/foo?param=Value&Pet=dog'),
        headers: {
          host: 'example.com',
          date: 'Tue, 20 Apr 2021 02:07:55 GMT',
          'content-type': 'application/json',
          'content-digest': 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
          'content-length': '18',
        },
      },
      input,
    );
    expect(base).toBe(
      [
        '"date": Tue, 20 Apr 2021 02:07:55 GMT',
        '"@method": POST',
        '"@path": /foo',
        '"@authority": example.com',
        '"content-type": application/json',
        '"content-length": 18',
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
      ].join('\n'),
    );
    const expected = parseSignature(
      'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:',
      'sig-b26',
      true,
    );
    expect(sign(null, Buffer.from(base), privateKey)).toEqual(expected);
    expect(verify(null, Buffer.from(base), publicKey, expected)).toBe(true);
  });

  it('builds a GET without a query with a lone "?" (RFC 9421 §2.2.7)', () => {
    const base = buildSignatureBase(
      { method: 'GET', authority: 'rp.example.com', ...splitRequestTarget('/'), headers: { authorization: 'Bearer x' } },
      {
        components: ['@method', '@path', '@query'],
        parameters: [
          ['created', 1],
          ['nonce', 'n"\\'],
        ],
      },
    );
    expect(base).toBe(
      '"@method": GET\n"@path": /\n"@query": ?\n"@signature-params": ("@method" "@path" "@query");created=1;nonce="n\\"\\\\"',
    );
  });
});

describe('component values', () => {
  const message = (headers: MessageComponents['headers']): MessageComponents => ({
    method: 'GET',
    authority: 'a',
    path: '/',
    query: '?',
    headers,
  });

  it('trims each field line and joins several with ", " (RFC 9421 §2.1 examples)', () => {
    expect(componentValue(message({ 'cache-control': ['max-age=60', '   must-revalidate'] }), 'cache-control')).toBe(
      'max-age=60, must-revalidate',
    );
    expect(componentValue(message({ 'x-ows-header': '   Leading and trailing whitespace.   ' }), 'x-ows-header')).toBe(
      'Leading and trailing whitespace.',
    );
    expect(componentValue(message({ 'example-dict': ' a=1,    b=2;x=1;y=2,   c=(a   b   c)' }), 'example-dict')).toBe(
      'a=1,    b=2;x=1;y=2,   c=(a   b   c)',
    );
    expect(componentValue(message({ 'x-empty-header': '' }), 'x-empty-header')).toBe('');
  });

  it('finds headers whatever the case of their name, and combines differently-cased duplicates', () => {
    expect(componentValue(message({ Authorization: 'Bearer x' }), 'authorization')).toBe('Bearer x');
    expect(componentValue(message({ 'X-A': '1', 'x-a': '2' }), 'x-a')).toBe('1, 2');
  });

  it('lower-cases the authority and keeps the method as sent', () => {
    expect(componentValue({ ...message({}), authority: 'RP.Example.COM:8443' }, '@authority')).toBe('rp.example.com:8443');
    expect(componentValue({ ...message({}), method: 'patch' }, '@method')).toBe('patch');
  });

  it.each([
    ['a missing header', message({}), 'x-missing'],
    ['a header with CR LF', message({ 'x-a': 'a\r\n"@method": POST' }), 'x-a'],
    ['a header with non-ASCII', message({ 'x-a': 'café' }), 'x-a'],
    ['a method with a space', { ...message({}), method: 'GET /' }, '@method'],
    ['an authority with a slash', { ...message({}), authority: 'a/b' }, '@authority'],
    ['an empty authority', { ...message({}), authority: '' }, '@authority'],
    ['a path with a space', { ...message({}), path: '/a b' }, '@path'],
    ['a path with a "?"', { ...message({}), path: '/a?b' }, '@path'],
    ['a query without "?"', { ...message({}), query: 'a=b' }, '@query'],
    ['an unsupported derived component', message({}), '@target-uri'],
    ['a component name in upper case', message({ 'X-A': '1' }), 'X-A'],
  ])('refuses %s', (_name, candidate, component) => {
    expect(code(() => componentValue(candidate, component))).toBe('ERR_POSSESSION');
  });

  it('splits origin-form targets and refuses the others', () => {
    expect(splitRequestTarget('/a/b?c=d?e')).toEqual({ path: '/a/b', query: '?c=d?e' });
    expect(splitRequestTarget('/a?')).toEqual({ path: '/a', query: '?' });
    expect(splitRequestTarget('/')).toEqual({ path: '/', query: '?' });
    for (const target of ['', '*', 'http://a/b', 'a/b', '/a#b']) expect(code(() => splitRequestTarget(target))).toBe('ERR_POSSESSION');
  });
});

describe('parseSignatureInput and parseSignature', () => {
  it('keeps the parameters in the order written and serializes them back identically', () => {
    const field =
      'sig1=("@method" "authorization");alg="rsa-pss-sha512";nonce="n-1";created=1618884475;keyid="k";expires=1618884775;tag="t"';
    const input = parseSignatureInput(field);
    expect(input.parameters.map(([name]) => name)).toEqual(['alg', 'nonce', 'created', 'keyid', 'expires', 'tag']);
    expect(`sig1=${serializeSignatureParams(input)}`).toBe(field);
  });

  it('accepts spaces around the whole field and between members, which joining field lines produces', () => {
    expect(parseSignatureInput('  a=("@method");created=1 ,\tsig1=("@path");created=2  ', 'sig1').created).toBe(2);
  });

  it('picks the configured label, and refuses several signatures without one', () => {
    const field = 'a=("@method");created=1, b=("@path");created=2';
    expect(parseSignatureInput(field, 'b').components).toEqual(['@path']);
    expect(code(() => parseSignatureInput(field))).toBe('ERR_POSSESSION');
    expect(code(() => parseSignatureInput(field, 'c'))).toBe('ERR_POSSESSION');
    expect(parseSignature('a=:AAAA:, b=:AQID:', 'b', false)).toEqual(Buffer.from([1, 2, 3]));
    expect(code(() => parseSignature('a=:AAAA:, b=:AQID:', 'b', true))).toBe('ERR_POSSESSION');
  });
});
