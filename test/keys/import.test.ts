import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src/diagnostics.js';
import { importKeySet } from '../../src/keys/import.js';
import { inspectMaaKeys } from '../../src/keys/inspect.js';
import { createSelfSignedCertificate } from '../../src/testing/certificate.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { maaJwk, rsaKey, type TestKey } from '../helpers/keys.js';

const SHARED_WUS = 'https://sharedwus.wus.attest.azure.net';
const ISSUER = 'https://example.wus.attest.azure.net';
const options = { minRsaModulusBits: 2048, errorCode: 'ERR_METADATA_UNAVAILABLE' as const };

let key: TestKey;
let other: TestKey;
beforeAll(() => {
  key = rsaKey();
  other = rsaKey();
});

function only(jwk: Record<string, unknown>, issuer = ISSUER, minRsaModulusBits = 2048) {
  // A usable companion key keeps the set from being empty, so the key under test can be judged alone.
  return importKeySet({ keys: [jwk, maaJwk(other, issuer)] }, issuer, { ...options, minRsaModulusBits });
}

describe('importKeySet on real MAA key sets', () => {
  it('imports the instance key from x5c and skips the Microsoft Azure Attestation chain keys', () => {
    const set = importKeySet(fixtureJson('cpp-sgx-shared-wus-2022.certs.json'), SHARED_WUS, options);
    expect([...set.keys.keys()]).toEqual(['XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=']);
    expect(set.keys.get('XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=')?.modulusBits).toBe(2048);
    expect(set.invalid.get('D5DR62_fG0AlpALMbsP-wriTWjU')).toMatch(/chain/);
  });

  it('skips the 1024-bit key by default and accepts it when the floor is lowered explicitly', () => {
    const jwks = fixtureJson('cpp-sgx-runtimebinary-shared-wus-2022-03-oldkey.certs.json');
    const strict = importKeySet(jwks, SHARED_WUS, options);
    expect(strict.invalid.get('15N2MHoj9iAdkF/c5nRE3J2HB8JG6Vue3Uzvu3K/Ses=')).toMatch(/1024 bits/);
    const lenient = importKeySet(jwks, SHARED_WUS, { ...options, minRsaModulusBits: 1024 });
    expect(lenient.keys.get('15N2MHoj9iAdkF/c5nRE3J2HB8JG6Vue3Uzvu3K/Ses=')?.modulusBits).toBe(1024);
  });

  it('imports keys given only as n/e', () => {
    const set = importKeySet(fixtureJson('cvmguest-azurevm-sharedweu-2023.certs.json'), 'https://sharedweu.weu.attest.azure.net', options);
    expect(set.keys.has('dRKh+hBcWUfQimSl3Iv6ZhStW3TSOt0ThwiTgUUqZAo=')).toBe(true);
    expect(set.keys.get('dRKh+hBcWUfQimSl3Iv6ZhStW3TSOt0ThwiTgUUqZAo=')?.certificate).toBeUndefined();
  });

  it('refuses a certificate that names another instance, even with the same key', () => {
    expect(() => importKeySet(fixtureJson('cpp-sgx-runtimebinary-isolated-2022.certs.json'), SHARED_WUS, options)).toThrow(
      expect.objectContaining({ code: 'ERR_METADATA_UNAVAILABLE' }),
    );
  });
});

describe('importKeySet: each key is checked on its own', () => {
  it('accepts an MAA-shaped key and keeps its certificate', () => {
    const set = only(maaJwk(key, ISSUER));
    expect(set.keys.get(key.kid)?.certificate?.subject).toBe(`CN=${ISSUER}`);
  });

  it('matches the certificate CN to the issuer after normalising it (case, trailing slash)', () => {
    expect(only(maaJwk(key, `${ISSUER.toUpperCase().replace('HTTPS', 'https')}/`)).keys.has(key.kid)).toBe(true);
  });

  it.each([
    ['another instance', 'https://other.wus.attest.azure.net'],
    ['a look-alike host', 'https://example.wus.attest.azure.net.evil.example'],
    ['not a URL', 'Microsoft Azure Attestation 2020'],
  ])('skips a certificate naming %s', (_name, commonName) => {
    expect(only(maaJwk(key, commonName)).invalid.get(key.kid)).toMatch(/another instance/);
  });

  it('skips a certificate whose self-signature does not verify', () => {
    const forged = createSelfSignedCertificate({ commonName: ISSUER, privateKey: other.privateKey, publicKey: key.publicKey });
    expect(only({ kid: key.kid, kty: 'RSA', x5c: [forged.base64] }).invalid.get(key.kid)).toMatch(/self-signature/);
  });

  it('accepts n/e that agree with the certificate and skips n/e that disagree', () => {
    const jwk = key.publicKey.export({ format: 'jwk' });
    expect(only(maaJwk(key, ISSUER, { n: jwk.n, e: jwk.e })).keys.has(key.kid)).toBe(true);
    const foreign = other.publicKey.export({ format: 'jwk' });
    expect(only(maaJwk(key, ISSUER, { n: foreign.n, e: jwk.e })).invalid.get(key.kid)).toMatch(/disagree/);
    expect(only(maaJwk(key, ISSUER, { n: jwk.n })).invalid.get(key.kid)).toMatch(/disagree/);
  });

  it.each([
    ['a non-RSA kty', { kty: 'EC' }, /not RSA/],
    ['use enc', { use: 'enc' }, /use/],
    ['an HMAC alg', { alg: 'HS256' }, /algorithm/],
    ['an empty x5c', { x5c: [] }, /non-empty/],
    ['x5c that is not base64', { x5c: ['not base64!'] }, /base64/],
    ['x5c that is not a certificate', { x5c: ['AAAA'] }, /not an X.509/],
    ['x5c that is a string', { x5c: 'MIIB' }, /non-empty array/],
  ])('skips a key with %s', (_name, extra, reason) => {
    expect(only(maaJwk(key, ISSUER, extra)).invalid.get(key.kid)).toMatch(reason);
  });

  it('skips a key with neither x5c nor n/e, and bad n/e', () => {
    expect(only({ kid: key.kid, kty: 'RSA' }).invalid.get(key.kid)).toMatch(/neither/);
    expect(only({ kid: key.kid, kty: 'RSA', n: '!!', e: 'AQAB' }).invalid.get(key.kid)).toMatch(/not base64url/);
  });

  it('records the algorithm a key is restricted to', () => {
    expect(only(maaJwk(key, ISSUER, { alg: 'RS256' })).keys.get(key.kid)?.alg).toBe('RS256');
  });

  it('refuses both copies of a kid published twice', () => {
    const third = rsaKey();
    const set = importKeySet(
      { keys: [maaJwk(key, ISSUER), { ...maaJwk(third, ISSUER), kid: key.kid }, maaJwk(other, ISSUER)] },
      ISSUER,
      options,
    );
    expect(set.keys.has(key.kid)).toBe(false);
    expect(set.invalid.get(key.kid)).toMatch(/twice/);
  });
});

describe('importKeySet: the document as a whole', () => {
  it.each([
    ['null', null],
    ['an array', []],
    ['keys not an array', { keys: {} }],
    ['no keys member', { certs: [] }],
  ])('refuses %s', (_name, jwks) => {
    expect(() => importKeySet(jwks, ISSUER, options)).toThrow(expect.objectContaining({ code: 'ERR_METADATA_UNAVAILABLE' }));
  });

  it('refuses a set with no usable key, with the code the caller chose', () => {
    expect(() => importKeySet({ keys: [{ kid: 'x', kty: 'RSA' }] }, ISSUER, { ...options, errorCode: 'ERR_CONFIG_INVALID' })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });

  it('refuses an absurdly long key list without importing it', () => {
    const keys = Array.from({ length: 65 }, () => ({ kid: 'x', kty: 'RSA' }));
    expect(() => importKeySet({ keys }, ISSUER, options)).toThrow(/more than 64/);
  });
});

describe('importKeySet diagnostics', () => {
  const seen: unknown[] = [];
  const listener = (message: unknown) => seen.push(message);
  afterEach(() => {
    unsubscribe(CHANNELS.keySkipped, listener);
    seen.length = 0;
  });

  it('publishes each skipped key with its reason', () => {
    subscribe(CHANNELS.keySkipped, listener);
    importKeySet(fixtureJson('cpp-sgx-shared-wus-2022.certs.json'), SHARED_WUS, options);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual({ issuer: SHARED_WUS, kid: 'D5DR62_fG0AlpALMbsP-wriTWjU', reason: expect.stringMatching(/chain/) });
  });

  it('escapes and cuts a hostile kid: the key set comes from the metadata path, not from a trusted party', () => {
    subscribe(CHANNELS.keySkipped, listener);
    const hostile = `\u001b[2J\r\nkeys:skipped forged line ${'k'.repeat(100_000)}`;
    importKeySet(
      { keys: [{ kid: hostile, kty: 'RSA' }, ...fixtureJson<{ keys: unknown[] }>('cpp-sgx-shared-wus-2022.certs.json').keys] },
      SHARED_WUS,
      options,
    );
    const kid = (seen[0] as { kid: string }).kid;
    expect(kid).toMatch(/^\\u001b\[2J\\u000d\\u000akeys:skipped forged line k+\\u2026$/);
    expect(kid.length).toBeLessThan(100);
  });
});

describe('a certificate whose key Node cannot decode', () => {
  // An instance certificate with its SubjectPublicKeyInfo algorithm changed (rsaEncryption → an unknown
  // OID): the certificate still parses, but reading its public key throws an OpenSSL error.
  function undecodableKey(): Record<string, unknown> {
    const genuine = fixtureJson<{ keys: { x5c: string[] }[] }>('cpp-sgx-shared-wus-2022.certs.json').keys.find(
      (key) => key.x5c.length === 1,
    )!;
    const der = Buffer.from(genuine.x5c[0]!, 'base64');
    const rsaEncryption = Buffer.from('06092a864886f70d010101', 'hex');
    der[der.indexOf(rsaEncryption) + rsaEncryption.length - 1] = 0x63;
    return { kid: 'undecodable', kty: 'RSA', x5c: [der.toString('base64')] };
  }

  it('is skipped with a reason; the good keys beside it stay usable', () => {
    const genuine = fixtureJson<{ keys: unknown[] }>('cpp-sgx-shared-wus-2022.certs.json').keys;
    const set = importKeySet({ keys: [undecodableKey(), ...genuine] }, SHARED_WUS, options);
    expect(set.keys.size).toBe(1);
    expect(set.invalid.get('undecodable')).toMatch(/public key/);
  });

  it('a set holding only it is the set error, not an OpenSSL error', () => {
    expect(() => importKeySet({ keys: [undecodableKey()] }, SHARED_WUS, { ...options, errorCode: 'ERR_CONFIG_INVALID' })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });

  it('inspectMaaKeys reports it and goes on to the next key', () => {
    const genuine = fixtureJson<{ keys: unknown[] }>('cpp-sgx-shared-wus-2022.certs.json').keys;
    const report = inspectMaaKeys({ keys: [undecodableKey(), ...genuine] }, { at: new Date('2022-06-01T00:00:00Z') });
    expect(report).toHaveLength(genuine.length + 1);
    expect(report[0]).toMatchObject({ kid: 'undecodable', outcome: 'no-quote', reason: expect.stringMatching(/public key/) });
  });
});
