import { MockAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { createVerifier, type VerifierOptions } from '../../src/index.js';
import { clockAt, expectedOutcome, fixtureJson, fixtureText, insideWindow, manifest, type ManifestEntry } from '../helpers/fixtures.js';
import { ACCEPTED, asyncOutcome as outcome } from '../helpers/outcome.js';

/** The code each manifest outcome must produce; `accepted` resolves. */
const REJECTION: Record<string, string> = {
  'policy-management': 'ERR_CLAIM_INVALID',
  unsigned: 'ERR_ALG_NOT_ALLOWED',
};

const verifiable = manifest.filter((entry) => entry.certs !== null);

function baseOptions(entry: ManifestEntry): Omit<VerifierOptions, 'issuers'> {
  // The March 2022 key set also lists a 1024-bit key; the token itself is signed by a 2048-bit key.
  return { now: clockAt(insideWindow(entry)) };
}

function expectedCode(entry: ManifestEntry): string {
  const kind = expectedOutcome(entry);
  return kind === 'accept' ? ACCEPTED : (REJECTION[kind] ?? 'unexpected');
}

describe('real MAA tokens reach their manifest outcome', () => {
  it('covers every verifiable token in the manifest', () => {
    expect(verifiable.length).toBeGreaterThanOrEqual(11);
  });

  describe.each(verifiable.map((entry) => [entry.token, entry] as const))('%s', (_name, entry) => {
    const token = fixtureText(entry.token);
    const jwks = fixtureJson<{ keys: Record<string, unknown>[] }>(entry.certs!);

    it('with the pinned JWKS', async () => {
      const verifier = createVerifier({ ...baseOptions(entry), issuers: [{ issuer: entry.issuer, jwks }] });
      expect(await outcome(() => verifier.verify(token))).toBe(expectedCode(entry));
    });

    it('with the recorded /certs served at the real instance URL through a MockAgent', async () => {
      const agent = new MockAgent();
      agent.disableNetConnect();
      const pool = agent.get(entry.issuer);
      const discovery = fixtureText(
        entry.issuer.includes('cplarryoattestationaad')
          ? 'cpp-metadata-aad-wus-2022.openid-configuration.json'
          : 'cpp-metadata-shared-wus-2022.openid-configuration.json',
      )
        .replaceAll('https://sharedwus.wus.attest.azure.net', entry.issuer)
        .replaceAll('https://cplarryoattestationaad.wus.attest.azure.net', entry.issuer);
      pool
        .intercept({ path: '/.well-known/openid-configuration', method: 'GET' })
        .reply(200, discovery, { headers: { 'content-type': 'application/json' } });
      pool
        .intercept({ path: '/certs', method: 'GET' })
        .reply(200, JSON.stringify(jwks), { headers: { 'content-type': 'application/json' } });
      const verifier = createVerifier({ ...baseOptions(entry), issuers: [entry.issuer], dispatcher: agent });
      expect(await outcome(() => verifier.verify(token))).toBe(expectedCode(entry));
      await agent.close();
    });
  });

  it('an accepted SGX token exposes its typed claims', async () => {
    const entry = manifest.find((item) => item.token === 'cpp-sgx-shared-wus-2022.jwt')!;
    const verifier = createVerifier({
      now: clockAt(insideWindow(entry)),
      issuers: [{ issuer: entry.issuer, jwks: fixtureJson(entry.certs!) }],
    });
    const result = await verifier.verify(fixtureText(entry.token));
    expect(result.issuer).toBe('https://sharedwus.wus.attest.azure.net');
    expect(result.attestationType).toBe('sgx');
    expect(result.keyId).toBe(entry.kid);
    expect(result.issuedAt.getTime()).toBe(entry.iat * 1000);
    expect(result.expiresAt.getTime()).toBe(entry.exp * 1000);
    expect(result.sgx?.mrenclave).toBe('292a1f4b519e46627eb2478a3d9851405653c5b4b0a6925de843834d9216850e');
    expect(result.sgx?.svn).toBe(1);
    expect(result.sgx?.isDebuggable).toBe(true);
    expect(result.policyHash).toBe('bROrN897ZfWmWY2V0FLUlu3uwk5xatGnKYHn3zBbSlw');
    expect(Object.isFrozen(result.claims)).toBe(true);
    expect(Object.isFrozen(result.claims['x-ms-sgx-collateral'])).toBe(true);
  });

  it('an accepted azurevm token exposes the nested SEV-SNP evidence', async () => {
    const entry = manifest.find((item) => item.attestationType === 'azurevm' && item.certs !== null)!;
    const verifier = createVerifier({
      now: clockAt(insideWindow(entry)),
      issuers: [{ issuer: entry.issuer, jwks: fixtureJson(entry.certs!) }],
    });
    const result = await verifier.verify(fixtureText(entry.token));
    expect(result.attestationType).toBe('azurevm');
    expect(result.azurevm?.isolationTee.attestationType).toBe('sevsnpvm');
    expect(result.azurevm?.isolationTee.sevsnp?.launchMeasurement).toMatch(/^[0-9a-f]{96}$/);
  });

  it('a real token outside its validity window is refused as expired', async () => {
    const entry = manifest.find((item) => item.token === 'cpp-sgx-shared-wus-2022.jwt')!;
    const verifier = createVerifier({ issuers: [{ issuer: entry.issuer, jwks: fixtureJson(entry.certs!) }] });
    expect(await outcome(() => verifier.verify(fixtureText(entry.token)))).toBe('ERR_TOKEN_EXPIRED');
  });

  it('a real token is refused by a verifier that trusts another instance of the same region (same key)', async () => {
    const entry = manifest.find((item) => item.token === 'cpp-sgx-shared-wus-2022.jwt')!;
    const other = manifest.find((item) => item.token === 'cpp-sgx-runtimebinary-isolated-2022.jwt')!;
    expect(other.kid).toBe(entry.kid);
    const verifier = createVerifier({
      now: clockAt(insideWindow(entry)),
      issuers: [{ issuer: other.issuer, jwks: fixtureJson(other.certs!) }],
    });
    expect(await outcome(() => verifier.verify(fixtureText(entry.token)))).toBe('ERR_ISSUER_UNTRUSTED');
  });

  it('a pinned key set whose certificates name another instance has no usable key for this issuer', () => {
    const entry = manifest.find((item) => item.token === 'cpp-sgx-shared-wus-2022.jwt')!;
    const other = manifest.find((item) => item.token === 'cpp-sgx-runtimebinary-isolated-2022.jwt')!;
    // The isolated instance publishes the very same key, but in a certificate that names that instance.
    expect(() =>
      createVerifier({ now: clockAt(insideWindow(entry)), issuers: [{ issuer: entry.issuer, jwks: fixtureJson(other.certs!) }] }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });
});
