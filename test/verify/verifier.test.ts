import { createHmac, createPublicKey, sign as cryptoSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createVerifier, verifyAttestationToken, type JsonWebKeySet, type Verifier, type VerifierOptions } from '../../src/index.js';
import { createTestAttestationService, type TestAttestationService } from '../../src/testing/index.js';
import { asyncOutcome, codeOf, refusalOf } from '../helpers/outcome.js';
import { RENAMED_OPTIONS } from '../../src/verify/options.js';
import { clockAt, fixtureJson } from '../helpers/fixtures.js';
import { MAA_MRSIGNERS } from '../../src/keys/maa-quote.js';

let maa: TestAttestationService;
let other: TestAttestationService;
let attackerKey: KeyObject;

beforeAll(async () => {
  [maa, other] = await Promise.all([createTestAttestationService(), createTestAttestationService()]);
  attackerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
});
afterAll(async () => {
  await Promise.all([maa.close(), other.close()]);
});
beforeEach(() => {
  maa.clearFaults();
  maa.resetCounters();
  other.resetCounters();
});

function verifierFor(options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true, ...options });
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const split = (token: string) => token.split('.') as [string, string, string];
function decode(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString()) as Record<string, unknown>;
}
/** Re-signs a token's header and payload with the attacker's key, keeping the header's kid. */
function resign(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject = attackerKey): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

describe('a token minted by the local MAA instance', () => {
  it('verifies, with typed SGX claims', async () => {
    const result = await verifierFor().verify(maa.mint());
    expect(result.issuer).toBe(maa.issuer);
    expect(result.attestationType).toBe('sgx');
    expect(result.sgx?.isDebuggable).toBe(false);
    expect(result.keyId).toBe(maa.activeKid);
  });
});

describe('check 1: the token is a compact JWS within maxTokenBytes', () => {
  it('refuses non-strings and oversized tokens', async () => {
    const verifier = verifierFor({ maxTokenBytes: 4096 });
    expect(await codeOf(verifier, Buffer.from(maa.mint()))).toBe('ERR_TOKEN_MALFORMED');
    expect(await codeOf(verifier, undefined)).toBe('ERR_TOKEN_MISSING');
    expect(await codeOf(verifier, maa.mint({ padding: 'x'.repeat(5000) }))).toBe('ERR_TOKEN_TOO_LARGE');
    expect(maa.requests.total).toBe(0);
  });
});

describe('check 2: the header', () => {
  it('refuses alg none, whatever the configuration', async () => {
    expect(await codeOf(verifierFor(), maa.mint({}, { alg: 'none' }))).toBe('ERR_ALG_NOT_ALLOWED');
    expect(() => verifierFor({ algorithms: ['none' as 'RS256'] })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('refuses HS256 keyed with the public key (algorithm confusion), whatever the configuration', async () => {
    const pem = maa.publicKey().export({ type: 'spki', format: 'pem' });
    const [header, payload] = split(maa.mint({}, { header: { alg: 'HS256' } }));
    const forged = `${header}.${payload}.${createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url')}`;
    expect(await codeOf(verifierFor(), forged)).toBe('ERR_ALG_NOT_ALLOWED');
    expect(() => verifierFor({ algorithms: ['HS256' as 'RS256'] })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('refuses an algorithm that is RSA but not allowed', async () => {
    expect(await codeOf(verifierFor(), maa.mint({}, { alg: 'PS256' }))).toBe('ERR_ALG_NOT_ALLOWED');
    expect(await codeOf(verifierFor({ algorithms: ['RS256', 'PS256'] }), maa.mint({}, { alg: 'PS256' }))).toBe('accepted');
  });

  it('never uses a key from the token: a header jwk or x5c of the attacker is refused', async () => {
    const attackerJwk = createPublicKey(attackerKey).export({ format: 'jwk' });
    const [headerSegment, payloadSegment] = split(maa.mint());
    const header = decode(headerSegment);
    const payload = decode(payloadSegment);
    expect(await codeOf(verifierFor(), resign({ ...header, jwk: attackerJwk }, payload))).toBe('ERR_HEADER_INVALID');
    expect(await codeOf(verifierFor(), resign({ ...header, x5c: [maa.certificate().base64] }, payload))).toBe('ERR_HEADER_INVALID');
    expect(await codeOf(verifierFor(), resign({ ...header, x5u: 'http://127.0.0.1:1/x.pem' }, payload))).toBe('ERR_HEADER_INVALID');
  });

  it('refuses a jku other than <iss>/certs, and never fetches it', async () => {
    const verifier = verifierFor();
    expect(await codeOf(verifier, maa.mint({}, { header: { jku: `${other.issuer}/certs` } }))).toBe('ERR_HEADER_INVALID');
    expect(await codeOf(verifier, maa.mint({}, { header: { jku: `${maa.issuer}/certs/` } }))).toBe('ERR_HEADER_INVALID');
    expect(other.requests.total + maa.requests.total).toBe(0);
    expect(await codeOf(verifier, maa.mint({}, { header: { jku: undefined } }))).toBe('accepted');
  });

  it('refuses crit, a foreign typ and a missing kid', async () => {
    expect(await codeOf(verifierFor(), maa.mint({}, { header: { crit: ['exp'] } }))).toBe('ERR_HEADER_INVALID');
    expect(await codeOf(verifierFor(), maa.mint({}, { header: { typ: 'at+jwt' } }))).toBe('ERR_HEADER_INVALID');
    expect(await codeOf(verifierFor(), maa.mint({}, { header: { kid: undefined } }))).toBe('ERR_HEADER_INVALID');
  });
});

describe('check 3: the issuer is exactly a configured one, decided before any I/O', () => {
  it.each([
    ['untrusted', () => other.issuer],
    ['with a trailing slash', () => `${maa.issuer}/`],
    ['in upper case', () => maa.issuer.toUpperCase()],
    ['not a string', () => [maa.issuer]],
    ['missing', () => undefined],
  ])('refuses an iss %s without a request', async (_name, iss) => {
    expect(await codeOf(verifierFor(), maa.mint({ iss: iss() }, { header: { jku: undefined } }))).toBe('ERR_ISSUER_UNTRUSTED');
    expect(maa.requests.total + other.requests.total).toBe(0);
  });

  it('normalises the configured issuer once (scheme and host case, trailing slash)', async () => {
    const verifier = createVerifier({ issuers: [`HTTP://127.0.0.1:${new URL(maa.issuer).port}/`], allowInsecureLoopback: true });
    expect(verifier.issuers).toEqual([maa.issuer]);
    expect(await codeOf(verifier, maa.mint())).toBe('accepted');
  });
});

describe('check 4: the key comes only from the issuer, scoped to it', () => {
  it('refuses a token for issuer A signed with a key only issuer B publishes', async () => {
    const verifier = createVerifier({ issuers: [maa.issuer, other.issuer], allowInsecureLoopback: true });
    const token = other.mint({ iss: maa.issuer }, { header: { jku: `${maa.issuer}/certs` } });
    expect(await codeOf(verifier, token)).toBe('ERR_KEY_NOT_FOUND');
    expect(await codeOf(verifier, other.mint())).toBe('accepted');
  });

  it('refetches once for an unknown kid and then gives up, within the refresh budget', async () => {
    const verifier = verifierFor();
    expect(await codeOf(verifier, maa.mint())).toBe('accepted');
    expect(maa.requests.certs).toBe(1);
    expect(await codeOf(verifier, maa.mint({}, { header: { kid: 'unknown-kid' } }))).toBe('ERR_KEY_NOT_FOUND');
    expect(maa.requests.certs).toBe(2);
    expect(await codeOf(verifier, maa.mint({}, { header: { kid: 'another-unknown-kid' } }))).toBe('ERR_KEY_NOT_FOUND');
    expect(maa.requests.certs).toBe(2);
  });

  it('picks up a rotated key on first sight', async () => {
    const service = await createTestAttestationService();
    try {
      const verifier = createVerifier({ issuers: [service.issuer], allowInsecureLoopback: true });
      expect(await codeOf(verifier, service.mint())).toBe('accepted');
      service.rotateKeys();
      expect(await codeOf(verifier, service.mint())).toBe('accepted');
      expect(service.requests.certs).toBe(2);
    } finally {
      await service.close();
    }
  });

  it('refuses a key below minRsaModulusBits with ERR_KEY_INVALID, and accepts it when lowered', async () => {
    const service = await createTestAttestationService({ modulusLength: 1024, keyCount: 1 });
    try {
      service.addKey({ modulusLength: 2048 });
      const strict = createVerifier({ issuers: [service.issuer], allowInsecureLoopback: true });
      expect(await codeOf(strict, service.mint())).toBe('ERR_KEY_INVALID');
      const lenient = createVerifier({ issuers: [service.issuer], allowInsecureLoopback: true, minRsaModulusBits: 1024 });
      expect(await codeOf(lenient, service.mint())).toBe('accepted');
    } finally {
      await service.close();
    }
  });

  it('answers ERR_METADATA_UNAVAILABLE when the issuer cannot be reached', async () => {
    maa.setFault('all', { status: 500 });
    expect(await codeOf(verifierFor(), maa.mint())).toBe('ERR_METADATA_UNAVAILABLE');
  });

  it('falls back to <issuer>/certs when discovery fails', async () => {
    maa.setFault('discovery', { status: 404 });
    expect(await codeOf(verifierFor(), maa.mint())).toBe('accepted');
    expect(maa.requests.certs).toBe(1);
  });

  it('refuses a discovery document pointing jwks_uri at another origin, without fetching it', async () => {
    maa.setFault('discovery', { body: JSON.stringify({ issuer: maa.issuer, jwks_uri: `${other.issuer}/certs` }) });
    expect(await codeOf(verifierFor(), maa.mint())).toBe('ERR_METADATA_UNAVAILABLE');
    expect(other.requests.total).toBe(0);
  });
});

describe('check 5: the signature', () => {
  it('refuses a forgery that names a genuine kid', async () => {
    expect(await codeOf(verifierFor(), maa.mint({}, { signingKey: attackerKey }))).toBe('ERR_SIGNATURE_INVALID');
  });

  it('refuses an edited payload, a truncated, an empty and a borrowed signature', async () => {
    const [header, payload, signature] = split(maa.mint());
    const edited = b64({ ...decode(payload), 'x-ms-sgx-svn': 9, svn: 9 });
    const [, otherPayload, otherSignature] = split(maa.mint({ 'x-ms-sgx-svn': 2, svn: 2 }));
    expect(await codeOf(verifierFor(), `${header}.${edited}.${signature}`)).toBe('ERR_SIGNATURE_INVALID');
    expect(await codeOf(verifierFor(), `${header}.${payload}.${signature.slice(0, 40)}`)).toBe('ERR_SIGNATURE_INVALID');
    expect(await codeOf(verifierFor(), `${header}.${payload}.`)).toBe('ERR_SIGNATURE_INVALID');
    expect(await codeOf(verifierFor(), `${header}.${payload}.${otherSignature}`)).toBe('ERR_SIGNATURE_INVALID');
    expect(await codeOf(verifierFor(), `${header}.${otherPayload}.${otherSignature}`)).toBe('accepted');
  });
});

describe('check 6: time', () => {
  const now = 1_800_000_000;
  const at = (seconds: number) => verifierFor({ now: clockAt(new Date(seconds * 1000)) });

  it('accepts within exp, with the clock tolerance, and refuses beyond it', async () => {
    const token = maa.mint({}, { iat: now - 1000, lifetimeSeconds: 1000 });
    expect(await codeOf(at(now - 1), token)).toBe('accepted');
    expect(await codeOf(at(now + 29), token)).toBe('accepted');
    expect(await codeOf(at(now + 30), token)).toBe('ERR_TOKEN_EXPIRED');
    expect(await codeOf(verifierFor({ now: () => (now + 5) * 1000, clockToleranceSeconds: 0 }), token)).toBe('ERR_TOKEN_EXPIRED');
  });

  it('refuses nbf and iat in the future beyond the tolerance', async () => {
    expect(await codeOf(at(now), maa.mint({}, { iat: now + 31 }))).toBe('ERR_TOKEN_NOT_YET_VALID');
    expect(await codeOf(at(now), maa.mint({}, { iat: now + 29 }))).toBe('accepted');
    expect(await codeOf(at(now), maa.mint({ nbf: now - 10 }, { iat: now + 100 }))).toBe('ERR_TOKEN_NOT_YET_VALID');
  });

  it('refuses a token older than maxTokenAge', async () => {
    const token = maa.mint({}, { iat: now - 3600 });
    expect(await codeOf(verifierFor({ now: clockAt(new Date(now * 1000)), maxTokenAgeSeconds: 600 }), token)).toBe('ERR_TOKEN_TOO_OLD');
    expect(await codeOf(verifierFor({ now: clockAt(new Date(now * 1000)), maxTokenAgeSeconds: 7200 }), token)).toBe('accepted');
  });

  it.each(['exp', 'nbf', 'iat'])('refuses a missing or non-numeric %s', async (claim) => {
    expect(await codeOf(at(now), maa.mint({ [claim]: undefined }, { iat: now }))).toBe('ERR_CLAIM_INVALID');
    expect(await codeOf(at(now), maa.mint({ [claim]: String(now) }, { iat: now }))).toBe('ERR_CLAIM_INVALID');
    expect(await codeOf(at(now), maa.mint({ [claim]: -1 }, { iat: now }))).toBe('ERR_CLAIM_INVALID');
    expect(await codeOf(at(now), maa.mint({ [claim]: 1e20 }, { iat: now }))).toBe('ERR_CLAIM_INVALID');
  });
});

describe('check 7: it is an attestation result', () => {
  it('refuses a validly signed token without x-ms-attestation-type (a policy-management response)', async () => {
    expect(await codeOf(verifierFor(), maa.mint({ 'x-ms-attestation-type': undefined }))).toBe('ERR_CLAIM_INVALID');
  });

  it('refuses an x-ms-ver other than "1.0"', async () => {
    expect(await codeOf(verifierFor(), maa.mint({ 'x-ms-ver': '2.0' }))).toBe('ERR_CLAIM_INVALID');
    expect(await codeOf(verifierFor(), maa.mint({ 'x-ms-ver': 1 }))).toBe('ERR_CLAIM_INVALID');
  });
});

describe('check 8: typed, strict claims', () => {
  it.each([
    ['x-ms-sgx-svn', '3'],
    ['x-ms-sgx-is-debuggable', 'false'],
    ['x-ms-sgx-is-debuggable', 0],
    ['x-ms-sgx-product-id', 70000],
    ['x-ms-sgx-mrenclave', 'abc'],
  ])('refuses %s = %j', async (claim, value) => {
    expect(await codeOf(verifierFor(), maa.mint({ [claim]: value }))).toBe('ERR_CLAIM_INVALID');
  });

  it('refuses a legacy alias that contradicts its x-ms claim', async () => {
    expect(await codeOf(verifierFor(), maa.mint({ 'x-ms-sgx-svn': 2, svn: 1 }))).toBe('ERR_CLAIM_INVALID');
    expect(await codeOf(verifierFor(), maa.mint({ 'x-ms-sgx-is-debuggable': false, 'is-debuggable': true }))).toBe('ERR_CLAIM_INVALID');
  });
});

describe('options are validated once, at construction', () => {
  it.each([
    ['no issuers', { issuers: [] }],
    ['plain http without allowInsecureLoopback', { issuers: ['http://127.0.0.1:1'] }],
    ['plain http on a non-loopback host', { issuers: ['http://example.wus.attest.azure.net'], allowInsecureLoopback: true }],
    ['another scheme', { issuers: ['ftp://example.wus.attest.azure.net'] }],
    ['a relative URL', { issuers: ['example.wus.attest.azure.net'] }],
    ['credentials in the URL', { issuers: ['https://user:pw@example.wus.attest.azure.net'] }],
    ['a query', { issuers: ['https://example.wus.attest.azure.net?x=1'] }],
    ['a duplicate issuer', { issuers: ['https://a.attest.azure.net', 'https://A.attest.azure.net/'] }],
    ['a negative clockTolerance', { issuers: ['https://a.attest.azure.net'], clockToleranceSeconds: -1 }],
    ['a zero maxTokenBytes', { issuers: ['https://a.attest.azure.net'], maxTokenBytes: 0 }],
    ['a bad now', { issuers: ['https://a.attest.azure.net'], now: 5 }],
    ['a pinned JWKS without a usable key', { issuers: [{ issuer: 'https://a.attest.azure.net', jwks: { keys: [] } }] }],
  ])('refuses %s', (_name, options) => {
    expect(() => createVerifier(options as unknown as VerifierOptions)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it.each(Object.entries(RENAMED_OPTIONS))('refuses the old name %s, naming %s instead of ignoring it', (old, renamed) => {
    const error = refusalOf(
      () => createVerifier({ issuers: ['https://a.attest.azure.net'], [old]: 1 } as unknown as VerifierOptions),
      'ERR_CONFIG_INVALID',
    );
    expect(error.message).toContain(`\`${renamed}\``);
    expect(error.message).toContain(`\`${old}\``);
  });

  it('accepts https issuers and http on loopback with allowInsecureLoopback', () => {
    expect(createVerifier({ issuers: ['https://Example.WUS.attest.azure.net/'] }).issuers).toEqual([
      'https://example.wus.attest.azure.net',
    ]);
    expect(createVerifier({ issuers: ['http://localhost:8080'], allowInsecureLoopback: true }).issuers).toEqual(['http://localhost:8080']);
  });
});

describe('verifyAttestationToken, the one-shot form', () => {
  it('verifies and reuses cached keys across calls', async () => {
    const options = { issuers: [maa.issuer], allowInsecureLoopback: true };
    await verifyAttestationToken(maa.mint(), options);
    await verifyAttestationToken(maa.mint(), options);
    await verifyAttestationToken(maa.mint(), { ...options });
    expect(maa.requests.certs).toBeLessThanOrEqual(1);
  });

  it('verifies with a pinned JWKS without any request', async () => {
    const result = await verifyAttestationToken(maa.mint(), {
      issuers: [{ issuer: maa.issuer, jwks: maa.publicJwks() }],
      allowInsecureLoopback: true,
    });
    expect(result.issuer).toBe(maa.issuer);
    expect(maa.requests.total).toBe(0);
  });

  it("checks keys at each call's now: a key source is shared only between calls that would build the same one", async () => {
    // The 2020 key's PCK certificate expires on 2027-05-27: loaded at a 2020 date the key is usable, at a
    // 2027 date the pinned set has no usable key. One JWKS object, so both calls share a cache scope.
    const jwks = fixtureJson<JsonWebKeySet>('azsamples-uks-2020.certs.json');
    const at = (iso: string): VerifierOptions => ({
      now: clockAt(new Date(iso)),
      minRsaModulusBits: 1024,
      issuers: [
        { issuer: 'https://gnkuks001.uks.attest.azure.net', jwks, signer: { mrsigner: [MAA_MRSIGNERS.before2021], allowDebug: true } },
      ],
    });
    expect(await asyncOutcome(() => verifyAttestationToken('not-a-token', at('2020-07-01T00:00:00Z')))).toBe('ERR_TOKEN_MALFORMED');
    expect(await asyncOutcome(() => verifyAttestationToken('not-a-token', at('2027-06-01T00:00:00Z')))).toBe('ERR_CONFIG_INVALID');
    // Each `now` function is its own scope: the key is checked at the time it returns.
    const later = { ...at('2020-07-01T00:00:00Z'), now: () => Date.parse('2027-06-01T00:00:00Z') };
    expect(await asyncOutcome(() => verifyAttestationToken('not-a-token', later))).toBe('ERR_CONFIG_INVALID');
  });
});
