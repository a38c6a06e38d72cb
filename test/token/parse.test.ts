import { describe, expect, it } from 'vitest';
import { decodeBase64UrlStrict, isCanonicalBase64Url } from '../../src/token/base64url.js';
import { parseCompactJws, signingInputForNow, signingInputOf, splitCompactJws } from '../../src/token/parse.js';
import { ACCEPTED, outcome } from '../helpers/outcome.js';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const token = (header: unknown = { alg: 'RS256', kid: 'k' }, payload: unknown = { iss: 'x' }, signature = 'c2ln') =>
  `${b64(header)}.${b64(payload)}.${signature}`;

const codeOf = (input: unknown, max?: number): string => outcome(() => parseCompactJws(input, max));

describe('parseCompactJws: the token is a compact JWS with JSON-object header and payload', () => {
  it('parses a well-formed token and keeps the signed bytes', () => {
    const text = token();
    const parsed = parseCompactJws(text);
    expect(parsed.header).toEqual({ alg: 'RS256', kid: 'k' });
    expect(parsed.payload).toEqual({ iss: 'x' });
    expect(parsed.signingInput.toString()).toBe(text.slice(0, text.lastIndexOf('.')));
    expect(parsed.signature.toString()).toBe('sig');
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['the empty string', ''],
  ])('refuses %s as missing', (_name, input) => {
    expect(codeOf(input)).toBe('ERR_TOKEN_MISSING');
  });

  it.each([
    ['a number', 42],
    ['an object', { token: 'x' }],
    ['a Buffer', Buffer.from(token())],
    ['an array', [token()]],
  ])('refuses %s: only strings are tokens', (_name, input) => {
    expect(codeOf(input)).toBe('ERR_TOKEN_MALFORMED');
  });

  it('refuses a token over maxTokenBytes before decoding anything', () => {
    const text = token({ alg: 'RS256' }, { pad: 'x'.repeat(2000) });
    expect(codeOf(text, 1000)).toBe('ERR_TOKEN_TOO_LARGE');
    expect(codeOf(text, 10_000)).toBe(ACCEPTED);
  });

  it.each([
    ['two segments', () => token().split('.').slice(0, 2).join('.')],
    ['four segments', () => `${token()}.x`],
    ['five segments (JWE)', () => `${token()}.a.b`],
    ['a trailing dot', () => `${token()}.`],
    ['an empty header', () => `.${b64({ a: 1 })}.c2ln`],
    ['an empty payload', () => `${b64({ alg: 'RS256' })}..c2ln`],
    ['padding', () => `${Buffer.from(JSON.stringify({ alg: 'RS256', k: 'x' })).toString('base64')}.${b64({})}.c2ln`],
    ['standard base64 characters', () => token({ alg: 'RS256', x: '>>>???' }).replace(/-/g, '+').replace(/_/g, '/')],
    ['whitespace', () => token().replace('.', ' .')],
    ['a line break', () => token().replace('.', '\n.')],
    ['non-ASCII characters', () => `${token()}é`],
    ['non-canonical trailing bits', () => `${b64({ alg: 'RS256' })}.${b64({})}.QR`],
    ['a header that is not JSON', () => `${b64('{"alg":')}.${b64({})}.c2ln`],
    ['a header that is an array', () => token(['RS256'])],
    ['a header that is null', () => token(null)],
    ['a header that is a number', () => token(7)],
    ['a payload that is a string', () => token(undefined, 'iss')],
    [
      'a payload that is not UTF-8',
      () => `${b64({ alg: 'RS256' })}.${Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString('base64url')}.c2ln`,
    ],
    [
      'a payload with a byte-order mark',
      () => `${b64({ alg: 'RS256' })}.${Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]).toString('base64url')}.c2ln`,
    ],
  ])('refuses %s', (_name, make) => {
    expect(codeOf(make())).toBe('ERR_TOKEN_MALFORMED');
  });

  it('accepts an empty signature segment at this step (alg none is refused by the header check)', () => {
    expect(parseCompactJws(`${b64({ alg: 'none' })}.${b64({})}.`).signature.length).toBe(0);
  });

  it('keeps __proto__ as data: it never becomes the prototype', () => {
    const parsed = parseCompactJws(`${b64('{"alg":"RS256","__proto__":{"kid":"evil"}}')}.${b64('{"__proto__":{"x-ms-sgx-svn":9}}')}.c2ln`);
    expect(Object.getPrototypeOf(parsed.payload)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed.payload, '__proto__')).toBe(true);
    expect((parsed.payload as Record<string, unknown>)['x-ms-sgx-svn']).toBeUndefined();
    expect((parsed.header as Record<string, unknown>)['kid']).toBeUndefined();
  });

  it('takes the lexically last of duplicate member names, as RFC 7515 §4 allows', () => {
    const parsed = parseCompactJws(`${b64('{"alg":"none","alg":"RS256"}')}.${b64('{}')}.c2ln`);
    expect(parsed.header['alg']).toBe('RS256');
  });

  it('survives deeply nested JSON within the size cap', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    expect(codeOf(`${b64({ alg: 'RS256' })}.${b64(`{"a":${deep}}`)}.c2ln`, 64 * 1024)).toBe(ACCEPTED);
    expect(codeOf(`${b64(deep)}.${b64({})}.c2ln`, 64 * 1024)).toBe('ERR_TOKEN_MALFORMED');
  });
});

describe('decodeBase64UrlStrict', () => {
  it('round-trips every length', () => {
    for (let length = 0; length < 40; length++) {
      const bytes = Buffer.alloc(length, length);
      expect(decodeBase64UrlStrict(bytes.toString('base64url'))).toEqual(bytes);
    }
  });

  // Each of these Node's decoder accepts in some form: it skips unknown characters and padding, reads
  // `+` and `/` as `-` and `_`, and reads a character above U+00FF by its low byte (U+0141 as `A`).
  it.each([
    'A',
    'AB=',
    'AB+/',
    'A B',
    'QR',
    'AAAAA',
    'QUJD\n',
    'QU=D',
    'QU D',
    'QU%D',
    'QUJDRA==',
    'QU\u0141D',
    'QUJ\u0141',
    'QU\u00c1D',
    '\u0141\u0141\u0141\u0141',
  ])('refuses %j', (segment) => {
    expect(decodeBase64UrlStrict(segment)).toBeUndefined();
    expect(isCanonicalBase64Url(segment)).toBe(false);
  });

  it('agrees with the canonical check on every accepted string, with or without the caller vouching for ASCII', () => {
    for (let length = 0; length < 40; length++) {
      const text = Buffer.alloc(length, 0xa5 ^ length).toString('base64url');
      expect(isCanonicalBase64Url(text)).toBe(true);
      expect(decodeBase64UrlStrict(text, true)).toEqual(decodeBase64UrlStrict(text));
    }
  });
});

describe('non-ASCII tokens', () => {
  // U+0141 would decode as "A" were it read by its low byte, leaving the bytes (and a signature over
  // them) unchanged: every segment must refuse it, and in segment order.
  it.each([
    ['the header', (t: string) => `${t.slice(0, 4)}\u0141${t.slice(5)}`, 'header'],
    [
      'the payload',
      (t: string) => {
        const dot = t.indexOf('.') + 5;
        return `${t.slice(0, dot)}\u0141${t.slice(dot + 1)}`;
      },
      'payload',
    ],
    ['the signature', (t: string) => `${t.slice(0, -2)}\u0141A`, 'signature'],
  ])('a character above U+007F in %s is refused as not canonical base64url', (_name, edit, part) => {
    const edited = edit(token({ alg: 'RS256', kid: 'k' }, { iss: 'x', pad: 'abcdefgh' }, 'c2lnbmF0dXJl'));
    expect(() => parseCompactJws(edited)).toThrow(new RegExp(`token ${part} is not canonical base64url`));
  });

  it('signs over exactly the ASCII bytes of header and payload', () => {
    const text = token();
    const signed = Buffer.from(text.slice(0, text.lastIndexOf('.')), 'ascii');
    expect(parseCompactJws(text).signingInput.equals(signed)).toBe(true);
    const segments = splitCompactJws(text);
    expect(signingInputOf(segments).equals(signed)).toBe(true);
    expect(signingInputForNow(segments).equals(signed)).toBe(true);
  });
});

describe('reused buffers', () => {
  it('gives a check on another thread a buffer of its own, and a synchronous check a view the next call overwrites', () => {
    const first = splitCompactJws(token({ alg: 'RS256', kid: 'a' }, { iss: 'first' }, 'c2ln'));
    const second = splitCompactJws(token({ alg: 'RS256', kid: 'b' }, { iss: 'second' }, 'c2ln'));
    const own = signingInputOf(first);
    const now = signingInputForNow(first);
    const copy = Buffer.from(now);
    signingInputForNow(second);
    expect(own.equals(copy)).toBe(true);
    expect(now.equals(copy)).toBe(false);
    const another = signingInputOf(first);
    another[0] = 0;
    expect(own.equals(copy)).toBe(true);
  });

  it('decodes segments larger than the reused buffer, and parses each on its own', () => {
    const big = { iss: 'x', pad: 'p'.repeat(20_000) };
    const parsed = parseCompactJws(token({ alg: 'RS256', kid: 'k' }, big, 'c2ln'), 64 * 1024);
    expect(parsed.payload).toEqual(big);
    const small = parseCompactJws(token({ alg: 'RS256', kid: 'k' }, { iss: 'y' }, 'c2ln'));
    expect(small.payload).toEqual({ iss: 'y' });
    expect(parsed.payload).toEqual(big);
  });
});
