import { describe, expect, it } from 'vitest';
import { checkJku, judgeHeader, KnownHeaders, MAX_KID_LENGTH, MAX_KNOWN_HEADERS, validateHeader } from '../../src/token/header.js';
import { ACCEPTED, outcome } from '../helpers/outcome.js';

const RS256_ONLY = new Set(['RS256']);
const valid = { alg: 'RS256', jku: 'https://a.attest.azure.net/certs', kid: 'XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=', typ: 'JWT' };

const codeOf = (header: Record<string, unknown>, allowed = RS256_ONLY): string => outcome(() => validateHeader(header, allowed));

describe('validateHeader: algorithm allowlist', () => {
  it("accepts MAA's header", () => {
    expect(validateHeader(valid, RS256_ONLY)).toEqual({ alg: 'RS256', kid: valid.kid, jku: valid.jku });
  });

  it.each([['none'], ['None'], ['NONE'], [''], ['HS256'], ['PS256'], ['RS512'], ['ES256'], [null], [256], [['RS256']]])(
    'refuses alg %j',
    (alg) => {
      expect(codeOf({ ...valid, alg })).toBe('ERR_ALG_NOT_ALLOWED');
    },
  );

  it('refuses a missing alg', () => {
    const { alg: _alg, ...rest } = valid;
    expect(codeOf(rest)).toBe('ERR_ALG_NOT_ALLOWED');
  });

  it('accepts another RSA algorithm only when configured', () => {
    expect(codeOf({ ...valid, alg: 'PS256' }, new Set(['RS256', 'PS256']))).toBe(ACCEPTED);
  });
});

describe('validateHeader: kid, typ, crit', () => {
  it.each([[undefined], [''], [42], [null], [{}], ['k'.repeat(257)]])('refuses kid %j', (kid) => {
    expect(codeOf({ ...valid, kid })).toBe('ERR_HEADER_INVALID');
  });

  it('accepts a path-like kid as an opaque string (it is only ever a map key)', () => {
    expect(codeOf({ ...valid, kid: '../../etc/passwd' })).toBe(ACCEPTED);
  });

  it.each([['jwt'], ['JWT'], [undefined]])('accepts typ %j', (typ) => {
    expect(codeOf({ ...valid, typ })).toBe(ACCEPTED);
  });

  it.each([['at+jwt'], ['JOSE'], [''], [1]])('refuses typ %j', (typ) => {
    expect(codeOf({ ...valid, typ })).toBe('ERR_HEADER_INVALID');
  });

  it.each([[['exp']], [[]], ['b64']])('refuses crit %j', (crit) => {
    expect(codeOf({ ...valid, crit })).toBe('ERR_HEADER_INVALID');
  });
});

describe('validateHeader: key material in the token is refused', () => {
  it.each([
    ['jwk', { kty: 'RSA', n: 'AQAB', e: 'AQAB' }],
    ['x5c', ['MIIB']],
    ['x5u', 'https://attacker.example/cert.pem'],
  ])('refuses a header carrying %s', (name, value) => {
    expect(codeOf({ ...valid, [name]: value })).toBe('ERR_HEADER_INVALID');
  });

  it('refuses a jku that is not a string', () => {
    expect(codeOf({ ...valid, jku: ['https://a.attest.azure.net/certs'] })).toBe('ERR_HEADER_INVALID');
  });
});

describe('checkJku: jku may only repeat <iss>/certs', () => {
  const issuer = 'https://a.attest.azure.net';
  it('accepts an absent jku and the exact issuer endpoint', () => {
    expect(() => checkJku(undefined, issuer)).not.toThrow();
    expect(() => checkJku(`${issuer}/certs`, issuer)).not.toThrow();
  });

  it.each([
    'https://attacker.example/certs',
    'https://a.attest.azure.net/certs/',
    'https://A.attest.azure.net/certs',
    'http://a.attest.azure.net/certs',
    'https://user@a.attest.azure.net/certs',
    'https://a.attest.azure.net.attacker.example/certs',
    'https://a.attest.azure.net/keys',
  ])('refuses %s', (jku) => {
    expect(() => checkJku(jku, issuer)).toThrow(expect.objectContaining({ code: 'ERR_HEADER_INVALID' }));
  });
});

describe('KnownHeaders: verified headers remembered by their text', () => {
  it('answers for the exact text only, and stays within its bound', () => {
    const known = new KnownHeaders();
    const entry = { header: valid, ...validateHeader(valid, RS256_ONLY) };
    known.remember('eyJhbGciOiJSUzI1NiJ9', entry);
    expect(known.get('eyJhbGciOiJSUzI1NiJ9')).toBe(entry);
    expect(known.get('eyJhbGciOiJSUzI1NiJ8')).toBeUndefined();
    for (let i = 0; i < MAX_KNOWN_HEADERS + 10; i++) known.remember(`header-${i}`, entry);
    expect(known.get('eyJhbGciOiJSUzI1NiJ9')).toBeUndefined();
    expect(known.get(`header-${MAX_KNOWN_HEADERS + 9}`)).toBe(entry);
  });
});

describe('judgeHeader: every rule reported, by name', () => {
  function findings(header: Record<string, unknown>, allowed = RS256_ONLY): [string, string, string | undefined][] {
    const found: [string, string, string | undefined][] = [];
    judgeHeader(header, allowed, (rule, refusal) => void found.push([rule, refusal.code, refusal.why]));
    return found;
  }

  it('lists each failed rule in order, where validateHeader throws the first', () => {
    const header = { alg: 'HS256', kid: '', typ: 'at+jwt', crit: [], jwk: {}, x5u: 'u', jku: 1 };
    expect(findings(header).map(([rule, code]) => [rule, code])).toEqual([
      ['alg-allowed', 'ERR_ALG_NOT_ALLOWED'],
      ['kid-present', 'ERR_HEADER_INVALID'],
      ['typ-jwt', 'ERR_HEADER_INVALID'],
      ['no-crit', 'ERR_HEADER_INVALID'],
      ['no-jwk', 'ERR_HEADER_INVALID'],
      ['no-x5u', 'ERR_HEADER_INVALID'],
      ['jku-string', 'ERR_HEADER_INVALID'],
    ]);
    expect(codeOf(header)).toBe('ERR_ALG_NOT_ALLOWED');
    expect(findings(valid)).toEqual([]);
  });

  it('accepts a kid of exactly MAX_KID_LENGTH characters, not one more', () => {
    expect(codeOf({ ...valid, kid: 'k'.repeat(MAX_KID_LENGTH) })).toBe(ACCEPTED);
    expect(codeOf({ ...valid, kid: 'k'.repeat(MAX_KID_LENGTH + 1) })).toBe('ERR_HEADER_INVALID');
  });

  it.each([['none'], ['None'], ['NONE']])('explains alg %j as an unsigned token, whatever its case', (alg) => {
    expect(findings({ ...valid, alg })[0]?.[2]).toContain('unsigned token');
  });

  it.each([['HS256'], ['hs512']])('explains alg %j as HMAC', (alg) => {
    expect(findings({ ...valid, alg })[0]?.[2]).toContain('HMAC');
  });
});
