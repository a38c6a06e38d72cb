/**
 * Signer-pinned issuers verify the quote in each signing certificate up to Intel's root before using the
 * key: the genuine MAA keys of 2020–2024 pass; copied and fabricated quotes are skipped at their step.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { X509Certificate } from 'node:crypto';
import { SignJWT } from 'jose';
import { MockAgent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src/diagnostics.js';
import { createVerifier } from '../../src/index.js';
import { findExtension } from '../../src/util/der.js';
import { certificateToPem } from '../../src/keys/maa-kid.js';
import { importKeySet } from '../../src/keys/import.js';
import { MAA_MRSIGNERS, MAA_QUOTE_EXTENSION_OID, verifyMaaSigningCertificate, type SignerPin } from '../../src/keys/maa-quote.js';
import { PinnedKeySource } from '../../src/keys/pinned.js';
import { reportKey } from '../../src/keys/signing-key.js';
import { createSelfSignedCertificate } from '../../src/testing/certificate.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { asyncOutcome } from '../helpers/outcome.js';
import { rsaKey, type TestKey } from '../helpers/keys.js';
import { collateralFor, makeQuote, makeWorld, openEnclaveReport } from '../sgx/helpers/pki.js';
import { realCertificateQuotes } from '../sgx/helpers/real.js';

const ANY_MAA: SignerPin = { mrsigner: [MAA_MRSIGNERS.since2021, MAA_MRSIGNERS.before2021], allowDebug: true };
const SHARED_WUS = 'https://sharedwus.wus.attest.azure.net';
const NOW = Date.parse('2026-12-01T00:00:00Z');
const options = { minRsaModulusBits: 1024, errorCode: 'ERR_CONFIG_INVALID' as const, signer: ANY_MAA, verificationTime: () => NOW };

interface Jwks {
  keys: Record<string, unknown>[];
}

/** The issuer an MAA certificate names (its CN). */
function issuerOf(certificate: string): string {
  return new X509Certificate(certificateToPem(certificate)).subject.slice(3).replace(/\/$/, '');
}

let key: TestKey;
beforeAll(() => {
  key = rsaKey();
});

const skipped: { kid?: string; reason: string; step?: string }[] = [];
const listener = (message: unknown) => skipped.push(message as (typeof skipped)[number]);
beforeAll(() => subscribe(CHANNELS.keySkipped, listener));
afterAll(() => unsubscribe(CHANNELS.keySkipped, listener));
afterEach(() => {
  skipped.length = 0;
});

/** An MAA-shaped certificate for `key` whose extension carries `value`. */
function maaCertificate(value: Buffer, issuer = SHARED_WUS): string {
  return createSelfSignedCertificate({
    commonName: issuer,
    privateKey: key.privateKey,
    extensions: [{ oid: MAA_QUOTE_EXTENSION_OID, value }],
  }).base64;
}

/** A quote that binds `key` and names MAA's signer, fabricated under a self-made root with Intel's names. */
function fabricatedCertificate(world = makeWorld()): string {
  const reportData = Buffer.from(key.kid, 'base64');
  return maaCertificate(openEnclaveReport(makeQuote(world, { reportData, mrsigner: MAA_MRSIGNERS.since2021 })));
}

function copiedCertificate(): string {
  const real = realCertificateQuotes().find(({ file }) => file.includes('2024'))!;
  return maaCertificate(Buffer.from(findExtension(Buffer.from(real.certificate, 'base64'), MAA_QUOTE_EXTENSION_OID)!.value));
}

describe('genuine MAA signing keys of 2020–2024', () => {
  const real = realCertificateQuotes();

  it.each(real.map(({ file, kid, certificate }) => [file, kid, certificate]))(
    '%s %s verifies to Intel and is usable',
    (_file, kid, certificate) => {
      const issuer = issuerOf(certificate);
      const set = importKeySet({ keys: [{ kid, kty: 'RSA', x5c: [certificate] }] }, issuer, options);
      const usable = set.keys.get(kid);
      expect(usable?.enclave?.verification.verifiedToIntelRoot).toBe(true);
      expect(usable?.enclave?.verification.collateral).toBeUndefined();
      const report = reportKey(usable!);
      expect(report.enclave).toMatchObject({
        verifiedToIntelRoot: true,
        productId: 1,
        tcbStatus: 'not-checked',
        qeTcbStatus: 'not-checked',
        revocation: 'not-checked',
      });
      expect(report.enclave?.pckNotAfter.getTime()).toBeGreaterThan(NOW);
    },
  );

  it('reports each key of a pinned JWKS in keyStatus(): identity, PCK validity, what was not checked', () => {
    const source = new PinnedKeySource('https://gnkuks001.uks.attest.azure.net', fixtureJson('azsamples-uks-2020.certs.json'), {
      ...options,
    });
    const status = source.status();
    expect(status.keys).toEqual([
      {
        kid: 'KQFAHrk1xALKHBD4b4u7TCvCJ1Mw0MlYZe+rxdePOtg=',
        modulusBits: 1024,
        enclave: {
          verifiedToIntelRoot: true,
          mrsigner: MAA_MRSIGNERS.before2021,
          mrenclave: '600f7ba9e063e3e35f414ca38f445e9b0641ea4b1a724a5f4dd6bca1b326e371',
          productId: 1,
          svn: 1,
          isDebuggable: true,
          extensionOid: '1.2.840.113556.10.1.1',
          pckIssuingCa: 'processor',
          pckNotBefore: new Date('2020-05-27T09:24:58Z'),
          pckNotAfter: new Date('2027-05-27T09:24:58Z'),
          verifiedAt: new Date(NOW),
          tcbStatus: 'not-checked',
          qeTcbStatus: 'not-checked',
          revocation: 'not-checked',
        },
      },
    ]);
    // The three "Microsoft Azure Attestation 20xx" chain keys are skipped, with why.
    expect(status.skippedKeys.map(({ reason }) => reason)).toEqual(status.skippedKeyIds.map(() => expect.stringMatching(/chain/)));
  });

  it('checks PCK validity at the verification time: the 2020 key is refused once its PCK certificate has expired', () => {
    const jwks = fixtureJson('azsamples-uks-2020.certs.json');
    expect(() =>
      importKeySet(jwks, 'https://gnkuks001.uks.attest.azure.net', {
        ...options,
        verificationTime: () => Date.parse('2027-06-01T00:00:00Z'),
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    expect(skipped.find((entry) => entry.kid === 'KQFAHrk1xALKHBD4b4u7TCvCJ1Mw0MlYZe+rxdePOtg=')).toMatchObject({
      step: 'pck-chain',
      reason: expect.stringMatching(/^pck-chain: the PCK certificate is not valid/),
    });
  });
});

describe('the verifier checks PCK validity at its now', () => {
  const issuer = 'https://gnkuks001.uks.attest.azure.net';
  const config = (at: Date) => ({
    now: () => at.getTime(),
    minRsaModulusBits: 1024,
    issuers: [
      {
        issuer,
        jwks: fixtureJson('azsamples-uks-2020.certs.json') as never,
        signer: { mrsigner: [MAA_MRSIGNERS.before2021], allowDebug: true },
      },
    ],
  });

  it('accepts the 2020 key at a date inside its PCK validity, and refuses it after 2027-05-27', () => {
    expect(createVerifier(config(new Date('2020-07-01T00:00:00Z'))).keyStatus()[0]?.keys[0]?.enclave?.verifiedAt).toEqual(
      new Date('2020-07-01T00:00:00Z'),
    );
    expect(() => createVerifier(config(new Date('2027-06-01T00:00:00Z')))).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });
});

describe('a pinned key is not used once its MAA enclave verification runs out', () => {
  it('serves the 2020 key while its PCK chain is valid, and refuses it after, without reloading the set', async () => {
    const issuer = 'https://gnkuks001.uks.attest.azure.net';
    const jwks = fixtureJson<Jwks>('azsamples-uks-2020.certs.json');
    let now = Date.parse('2020-07-01T00:00:00Z');
    const source = new PinnedKeySource(issuer, jwks, {
      minRsaModulusBits: 1024,
      signer: { mrsigner: [MAA_MRSIGNERS.before2021], allowDebug: true },
      verificationTime: () => now,
    });
    const kid = source.status().keyIds[0]!;
    expect(source.peekKey(kid)).toBeDefined();
    expect(source.peekKey(kid)?.enclave?.verification.validUntil.toISOString()).toMatch(/^2027-05-27/);
    now = Date.parse('2027-06-01T00:00:00Z');
    expect(source.peekKey(kid)).toBeUndefined();
    await expect(source.getKey(kid)).rejects.toMatchObject({
      code: 'ERR_KEY_INVALID',
      message: expect.stringMatching(/expired at 2027-05-27/),
    });
  });
});

describe('forged signing keys are skipped at the step that fails', () => {
  const companion = () => fixtureJson<Jwks>('cpp-metadata-shared-wus-2022.certs.json').keys;

  it.each([
    ['a real quote copied into a certificate for another key', copiedCertificate, 'key-binding'],
    ['a quote fabricated under a self-made root with Intel names', () => fabricatedCertificate(), 'pck-chain'],
  ] as const)('%s: step %s', (_what, make, step) => {
    const set = importKeySet({ keys: [...companion(), { kid: key.kid, kty: 'RSA', x5c: [make()] }] }, SHARED_WUS, options);
    expect(set.keys.has(key.kid)).toBe(false);
    expect(set.invalid.get(key.kid)).toMatch(new RegExp(`^${step}: `));
    expect(skipped.find((entry) => entry.kid === key.kid)).toMatchObject({ step });
    // The genuine key beside it stays usable.
    expect(set.keys.size).toBe(1);
  });

  it('a certificate without the quote extension: step quote-extension', () => {
    const plain = createSelfSignedCertificate({ commonName: SHARED_WUS, privateKey: key.privateKey }).base64;
    const set = importKeySet({ keys: [...companion(), { kid: key.kid, kty: 'RSA', x5c: [plain] }] }, SHARED_WUS, options);
    expect(set.invalid.get(key.kid)).toMatch(/^quote-extension: /);
  });

  it('the fabricated quote passes every step under its own root, so only the pinned root key stops it', () => {
    const world = makeWorld();
    const certificate = fabricatedCertificate(world);
    const at = new Date(NOW);
    const verified = verifyMaaSigningCertificate(
      certificate,
      key.publicKey,
      key.kid,
      { mrsigner: [MAA_MRSIGNERS.since2021] },
      { at, rootSpkiSha256: world.root.spkiSha256, collateral: collateralFor(world) },
    );
    expect(verified).toMatchObject({
      mrsigner: MAA_MRSIGNERS.since2021,
      verification: { verifiedToIntelRoot: true, collateral: { tcbStatus: 'UpToDate', qeTcbStatus: 'UpToDate' } },
    });
    expect(verifyMaaSigningCertificate(certificate, key.publicKey, key.kid, { mrsigner: [MAA_MRSIGNERS.since2021] }, { at })).toMatchObject(
      { step: 'pck-chain' },
    );
    // And with collateral revoking its PCK certificate, revocation is the step that fails.
    const revoked = verifyMaaSigningCertificate(certificate, key.publicKey, key.kid, undefined, {
      at,
      rootSpkiSha256: world.root.spkiSha256,
      collateral: collateralFor(world, { pckRevoked: [world.pck.serial] }),
    });
    expect(revoked).toMatchObject({ step: 'revocation' });
    // A pin the enclave does not match is the last step.
    expect(
      verifyMaaSigningCertificate(
        certificate,
        key.publicKey,
        key.kid,
        { mrsigner: [MAA_MRSIGNERS.before2021] },
        { at, rootSpkiSha256: world.root.spkiSha256 },
      ),
    ).toMatchObject({ step: 'signer-pin' });
    expect(
      verifyMaaSigningCertificate(certificate, rsaKey().publicKey, key.kid, undefined, { at, rootSpkiSha256: world.root.spkiSha256 }),
    ).toMatchObject({ step: 'key-binding' });
  });
});

describe('stable codes for a set left without usable keys, and for a token naming a forged key', () => {
  const forgedJwks = () => ({ keys: [{ kid: key.kid, kty: 'RSA', x5c: [fabricatedCertificate()] }] });

  it('a pinned JWKS with only forged keys: ERR_CONFIG_INVALID', () => {
    expect(() =>
      createVerifier({ issuers: [{ issuer: SHARED_WUS, jwks: forgedJwks() as never, signer: { mrsigner: [MAA_MRSIGNERS.since2021] } }] }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  async function withMockIssuer(jwks: unknown, run: (agent: MockAgent) => Promise<void>): Promise<void> {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const pool = agent.get(SHARED_WUS);
    const json = { headers: { 'content-type': 'application/json' } };
    pool
      .intercept({ path: '/.well-known/openid-configuration', method: 'GET' })
      .reply(200, JSON.stringify(fixtureJson('cpp-metadata-shared-wus-2022.openid-configuration.json')), json)
      .persist();
    pool.intercept({ path: '/certs', method: 'GET' }).reply(200, JSON.stringify(jwks), json).persist();
    try {
      await run(agent);
    } finally {
      await agent.close();
    }
  }

  const token = async () =>
    new SignJWT({ 'x-ms-attestation-type': 'sgx' })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
      .setIssuer(SHARED_WUS)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('1h')
      .sign(key.privateKey);

  it('a fetched JWKS with only forged keys: ERR_METADATA_UNAVAILABLE', async () => {
    await withMockIssuer(forgedJwks(), async (dispatcher) => {
      const verifier = createVerifier({ dispatcher, issuers: [{ issuer: SHARED_WUS, signer: { mrsigner: [MAA_MRSIGNERS.since2021] } }] });
      expect(await asyncOutcome(async () => verifier.verify(await token()))).toBe('ERR_METADATA_UNAVAILABLE');
    });
  });

  it('a token naming a forged key beside genuine ones: ERR_KEY_INVALID', async () => {
    const jwks = { keys: [...fixtureJson<Jwks>('cpp-metadata-shared-wus-2022.certs.json').keys, ...forgedJwks().keys] };
    await withMockIssuer(jwks, async (dispatcher) => {
      const verifier = createVerifier({
        dispatcher,
        issuers: [{ issuer: SHARED_WUS, signer: { mrsigner: [MAA_MRSIGNERS.since2021], allowDebug: true } }],
      });
      expect(await asyncOutcome(async () => verifier.verify(await token()))).toBe('ERR_KEY_INVALID');
      const [status] = verifier.keyStatus();
      expect(status?.skippedKeys.find((entry) => entry.kid === key.kid)?.reason).toMatch(/^pck-chain: /);
      expect(status?.keys.every((entry) => entry.enclave?.verifiedToIntelRoot === true)).toBe(true);
    });
    const pinned = createVerifier({
      issuers: [{ issuer: SHARED_WUS, jwks: jwks as never, signer: { mrsigner: [MAA_MRSIGNERS.since2021], allowDebug: true } }],
    });
    expect(await asyncOutcome(async () => pinned.verify(await token()))).toBe('ERR_KEY_INVALID');
  });

  it('refuses malformed collateral in the signer pin at construction', () => {
    expect(() =>
      createVerifier({
        issuers: [{ issuer: SHARED_WUS, signer: { mrsigner: [MAA_MRSIGNERS.since2021], collateral: { tcbInfos: 'x' } as never } }],
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID', message: expect.stringMatching(/collateral tcbInfos/) }));
  });
});
