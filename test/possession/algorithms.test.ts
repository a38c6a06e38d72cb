import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyThumbprint } from '../../src/possession/algorithms.js';

describe('keyThumbprint: RFC 7638', () => {
  it('gives the thumbprint of the RFC 7638 §3.1 example RSA key', () => {
    const key = createPublicKey({
      format: 'jwk',
      key: {
        kty: 'RSA',
        n:
          '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs' +
          'tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5h' +
          'ajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
        e: 'AQAB',
      },
    });
    expect(keyThumbprint(key)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it.each([
    ['EC P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['EC P-384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' })],
    ['Ed25519', () => generateKeyPairSync('ed25519')],
  ] as const)('hashes the required members of an %s key in lexical order, no whitespace', (_name, generate) => {
    const { publicKey, privateKey } = generate();
    const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
    // RFC 7638 §3.2: the required members only, sorted by name; EC has crv/kty/x/y, OKP crv/kty/x.
    const required = jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x'];
    const canonical = JSON.stringify(Object.fromEntries(required.sort().map((name) => [name, jwk[name]])));
    const expected = createHash('sha256').update(canonical).digest('base64url');
    expect(keyThumbprint(publicKey)).toBe(expected);
    // A private key's thumbprint is its public key's.
    expect(keyThumbprint(privateKey)).toBe(expected);
  });
});
