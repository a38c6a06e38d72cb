/**
 * Adversarial tokens. Each case is refused with its exact stable code, within TIME_BOUND_MS, with nothing
 * but an AttestationError, and without a single request to a host the token names: a second local MAA
 * instance plays the attacker's host (its `jku`, `x5u`, `iss`…) and its request counter must stay at 0.
 * Where the point is that a check happens before any I/O, the case runs on a cold verifier (no keys
 * fetched yet) and the trusted instance's counter must stay at 0 too.
 *
 * Where a case is about claims, the token carries a genuine signature by the trusted instance's key
 * (signed here with node:crypto), so the claim check — not the signature — is what refuses it.
 */
import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { MockAgent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AttestationError, createVerifier, type AttestationErrorCode, type Verifier, type VerifierOptions } from '../../src/index.js';
import {
  createSelfSignedCertificate,
  createTestAttestationService,
  DEFAULT_MRSIGNER,
  type TestAttestationService,
} from '../../src/testing/index.js';
import { clockAt, fixtureJson, fixtureText, insideWindow, manifest, type ManifestEntry } from '../helpers/fixtures.js';
import { decodeSegment, outcomeOf, raw, segment, segmentsOf, signJws, unsignedJws, withMembers } from './helpers.js';

/** Every refusal must come within this (one verification, loopback key fetch included). */
const TIME_BOUND_MS = 200;
/**
 * Error messages quote attacker bytes only briefly: quote() cuts at 64 characters and escapes each
 * non-ASCII one as \uXXXX, so a quote is at most 64 × 6 characters; the rest is fixed text.
 */
const MAX_MESSAGE_LENGTH = 600;
const ALL_RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;
const NOW = Math.floor(Date.now() / 1000);

let maa: TestAttestationService; // the trusted instance
let attacker: TestAttestationService; // the attacker's host: nothing may ever reach it
let issuerB: TestAttestationService; // a second trusted instance, for cross-issuer cases
let attackerKey: KeyObject;
let warm: Verifier; // trusts maa; keys fetched
let warmAllRsa: Verifier; // same, with every RSA algorithm allowed
let warmLarge: Verifier; // same, with maxTokenBytes raised to 4 MiB

beforeAll(async () => {
  [maa, attacker, issuerB] = await Promise.all([
    createTestAttestationService(),
    createTestAttestationService(),
    createTestAttestationService(),
  ]);
  attackerKey = attacker.privateKey();
  warm = verifierFor();
  warmAllRsa = verifierFor({ algorithms: [...ALL_RSA] });
  warmLarge = verifierFor({ maxTokenBytes: 4 * 1024 * 1024 });
  await Promise.all([warm.warmUp(), warmAllRsa.warmUp(), warmLarge.warmUp()]);
});
afterAll(async () => {
  await Promise.all([maa.close(), attacker.close(), issuerB.close()]);
});
beforeEach(() => {
  for (const service of [maa, attacker, issuerB]) {
    service.clearFaults();
    service.resetCounters();
  }
});

function verifierFor(options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true, fetchTimeoutMs: 500, ...options });
}

/** A verifier that has fetched nothing yet: any request it makes shows up in maa.requests. */
const cold = (options: Partial<VerifierOptions> = {}): Verifier => verifierFor({ algorithms: [...ALL_RSA], ...options });

/** The header MAA sends, with overrides (`undefined` removes a member). */
const header = (overrides: Record<string, unknown> = {}): Record<string, unknown> =>
  withMembers({ alg: 'RS256', jku: maa.jwksUri, kid: maa.activeKid, typ: 'JWT' }, overrides);

/** A full MAA payload (as `mint` makes it, legacy aliases consistent), with claim overrides. */
const payload = (claims: Record<string, unknown> = {}): Record<string, unknown> => decodeSegment(segmentsOf(maa.mint(claims))[1]);

/** Genuinely signed by the trusted instance's active key. */
const genuine = (h: unknown, p: unknown): string => signJws(h, p, maa.privateKey());
/** Signed by the attacker's own key. */
const forged = (h: unknown, p: unknown): string => signJws(h, p, attackerKey);

/** Verifies and returns the refusal, asserting the invariants every case shares. */
async function refusal(token: unknown, code: AttestationErrorCode, verifier: Verifier = warm): Promise<AttestationError> {
  const started = performance.now();
  const outcome = await outcomeOf(verifier, token);
  const elapsed = performance.now() - started;
  expect(outcome, `expected ${code}`).toBeInstanceOf(AttestationError);
  const error = outcome as AttestationError;
  expect(error.code).toBe(code);
  expect(elapsed).toBeLessThan(TIME_BOUND_MS);
  expect(error.message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
  expect(attacker.requests.total, 'no request may reach a host the token names').toBe(0);
  return error;
}

/** Refused on a cold verifier without any request: the check ran before any I/O. */
async function refusedBeforeIo(token: unknown, code: AttestationErrorCode, options: Partial<VerifierOptions> = {}): Promise<void> {
  await refusal(token, code, cold(options));
  expect(maa.requests.total, 'refused before any I/O').toBe(0);
  expect(issuerB.requests.total).toBe(0);
}

/** Refused by the warm verifier, whose fresh keys mean no request at all. */
async function refusedWithoutFetch(token: unknown, code: AttestationErrorCode, verifier: Verifier = warm): Promise<AttestationError> {
  const error = await refusal(token, code, verifier);
  expect(maa.requests.total).toBe(0);
  return error;
}

async function accepted(token: unknown, verifier: Verifier = warm) {
  const started = performance.now();
  const result = await verifier.verify(token);
  expect(performance.now() - started).toBeLessThan(TIME_BOUND_MS);
  return result;
}

describe('positive controls: the crafting helpers make tokens the verifier accepts', () => {
  it('accepts a token signed here with the trusted key, header and payload as MAA sends them', async () => {
    const result = await accepted(genuine(header(), payload()));
    expect(result.issuer).toBe(maa.issuer);
    expect(result.sgx?.mrsigner).toBe(DEFAULT_MRSIGNER);
  });

  it('accepts a token minted by the trusted instance on a cold verifier, fetching its keys once', async () => {
    await accepted(maa.mint(), cold());
    expect(maa.requests.certs).toBe(1);
  });
});

describe('alg', () => {
  it.each([
    ['none', 'none'],
    ['None', 'None'],
    ['NONE', 'NONE'],
    ['empty', ''],
    ['missing', undefined],
    ['null', null],
    ['an array', ['RS256']],
    ['lower-case rs256', 'rs256'],
    ['RS256 with a trailing space', 'RS256 '],
  ])('refuses alg %s, even over a genuine RS256 signature, before any I/O', async (_name, alg) => {
    await refusedBeforeIo(genuine(header({ alg }), payload()), 'ERR_ALG_NOT_ALLOWED');
  });

  it.each(['none', 'None', ''])('refuses alg %j with an empty signature (the unsigned form)', async (alg) => {
    await refusedBeforeIo(unsignedJws(header({ alg }), payload()), 'ERR_ALG_NOT_ALLOWED');
  });
});

describe('algorithm confusion: HMAC keyed with the trusted public key', () => {
  const keyForms: Array<[string, () => string | Buffer]> = [
    ['SPKI PEM', () => maa.publicKey().export({ type: 'spki', format: 'pem' })],
    ['PKCS#1 PEM', () => maa.publicKey().export({ type: 'pkcs1', format: 'pem' })],
    ['SPKI DER', () => maa.publicKey().export({ type: 'spki', format: 'der' })],
    ['PKCS#1 DER', () => maa.publicKey().export({ type: 'pkcs1', format: 'der' })],
    ['JWK JSON', () => JSON.stringify(maa.publicKey().export({ format: 'jwk' }))],
    ['JWK JSON with kid', () => JSON.stringify({ ...maa.publicKey().export({ format: 'jwk' }), kid: maa.activeKid })],
    ['the x5c certificate (base64)', () => maa.certificate().base64],
    ['the certificate PEM', () => maa.certificate().pem],
  ];
  const cases = keyForms.flatMap(([form, key]) => (['HS256', 'HS384', 'HS512'] as const).map((alg) => [alg, form, key] as const));

  it.each(cases)('refuses %s keyed with the public key in %s form, with every RSA algorithm allowed', async (alg, _form, key) => {
    const input = `${segment(header({ alg }))}.${segment(payload())}`;
    const mac = createHmac(`sha${alg.slice(2)}`, key())
      .update(input)
      .digest('base64url');
    await refusedBeforeIo(`${input}.${mac}`, 'ERR_ALG_NOT_ALLOWED');
  });
});

describe('a genuine RS256 signature relabelled', () => {
  const rs256 = () => genuine(header(), payload());
  const relabel = (token: string, alg: string) => {
    const [, body, signature] = segmentsOf(token);
    return `${segment(header({ alg }))}.${body}.${signature}`;
  };

  it.each(['PS256', 'RS512', 'RS384', 'PS512'])('refuses RS256 relabelled %s where only RS256 is allowed', async (alg) => {
    await refusedBeforeIo(relabel(rs256(), alg), 'ERR_ALG_NOT_ALLOWED', { algorithms: ['RS256'] });
  });

  it.each(['PS256', 'RS512', 'RS384', 'PS512'])(
    'refuses RS256 relabelled %s where every RSA algorithm is allowed: the signature does not verify',
    async (alg) => {
      // The header must be re-signed over, so the relabelled header is genuinely signed RS256 by the real key.
      await refusedWithoutFetch(genuine(header({ alg }), payload()), 'ERR_SIGNATURE_INVALID', warmAllRsa);
    },
  );

  it.each(['ES256', 'EdDSA', 'RSA-OAEP', 'RSA1_5'])('refuses RS256 relabelled %s whatever is configured', async (alg) => {
    await refusedBeforeIo(relabel(rs256(), alg), 'ERR_ALG_NOT_ALLOWED');
    expect(() => verifierFor({ algorithms: [alg as 'RS256'] })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('refuses a PS256 signature labelled RS256', async () => {
    await refusedWithoutFetch(signJws(header(), payload(), maa.privateKey(), 'PS256'), 'ERR_SIGNATURE_INVALID', warmAllRsa);
  });
});

describe('kid', () => {
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['a number', 1],
    ['null', null],
    ['an object', { kid: 'x' }],
    ['an array', [`${'X'.repeat(43)}=`]],
    ['true', true],
    ['257 characters long', 'k'.repeat(257)],
  ])('refuses a kid that is %s, before any I/O', async (_name, kid) => {
    await refusedBeforeIo(genuine(header({ kid }), payload()), 'ERR_HEADER_INVALID');
  });

  it('refuses a 100 000-character kid under a raised maxTokenBytes, before any I/O', async () => {
    await refusedBeforeIo(genuine(header({ kid: 'k'.repeat(100_000) }), payload()), 'ERR_HEADER_INVALID', { maxTokenBytes: 1024 * 1024 });
  });

  it.each([
    ['a relative path', () => '../../../etc/passwd'],
    ['the certs path', () => '/certs'],
    ['a URL of the attacker host', () => `${attacker.issuer}/certs`],
    ['a query string', () => '?kid=x&jwks_uri=http://127.0.0.1:1/'],
    ['percent-encoded traversal', () => '%2e%2e%2f%2e%2e%2fcerts'],
    ['CRLF and a header', () => 'x\r\nHost: evil'],
    ['a NUL byte', () => `${maa.activeKid}\u0000`],
    ['the genuine kid with a suffix', () => `${maa.activeKid}x`],
    ['unknown', () => `${'A'.repeat(43)}=`],
  ])('refuses a kid that is %s with ERR_KEY_NOT_FOUND, fetching only the trusted /certs, at most once', async (_name, kid) => {
    await refusal(genuine(header({ kid: kid() }), payload()), 'ERR_KEY_NOT_FOUND');
    // The kid is looked up in a map, never put into a URL: no request goes to any other path.
    expect(maa.requests.total).toBe(maa.requests.discovery + maa.requests.certs);
    expect(maa.requests.certs).toBeLessThanOrEqual(1);
  });
});

describe('jku', () => {
  const port = () => new URL(maa.issuer).port;
  it.each([
    ['on the attacker host', () => `${attacker.issuer}/certs`],
    ['with a user in the URL', () => `http://user@127.0.0.1:${port()}/certs`],
    ['with user and password', () => `http://user:pw@127.0.0.1:${port()}/certs`],
    ['with a trailing slash', () => `${maa.jwksUri}/`],
    ['with another scheme (https)', () => `https://127.0.0.1:${port()}/certs`],
    ['with another scheme (file)', () => 'file:///etc/passwd'],
    ['with an upper-case scheme', () => `HTTP://127.0.0.1:${port()}/certs`],
    ['naming localhost', () => `http://localhost:${port()}/certs`],
    ['with a query', () => `${maa.jwksUri}?x=1`],
    ['with a fragment', () => `${maa.jwksUri}#x`],
    ['with a dot segment', () => `${maa.issuer}/x/../certs`],
    ['with a double slash', () => `${maa.issuer}//certs`],
    ['protocol-relative', () => `//127.0.0.1:${port()}/certs`],
    ['relative', () => '/certs'],
    ['the issuer without /certs', () => maa.issuer],
    ['not a string (array of the right URL)', () => [maa.jwksUri]],
    ['not a string (null)', () => null],
    ['not a string (object)', () => ({ url: maa.jwksUri })],
  ])('refuses a jku %s, never fetching it, before any I/O', async (_name, jku) => {
    await refusedBeforeIo(genuine(header({ jku: jku() }), payload()), 'ERR_HEADER_INVALID');
  });

  it('refuses an attacker-signed token whose jku and iss both name the attacker host, before any I/O', async () => {
    await refusedBeforeIo(forged(header({ jku: attacker.jwksUri }), payload({ iss: attacker.issuer })), 'ERR_ISSUER_UNTRUSTED');
  });
});

describe('key material carried in the header, attacker-signed with that very key', () => {
  const attackerJwk = () => createPublicKey(attackerKey).export({ format: 'jwk' });
  // A certificate the attacker makes for its own key, naming the trusted instance: the Microsoft SDK forgery.
  const attackerCertificate = () => createSelfSignedCertificate({ commonName: maa.issuer, privateKey: attackerKey }).base64;

  it.each([
    ['jwk with the attacker kid', () => ({ jwk: attackerJwk(), kid: attacker.activeKid })],
    ['jwk naming the genuine kid', () => ({ jwk: { ...attackerJwk(), kid: maa.activeKid } })],
    ['jwk set to null', () => ({ jwk: null })],
    ['x5c with a self-signed certificate naming the trusted issuer', () => ({ x5c: [attackerCertificate()] })],
    ['x5c with the genuine certificate (and the attacker signature)', () => ({ x5c: [maa.certificate().base64] })],
    ['x5c with a two-certificate chain', () => ({ x5c: [attackerCertificate(), maa.certificate().base64] })],
    ['x5u on the attacker host', () => ({ x5u: `${attacker.issuer}/cert.pem` })],
    ['x5u on the trusted host', () => ({ x5u: `${maa.issuer}/cert.pem` })],
    ['jwk, x5c and x5u together', () => ({ jwk: attackerJwk(), x5c: [attackerCertificate()], x5u: `${attacker.issuer}/cert.pem` })],
  ])('refuses a header %s, before any I/O', async (_name, members) => {
    await refusedBeforeIo(forged(header(members()), payload()), 'ERR_HEADER_INVALID');
  });
});

describe('crit and typ', () => {
  it.each([
    ['crit naming exp', { crit: ['exp'] }],
    ['an empty crit', { crit: [] }],
    ['crit b64 with b64: false', { crit: ['b64'], b64: false }],
    ['crit as a string', { crit: 'exp' }],
    ['crit null', { crit: null }],
  ])('refuses %s, before any I/O', async (_name, members) => {
    await refusedBeforeIo(genuine(header(members), payload()), 'ERR_HEADER_INVALID');
  });

  it.each([
    ['at+jwt', 'at+jwt'],
    ['JWE', 'JWE'],
    ['JOSE', 'JOSE'],
    ['JOSE+JSON', 'JOSE+JSON'],
    ['empty', ''],
    ['JWT with a space', 'JWT '],
    ['a number', 1],
    ['null', null],
    ['an array', ['JWT']],
  ])('refuses typ %s, before any I/O', async (_name, typ) => {
    await refusedBeforeIo(genuine(header({ typ }), payload()), 'ERR_HEADER_INVALID');
  });
});

describe('compact serialisation', () => {
  const parts = () => segmentsOf(genuine(header(), payload()));

  it.each([
    [
      'five segments (JWE)',
      () => [segment({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: maa.activeKid }), 'a2V5', 'aXY', 'Y2lwaGVy', 'dGFn'].join('.'),
    ],
    ['two segments', () => parts().slice(0, 2).join('.')],
    ['four segments', () => [...parts(), 'AAAA'].join('.')],
    ['one segment', () => parts()[1]],
    ['a trailing dot', () => `${parts().join('.')}.`],
    ['a leading dot', () => `.${parts().join('.')}`],
    ['only dots', () => '..'],
    ['an empty header segment', () => `.${parts()[1]}.${parts()[2]}`],
    ['an empty payload segment', () => `${parts()[0]}..${parts()[2]}`],
  ])('refuses %s as malformed, before any I/O', async (_name, token) => {
    await refusedBeforeIo(token(), 'ERR_TOKEN_MALFORMED');
  });
});

describe('base64url strictness', () => {
  const token = () => genuine(header(), payload());
  const edit = (index: 0 | 1 | 2, change: (text: string) => string) => {
    const parts = segmentsOf(token());
    parts[index] = change(parts[index]);
    return parts.join('.');
  };

  it.each([
    ['padding on the header', () => edit(0, (s) => `${s}=`)],
    ['double padding on the payload', () => edit(1, (s) => `${s}==`)],
    ['padding on the signature', () => edit(2, (s) => `${s}==`)],
    ['a standard-base64 + in the payload', () => edit(1, (s) => `${s.slice(0, 10)}+${s.slice(11)}`)],
    ['a standard-base64 / in the signature', () => edit(2, (s) => `${s.slice(0, 10)}/${s.slice(11)}`)],
    ['a leading space', () => ` ${token()}`],
    ['a trailing newline', () => `${token()}\n`],
    ['a space inside the payload', () => edit(1, (s) => `${s.slice(0, 20)} ${s.slice(20)}`)],
    ['a tab inside the header', () => edit(0, (s) => `${s.slice(0, 5)}\t${s.slice(5)}`)],
    ['a line break inside the signature (PEM-style wrapping)', () => edit(2, (s) => `${s.slice(0, 64)}\r\n${s.slice(64)}`)],
    ['a * in the payload', () => edit(1, (s) => `${s.slice(0, 8)}*${s.slice(9)}`)],
    ['a % escape in the header', () => edit(0, (s) => `${s.slice(0, 8)}%41${s.slice(9)}`)],
    ['an é in the payload', () => edit(1, (s) => `${s.slice(0, 8)}é${s.slice(9)}`)],
    ['a € in the signature', () => edit(2, (s) => `${s.slice(0, 8)}€${s.slice(9)}`)],
    ['an emoji in the header', () => edit(0, (s) => `${s.slice(0, 8)}😀${s.slice(9)}`)],
    ['a zero-width space', () => edit(1, (s) => `${s.slice(0, 8)}\u200b${s.slice(8)}`)],
    ['a fullwidth letter', () => edit(1, (s) => `${s.slice(0, 8)}Ａ${s.slice(9)}`)],
    ['a Cyrillic look-alike letter', () => edit(2, (s) => `${s.slice(0, 8)}а${s.slice(9)}`)],
    ['a NUL character', () => edit(1, (s) => `${s}\u0000`)],
    ['a segment of impossible length (4n+1)', () => edit(2, (s) => s.slice(0, s.length - (s.length % 4) - 3))],
  ])('refuses %s as malformed, before any I/O', async (_name, make) => {
    await refusedBeforeIo(make(), 'ERR_TOKEN_MALFORMED');
  });

  it('refuses a signature with non-zero trailing bits, although Node decodes it to the same bytes', async () => {
    const parts = segmentsOf(token());
    const signature = parts[2];
    expect(signature.length % 4).not.toBe(0); // 256 bytes: 342 characters, 4 unused bits in the last one
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(signature.at(-1) ?? '');
    const altered = `${signature.slice(0, -1)}${alphabet[last + 1]}`;
    expect(Buffer.from(altered, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true);
    await refusedBeforeIo(`${parts[0]}.${parts[1]}.${altered}`, 'ERR_TOKEN_MALFORMED');
  });

  it.each([
    ['invalid UTF-8', () => Buffer.concat([Buffer.from('{"iss":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])],
    ['UTF-8 with an overlong quote', () => Buffer.concat([Buffer.from('{"iss":'), Buffer.from([0xc0, 0xa2]), Buffer.from('x"}')])],
    ['UTF-8 with a byte-order mark', () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(payload()))])],
    ['UTF-16 JSON', () => Buffer.from(JSON.stringify(payload()), 'utf16le')],
  ])('refuses a genuinely signed payload encoded as %s, before any I/O', async (_name, bytes) => {
    await refusedBeforeIo(genuine(header(), bytes()), 'ERR_TOKEN_MALFORMED');
  });
});

describe('header or payload that is not a JSON object', () => {
  const deepArray = (depth: number) => raw(`${'['.repeat(depth)}${']'.repeat(depth)}`);
  it.each([
    ['an array', () => []],
    ['an array of the header', () => [header()]],
    ['a number', () => 1],
    ['null', () => null],
    ['a string', () => 'RS256'],
    ['true', () => true],
    ['truncated JSON', () => raw(JSON.stringify(header()).slice(0, -1))],
    ['JSON followed by junk', () => raw(`${JSON.stringify(header())}x`)],
    ['two JSON objects', () => raw(`${JSON.stringify(header())}{}`)],
    ['a 3000-deep array', () => deepArray(3000)],
  ])('refuses a header that is %s, before any I/O', async (_name, value) => {
    await refusedBeforeIo(genuine(value(), payload()), 'ERR_TOKEN_MALFORMED');
  });

  it.each([
    ['an array', () => [payload()]],
    ['a number', () => 1800000000],
    ['null', () => null],
    ['a string', () => JSON.stringify(payload())],
    ['truncated JSON', () => raw(JSON.stringify(payload()).slice(0, -2))],
    ['a 3000-deep array', () => deepArray(3000)],
  ])('refuses a payload that is %s, before any I/O', async (_name, value) => {
    await refusedBeforeIo(genuine(header(), value()), 'ERR_TOKEN_MALFORMED');
  });

  it('refuses a 200 000-deep array header under a 1 MiB maxTokenBytes without overflowing the stack', async () => {
    await refusedBeforeIo(unsignedJws(deepArray(200_000), payload(), 'AAAA'), 'ERR_TOKEN_MALFORMED', { maxTokenBytes: 1024 * 1024 });
  });

  it('refuses a forged payload whose claim nests 100 000 objects deep, within the time bound', async () => {
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const text = JSON.stringify(payload()).replace(/^\{/, `{"x-ms-runtime":${deep},`);
    await refusedWithoutFetch(forged(header(), raw(text)), 'ERR_SIGNATURE_INVALID', warmLarge);
  });
});

describe('__proto__ and constructor keys stay plain data', () => {
  // JSON text written by hand: JSON.stringify on an object literal would treat `__proto__` as the prototype.
  const payloadText = (claims: Record<string, unknown>, extra: string) => raw(JSON.stringify(payload(claims)).replace(/^\{/, `{${extra},`));
  const headerText = (overrides: Record<string, unknown>, extra: string) =>
    raw(JSON.stringify(header(overrides)).replace(/^\{/, `{${extra},`));

  it('a __proto__ member never supplies a missing x-ms-sgx-svn (genuinely signed)', async () => {
    const text = payloadText({ 'x-ms-sgx-svn': undefined }, '"__proto__":{"x-ms-sgx-svn":1,"svn":1}');
    expect(text.text).not.toMatch(/"x-ms-sgx-svn":1,"x-ms/); // only inside __proto__
    await refusedWithoutFetch(genuine(header(), text), 'ERR_CLAIM_INVALID');
  });

  it('a __proto__ member never supplies a missing x-ms-attestation-type (genuinely signed)', async () => {
    await refusedWithoutFetch(
      genuine(header(), payloadText({ 'x-ms-attestation-type': undefined }, '"__proto__":{"x-ms-attestation-type":"sgx"}')),
      'ERR_CLAIM_INVALID',
    );
  });

  it('a __proto__ member never supplies a missing exp (genuinely signed)', async () => {
    await refusedWithoutFetch(genuine(header(), payloadText({ exp: undefined }, `"__proto__":{"exp":${NOW + 3600}}`)), 'ERR_CLAIM_INVALID');
  });

  it('a __proto__ member never supplies a missing iss, before any I/O', async () => {
    await refusedBeforeIo(
      genuine(header(), payloadText({ iss: undefined }, `"__proto__":{"iss":${JSON.stringify(maa.issuer)}}`)),
      'ERR_ISSUER_UNTRUSTED',
    );
  });

  it('a header __proto__ never supplies a missing alg, before any I/O', async () => {
    await refusedBeforeIo(genuine(headerText({ alg: undefined }, '"__proto__":{"alg":"RS256"}'), payload()), 'ERR_ALG_NOT_ALLOWED');
  });

  it('a header __proto__ never supplies a missing kid, before any I/O', async () => {
    await refusedBeforeIo(
      genuine(headerText({ kid: undefined }, `"__proto__":{"kid":${JSON.stringify(maa.activeKid)}}`), payload()),
      'ERR_HEADER_INVALID',
    );
  });

  it('a constructor member never supplies a missing x-ms-sgx-mrsigner (genuinely signed)', async () => {
    const text = payloadText(
      { 'x-ms-sgx-mrsigner': undefined },
      `"constructor":{"x-ms-sgx-mrsigner":"${DEFAULT_MRSIGNER}","prototype":{"x-ms-sgx-mrsigner":"${DEFAULT_MRSIGNER}"}}`,
    );
    await refusedWithoutFetch(genuine(header(), text), 'ERR_CLAIM_INVALID');
  });

  it('accepts a genuine token carrying __proto__ and constructor claims as data, without polluting any prototype', async () => {
    const text = payloadText(
      {},
      '"__proto__":{"polluted":true,"x-ms-sgx-is-debuggable":true},"constructor":{"prototype":{"polluted":true}}',
    );
    const result = await accepted(genuine(header(), text));
    expect(Object.getPrototypeOf(result.claims)).toBe(Object.prototype);
    expect(Object.hasOwn(result.claims, '__proto__')).toBe(true);
    expect(result.sgx?.isDebuggable).toBe(false);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    // A policy cannot be satisfied through the prototype-looking member either.
    const denied = await outcomeOf(
      warm,
      genuine(header(), payloadText({ 'x-ms-sgx-mrsigner': 'ab'.repeat(32) }, `"__proto__":{"x-ms-sgx-mrsigner":"${DEFAULT_MRSIGNER}"}`)),
      {
        policy: { mrsigner: [DEFAULT_MRSIGNER] },
      },
    );
    expect(denied === 'accepted' ? 'accepted' : denied.code).toBe('ERR_POLICY_DENIED');
  });
});

/*
 * Duplicate member names. DECISION: the lexically last member wins, everywhere. RFC 7515 §4 lets a JWS
 * recipient either reject duplicates or "use a JSON parser that returns only the lexically last duplicate
 * member name", which is what JSON.parse does, and every check (header, issuer, signature key, claims,
 * policy) reads the one parsed object: no two readers inside the library can see different values. The
 * signature covers the bytes, duplicates included, so only the issuer could produce such a token.
 * Relying parties that re-parse the raw token with a first-wins parser must use `result.claims` instead.
 */
describe('duplicate member names: the last one wins (RFC 7515 §4)', () => {
  const rest = (object: Record<string, unknown>, name: string) => JSON.stringify(withMembers(object, { [name]: undefined })).slice(1, -1);

  it('accepts a genuine header {"alg":"none","alg":"RS256",…}: judged by the last alg', async () => {
    const text = raw(`{"alg":"none","alg":"RS256",${rest(header(), 'alg')}}`);
    const result = await accepted(genuine(text, payload()));
    expect(result.header['alg']).toBe('RS256');
  });

  it('refuses a genuine header {"alg":"RS256","alg":"none",…}: the last alg is none, before any I/O', async () => {
    await refusedBeforeIo(genuine(raw(`{"alg":"RS256",${rest(header(), 'alg')},"alg":"none"}`), payload()), 'ERR_ALG_NOT_ALLOWED');
  });

  it('accepts a genuine payload whose iss names the attacker first and the trusted issuer last', async () => {
    const text = raw(`{"iss":${JSON.stringify(attacker.issuer)},${rest(payload(), 'iss')},"iss":${JSON.stringify(maa.issuer)}}`);
    const result = await accepted(genuine(header(), text));
    expect(result.issuer).toBe(maa.issuer);
    expect(result.claims['iss']).toBe(maa.issuer);
    expect(attacker.requests.total).toBe(0);
  });

  it('refuses a genuine payload whose iss names the trusted issuer first and the attacker last, before any I/O', async () => {
    const text = raw(`{"iss":${JSON.stringify(maa.issuer)},${rest(payload(), 'iss')},"iss":${JSON.stringify(attacker.issuer)}}`);
    await refusedBeforeIo(genuine(header(), text), 'ERR_ISSUER_UNTRUSTED');
  });

  it('judges a duplicated x-ms-sgx-is-debuggable by its last value in the typed view and in the policy', async () => {
    const claims = payload({ 'is-debuggable': undefined, 'x-ms-policy': undefined });
    const text = raw(`{"x-ms-sgx-is-debuggable":false,${rest(claims, 'x-ms-sgx-is-debuggable')},"x-ms-sgx-is-debuggable":true}`);
    const token = genuine(header(), text);
    const result = await accepted(token);
    expect(result.sgx?.isDebuggable).toBe(true);
    const outcome = await outcomeOf(warm, token, { policy: { mrsigner: [DEFAULT_MRSIGNER] } });
    expect(outcome === 'accepted' ? 'accepted' : outcome.code).toBe('ERR_POLICY_DENIED');
  });
});

describe('size', () => {
  it('refuses a token one byte over maxTokenBytes, before any I/O', async () => {
    const token = genuine(header(), payload({ nonce: 'n'.repeat(2000) }));
    await refusedBeforeIo(token, 'ERR_TOKEN_TOO_LARGE', { maxTokenBytes: token.length - 1 });
  });

  it('refuses a 16 MiB string quickly, before any I/O', async () => {
    await refusedBeforeIo('A'.repeat(16 * 1024 * 1024), 'ERR_TOKEN_TOO_LARGE');
  });

  it('refuses a genuine token with a 20 KB claim under the default limit, before any I/O', async () => {
    await refusedBeforeIo(genuine(header(), payload({ nonce: 'n'.repeat(20_000) })), 'ERR_TOKEN_TOO_LARGE');
  });

  it('refuses a genuine 100 000-digit measurement under a raised limit, and the message does not echo it', async () => {
    const error = await refusedWithoutFetch(
      genuine(header(), payload({ 'x-ms-sgx-mrenclave': 'a'.repeat(100_000) })),
      'ERR_CLAIM_INVALID',
      warmLarge,
    );
    expect(error.message).not.toContain('a'.repeat(100));
  });
});

describe('signature', () => {
  const parts = () => segmentsOf(genuine(header(), payload()));
  it.each([
    [
      'truncated by one byte',
      () => {
        const [h, p, s] = parts();
        return `${h}.${p}.${Buffer.from(s, 'base64url').subarray(0, 255).toString('base64url')}`;
      },
    ],
    [
      'truncated to 30 bytes',
      () => {
        const [h, p, s] = parts();
        return `${h}.${p}.${s.slice(0, 40)}`;
      },
    ],
    [
      'empty',
      () => {
        const [h, p] = parts();
        return `${h}.${p}.`;
      },
    ],
    [
      'borrowed from another genuine token',
      () => {
        const [h, p] = parts();
        return `${h}.${p}.${segmentsOf(maa.mint())[2]}`;
      },
    ],
    [
      'borrowed from the attacker instance',
      () => {
        const [h, p] = parts();
        return `${h}.${p}.${segmentsOf(attacker.mint())[2]}`;
      },
    ],
    [
      'one byte longer',
      () => {
        const [h, p, s] = parts();
        return `${h}.${p}.${Buffer.concat([Buffer.from(s, 'base64url'), Buffer.from([0])]).toString('base64url')}`;
      },
    ],
    [
      '256 zero bytes',
      () => {
        const [h, p] = parts();
        return `${h}.${p}.${Buffer.alloc(256).toString('base64url')}`;
      },
    ],
    [
      '256 0xff bytes',
      () => {
        const [h, p] = parts();
        return `${h}.${p}.${Buffer.alloc(256, 0xff).toString('base64url')}`;
      },
    ],
    [
      'the modulus itself',
      () => {
        const [h, p] = parts();
        return `${h}.${p}.${maa.publicKey().export({ format: 'jwk' }).n ?? ''}`;
      },
    ],
    ['made by the attacker key over the same input', () => forged(header(), payload())],
    [
      'valid for the payload of another token',
      () => {
        const [h, , s] = parts();
        return `${h}.${segmentsOf(maa.mint())[1]}.${s}`;
      },
    ],
  ])('refuses a signature %s, without a request', async (_name, token) => {
    await refusedWithoutFetch(token(), 'ERR_SIGNATURE_INVALID');
  });
});

describe('iss', () => {
  const port = () => new URL(maa.issuer).port;
  it.each([
    ['missing', () => undefined],
    ['a number', () => 1],
    ['an array of the trusted issuer', () => [maa.issuer]],
    ['an object', () => ({ iss: maa.issuer })],
    ['null', () => null],
    ['true', () => true],
    ['with a trailing slash', () => `${maa.issuer}/`],
    ['in another case', () => maa.issuer.toUpperCase()],
    ['with an upper-case scheme only', () => `HTTP://127.0.0.1:${port()}`],
    ['naming localhost', () => `http://localhost:${port()}`],
    ['on another port', () => `http://127.0.0.1:${Number(port()) === 1 ? 2 : 1}`],
    ['with a path', () => maa.jwksUri],
    ['with a query', () => `${maa.issuer}?`],
    ['with a fragment', () => `${maa.issuer}#`],
    ['with a trailing space', () => `${maa.issuer} `],
    ['with a NUL suffix', () => `${maa.issuer}\u0000`],
    ['with user info', () => `http://user@127.0.0.1:${port()}`],
    ['untrusted (the attacker host)', () => attacker.issuer],
  ])('refuses an attacker-signed token whose iss is %s, before any I/O', async (_name, iss) => {
    await refusedBeforeIo(forged(header({ jku: undefined }), payload({ iss: iss() })), 'ERR_ISSUER_UNTRUSTED');
  });

  it.each([
    ['another region', 'https://sharedeus.eus.attest.azure.net'],
    ['another cloud', 'https://sharedwus.wus.attest.azure.us'],
    ['the test environment', 'https://sharedwus.wus.test.attest.azure.net'],
    ['a look-alike suffix', 'https://sharedwus.wus.attest.azure.net.attacker.example'],
    ['a look-alike prefix', 'https://xsharedwus.wus.attest.azure.net'],
    ['an upper-case host', 'https://SHAREDWUS.wus.attest.azure.net'],
  ])('refuses a token from %s of a real-looking trusted instance, without any request', async (_name, iss) => {
    // The configured instance is remote; a MockAgent with no interceptors turns any request into a failure.
    const agent = new MockAgent();
    agent.disableNetConnect();
    try {
      const verifier = createVerifier({ issuers: ['https://sharedwus.wus.attest.azure.net'], dispatcher: agent });
      await refusal(forged(header({ jku: `${iss}/certs` }), payload({ iss })), 'ERR_ISSUER_UNTRUSTED', verifier);
    } finally {
      await agent.close();
    }
  });

  it('refuses a token for issuer A signed with a key only issuer B publishes, asking B nothing', async () => {
    const verifier = createVerifier({ issuers: [maa.issuer, issuerB.issuer], allowInsecureLoopback: true, fetchTimeoutMs: 500 });
    await verifier.warmUp();
    maa.resetCounters();
    issuerB.resetCounters();
    const token = signJws(header({ kid: issuerB.activeKid }), payload(), issuerB.privateKey());
    await refusal(token, 'ERR_KEY_NOT_FOUND', verifier);
    expect(issuerB.requests.total).toBe(0);
    expect(maa.requests.certs).toBeLessThanOrEqual(1);
    // B's own tokens verify: the key is fine, it is only scoped to B.
    expect((await accepted(issuerB.mint(), verifier)).issuer).toBe(issuerB.issuer);
  });

  it('refuses a token for issuer A whose jku names issuer B, before any I/O', async () => {
    const verifier = createVerifier({ issuers: [maa.issuer, issuerB.issuer], allowInsecureLoopback: true, fetchTimeoutMs: 500 });
    await refusal(
      signJws(header({ kid: issuerB.activeKid, jku: issuerB.jwksUri }), payload(), issuerB.privateKey()),
      'ERR_HEADER_INVALID',
      verifier,
    );
    expect(maa.requests.total + issuerB.requests.total).toBe(0);
  });
});

describe('time claims', () => {
  let at: Verifier;
  beforeAll(async () => {
    at = verifierFor({ now: () => NOW * 1000 });
    await at.warmUp();
  });
  const timed = (claims: Record<string, unknown>) => payload({ iat: NOW - 60, nbf: NOW - 60, exp: NOW + 3600, ...claims });

  it.each(
    ['exp', 'nbf', 'iat'].flatMap(
      (claim) =>
        [
          [claim, 'missing', undefined],
          [claim, 'a string', String(NOW)],
          [claim, 'negative', -1],
          [claim, 'null', null],
          [claim, 'a boolean', true],
          [claim, 'an array', [NOW]],
        ] as const,
    ),
  )('refuses %s %s (genuinely signed)', async (claim, _name, value) => {
    await refusedWithoutFetch(genuine(header(), timed({ [claim]: value })), 'ERR_CLAIM_INVALID', at);
  });

  it.each(['exp', 'nbf', 'iat'])('refuses %s = 1e400, which JSON.parse reads as Infinity (genuinely signed)', async (claim) => {
    const text = JSON.stringify(timed({})).replace(new RegExp(`"${claim}":\\d+`), `"${claim}":1e400`);
    expect(text).toContain(`"${claim}":1e400`);
    await refusedWithoutFetch(genuine(header(), raw(text)), 'ERR_CLAIM_INVALID', at);
  });

  it('refuses a token expired beyond the 30 s tolerance, and accepts one just inside it', async () => {
    await refusedWithoutFetch(genuine(header(), timed({ iat: NOW - 7200, nbf: NOW - 7200, exp: NOW - 30 })), 'ERR_TOKEN_EXPIRED', at);
    await refusedWithoutFetch(
      genuine(header(), timed({ iat: NOW - 40_000, nbf: NOW - 40_000, exp: NOW - 11_200 })),
      'ERR_TOKEN_EXPIRED',
      at,
    );
    await accepted(genuine(header(), timed({ iat: NOW - 7200, nbf: NOW - 7200, exp: NOW - 29 })), at);
  });

  it('refuses iat in the future beyond the tolerance, even with nbf in the past', async () => {
    await refusedWithoutFetch(genuine(header(), timed({ iat: NOW + 31 })), 'ERR_TOKEN_NOT_YET_VALID', at);
    await refusedWithoutFetch(genuine(header(), timed({ iat: NOW + 86_400, exp: NOW + 90_000 })), 'ERR_TOKEN_NOT_YET_VALID', at);
  });

  it('refuses nbf in the future beyond the tolerance', async () => {
    await refusedWithoutFetch(genuine(header(), timed({ nbf: NOW + 31 })), 'ERR_TOKEN_NOT_YET_VALID', at);
  });
});

describe('real MAA tokens that are not evidence', () => {
  const entries = manifest.filter((entry) => entry.certs !== null && (entry.attestationType === null || entry.alg === 'none'));
  const pinned = (entry: ManifestEntry, options: Partial<VerifierOptions> = {}) =>
    createVerifier({ issuers: [{ issuer: entry.issuer, jwks: fixtureJson(entry.certs!) }], now: clockAt(insideWindow(entry)), ...options });

  it('covers the three policy-management responses and the unsigned draft-policy token', () => {
    expect(entries.map((entry) => entry.token).sort()).toEqual([
      'cpp-policy-certificates-isolated-2022.jwt',
      'cpp-policy-get-sgx-shared-2022.jwt',
      'cpp-policy-set-result-aad-2022.jwt',
      'cpp-sgx-draftpolicy-unsigned-2022.jwt',
    ]);
  });

  it.each(entries.filter((entry) => entry.alg !== 'none').map((entry) => [entry.token, entry] as const))(
    'refuses the policy-management response %s (genuinely signed by MAA) as ERR_CLAIM_INVALID',
    async (_name, entry) => {
      await refusal(fixtureText(entry.token), 'ERR_CLAIM_INVALID', pinned(entry));
    },
  );

  it('refuses a policy-management response with x-ms-attestation-type spliced in (signature no longer valid)', async () => {
    const entry = entries.find((item) => item.token === 'cpp-policy-get-sgx-shared-2022.jwt')!;
    const [h, p, s] = segmentsOf(fixtureText(entry.token));
    await refusal(`${h}.${segment({ ...decodeSegment(p), 'x-ms-attestation-type': 'sgx' })}.${s}`, 'ERR_SIGNATURE_INVALID', pinned(entry));
  });

  it('refuses the real unsigned draft-policy token, even with every RSA algorithm allowed', async () => {
    const entry = entries.find((item) => item.alg === 'none')!;
    await refusal(fixtureText(entry.token), 'ERR_ALG_NOT_ALLOWED', pinned(entry, { algorithms: [...ALL_RSA] }));
  });

  it('refuses the real unsigned draft-policy token relabelled RS256', async () => {
    const entry = entries.find((item) => item.alg === 'none')!;
    const [h, p] = segmentsOf(fixtureText(entry.token));
    await refusal(`${segment({ ...decodeSegment(h), alg: 'RS256' })}.${p}.`, 'ERR_SIGNATURE_INVALID', pinned(entry));
  });
});

describe('debug enclaves', () => {
  it('verify accepts a debug enclave as authentic; a policy without allowDebug refuses it with ERR_POLICY_DENIED', async () => {
    const token = maa.mint({ 'x-ms-sgx-is-debuggable': true });
    expect((await accepted(token)).sgx?.isDebuggable).toBe(true);
    const denied = await outcomeOf(warm, token, { policy: { mrsigner: [DEFAULT_MRSIGNER] } });
    expect(denied === 'accepted' ? 'accepted' : denied.code).toBe('ERR_POLICY_DENIED');
    const skr = { anyOf: [{ authority: maa.issuer, allOf: [{ claim: 'x-ms-sgx-mrsigner', equals: DEFAULT_MRSIGNER }] }] };
    const deniedSkr = await outcomeOf(warm, token, { policy: skr });
    expect(deniedSkr === 'accepted' ? 'accepted' : deniedSkr.code).toBe('ERR_POLICY_DENIED');
    expect(await outcomeOf(warm, token, { policy: { mrsigner: [DEFAULT_MRSIGNER], allowDebug: true } })).toBe('accepted');
  });

  it.each(['tpm', 'SGX', 'sgx '])(
    'an attestation type without a typed view (%j) verifies as authentic, and a policy without allowDebug refuses it',
    async (type) => {
      // No typed view means no debug flag this library checks: verify says only "authentic", the policy fails closed.
      const token = maa.mint({ 'x-ms-attestation-type': type, tee: type });
      const result = await accepted(token);
      expect(result.sgx).toBeUndefined();
      const skr = { anyOf: [{ authority: maa.issuer, allOf: [{ claim: 'x-ms-sgx-mrsigner', equals: DEFAULT_MRSIGNER }] }] };
      const denied = await outcomeOf(warm, token, { policy: skr });
      expect(denied === 'accepted' ? 'accepted' : denied.code).toBe('ERR_POLICY_DENIED');
    },
  );

  it('a policy without allowDebug refuses the real debug-enclave token from West US', async () => {
    const entry = manifest.find((item) => item.token === 'cpp-sgx-shared-wus-2022.jwt')!;
    const policy = { mrsigner: ['4aea5f9a0ed04b11f889aadfe6a1d376213a29a95a85ce7337ae6f7fece6610c'] };
    const verifier = createVerifier({
      issuers: [{ issuer: entry.issuer, jwks: fixtureJson(entry.certs!) }],
      now: clockAt(insideWindow(entry)),
    });
    expect((await verifier.verify(fixtureText(entry.token))).sgx?.isDebuggable).toBe(true);
    const denied = await outcomeOf(verifier, fixtureText(entry.token), { policy });
    expect(denied === 'accepted' ? 'accepted' : denied.code).toBe('ERR_POLICY_DENIED');
  });
});

describe('typed SGX claims (genuinely signed)', () => {
  it.each([
    ['a string', '3'],
    ['a string of the default', '1'],
    ['a fraction', 1.5],
    ['negative', -1],
    ['above 65535', 65_536],
    ['2^53', 2 ** 53],
    ['null', null],
    ['a boolean', true],
    ['an array', [1]],
    ['an object', { value: 1 }],
  ])('refuses x-ms-sgx-svn as %s', async (_name, value) => {
    await refusedWithoutFetch(maa.mint({ 'x-ms-sgx-svn': value }), 'ERR_CLAIM_INVALID');
  });

  it.each([
    ['a string', '1'],
    ['above 65535', 70_000],
    ['a fraction', 0.5],
  ])('refuses x-ms-sgx-product-id as %s', async (_name, value) => {
    await refusedWithoutFetch(maa.mint({ 'x-ms-sgx-product-id': value }), 'ERR_CLAIM_INVALID');
  });

  it.each(
    ['x-ms-sgx-mrenclave', 'x-ms-sgx-mrsigner'].flatMap(
      (claim) =>
        [
          [claim, '63 hex digits', 'a'.repeat(63)],
          [claim, '65 hex digits', 'a'.repeat(65)],
          [claim, '128 hex digits', 'a'.repeat(128)],
          [claim, 'empty', ''],
          [claim, 'not hex', 'g'.repeat(64)],
          [claim, 'with a 0x prefix', `0x${'a'.repeat(62)}`],
          [claim, 'with a leading space', ` ${'a'.repeat(63)}`],
          [claim, 'with a trailing newline', `${'a'.repeat(63)}\n`],
          [claim, 'fullwidth digits', '０'.repeat(64)],
          [claim, 'Arabic-Indic digits', '٠'.repeat(64)],
          [claim, 'base64 of 32 bytes', Buffer.alloc(32, 7).toString('base64')],
          [claim, 'a number', 1],
          [claim, 'an array of hex', ['a'.repeat(64)]],
          [claim, 'null', null],
        ] as const,
    ),
  )('refuses %s as %s', async (claim, _name, value) => {
    await refusedWithoutFetch(maa.mint({ [claim]: value }), 'ERR_CLAIM_INVALID');
  });

  it('refuses x-ms-sgx-report-data of the wrong length and x-ms-sgx-is-debuggable as "false"', async () => {
    await refusedWithoutFetch(maa.mint({ 'x-ms-sgx-report-data': '0'.repeat(127) }), 'ERR_CLAIM_INVALID');
    await refusedWithoutFetch(maa.mint({ 'x-ms-sgx-is-debuggable': 'false' }), 'ERR_CLAIM_INVALID');
  });

  it('accepts upper-case hex measurements and hands them out lower-cased', async () => {
    const result = await accepted(maa.mint({ 'x-ms-sgx-mrsigner': DEFAULT_MRSIGNER.toUpperCase() }));
    expect(result.sgx?.mrsigner).toBe(DEFAULT_MRSIGNER);
  });
});

describe('legacy claims contradicting x-ms-* claims (genuinely signed)', () => {
  it.each([
    ['svn', { 'x-ms-sgx-svn': 2, svn: 1 }],
    ['svn as a string', { 'x-ms-sgx-svn': 2, svn: '2' }],
    ['svn null', { svn: null }],
    ['sgx-mrenclave', { 'sgx-mrenclave': 'b'.repeat(64) }],
    ['sgx-mrsigner', { 'sgx-mrsigner': 'ab'.repeat(32) }],
    ['sgx-mrsigner truncated', { 'sgx-mrsigner': DEFAULT_MRSIGNER.slice(0, 63) }],
    ['product-id', { 'product-id': 2 }],
    ['is-debuggable', { 'x-ms-sgx-is-debuggable': false, 'is-debuggable': true }],
    ['is-debuggable as a string', { 'is-debuggable': 'false' }],
    ['tee', { tee: 'sevsnpvm' }],
  ])('refuses a legacy %s that contradicts its x-ms-* claim', async (_name, claims) => {
    await refusedWithoutFetch(maa.mint(claims), 'ERR_CLAIM_INVALID');
  });

  it('accepts a legacy alias that agrees except for hex case', async () => {
    await accepted(maa.mint({ 'sgx-mrsigner': DEFAULT_MRSIGNER.toUpperCase() }));
  });
});

describe('tokens that are not strings', () => {
  const token = () => maa.mint();
  it.each([
    ['a Buffer', () => Buffer.from(token())],
    ['a Uint8Array', () => new TextEncoder().encode(token())],
    ['a String object', () => new String(token())],
    ['an object with toString', () => ({ toString: () => token() })],
    ['a number', () => 42],
    ['a bigint', () => 42n],
    ['true', () => true],
    ['an array of the token', () => [token()]],
    ['a Symbol', () => Symbol(token())],
    ['a function returning the token', () => () => token()],
    ['a promise of the token', () => Promise.resolve(token())],
    ['a Map', () => new Map([['token', token()]])],
    [
      'a Proxy that throws on every access',
      () =>
        new Proxy(
          {},
          {
            get: () => {
              throw new Error('touched');
            },
            has: () => {
              throw new Error('touched');
            },
          },
        ),
    ],
  ])('refuses %s as malformed, before any I/O', async (_name, value) => {
    await refusedBeforeIo(value(), 'ERR_TOKEN_MALFORMED');
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty string', ''],
  ])('refuses %s as missing, before any I/O', async (_name, value) => {
    await refusedBeforeIo(value, 'ERR_TOKEN_MISSING');
  });

  it('verifyCached answers undefined or throws an AttestationError for every non-string, never anything else', () => {
    const values: unknown[] = [Buffer.from(token()), 42, 42n, Symbol('x'), null, undefined, {}, [], () => token()];
    for (const value of values) {
      try {
        expect(warm.verifyCached(value)).toBeUndefined();
      } catch (error) {
        expect(error).toBeInstanceOf(AttestationError);
      }
    }
  });
});

describe('a flood of attacker-controlled kids and issuers', () => {
  it('1000 forged tokens with random kids and iss values cost at most one /certs request and none to the attacker', async () => {
    const verifier = cold();
    const tokens = Array.from({ length: 1000 }, (_, i) =>
      i % 2 === 0
        ? forged(header({ kid: `kid-${i}`, jku: undefined }), payload())
        : forged(header({ jku: `${attacker.issuer}/certs` }), payload({ iss: `${attacker.issuer}/${i}` })),
    );
    const started = performance.now();
    const codes = await Promise.all(
      tokens.map(async (token) => {
        const outcome = await outcomeOf(verifier, token);
        return outcome === 'accepted' ? 'accepted' : outcome.code;
      }),
    );
    expect(new Set(codes)).toEqual(new Set(['ERR_KEY_NOT_FOUND', 'ERR_ISSUER_UNTRUSTED']));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(maa.requests.certs).toBe(1);
    expect(attacker.requests.total).toBe(0);
  });
});

// Keys generated here only to show a second, unpublished key cannot sign for the issuer either.
describe('a key the issuer never published', () => {
  it('refuses a token naming the genuine kid but signed by a fresh key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await refusedWithoutFetch(signJws(header(), payload(), privateKey), 'ERR_SIGNATURE_INVALID');
  });
});
