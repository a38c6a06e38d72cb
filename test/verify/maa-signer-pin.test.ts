import { describe, expect, it } from 'vitest';
import { createVerifier } from '../../src/index.js';
import { MAA_MRSIGNERS } from '../../src/keys/maa-quote.js';
import { createTestAttestationService } from '../../src/testing/index.js';
import { clockAt, fixtureJson, fixtureText, insideWindow, manifest } from '../helpers/fixtures.js';
import { ACCEPTED, asyncOutcome as outcome } from '../helpers/outcome.js';

const entry = (token: string) => manifest.find((item) => item.token === token)!;
const OTHER = 'ab'.repeat(32);

describe("issuers pinned to MAA's own enclave signer", () => {
  it('accepts a 2024 token whose signing certificate carries a quote from the pinned MAA signer', async () => {
    const token = entry('faasm-sgx-custom-eus2-2024.jwt');
    const verifier = createVerifier({
      now: clockAt(insideWindow(token)),
      issuers: [{ issuer: token.issuer, jwks: fixtureJson(token.certs!), signer: { mrsigner: [MAA_MRSIGNERS.since2021] } }],
    });
    expect(await outcome(() => verifier.verify(fixtureText(token.token)))).toBe(ACCEPTED);
    expect(verifier.keyStatus()[0]?.keyIds).toContain(token.kid);
  });

  it('refuses keys from another MAA signer: no usable key is left', () => {
    const token = entry('faasm-sgx-custom-eus2-2024.jwt');
    expect(() =>
      createVerifier({ issuers: [{ issuer: token.issuer, jwks: fixtureJson(token.certs!), signer: { mrsigner: [OTHER] } }] }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('refuses the 2022 keys, whose MAA enclave reports the SGX debug attribute, unless allowDebug is set', async () => {
    const token = entry('cpp-sgx-shared-wus-2022.jwt');
    const pin = { mrsigner: [MAA_MRSIGNERS.since2021] };
    expect(() => createVerifier({ issuers: [{ issuer: token.issuer, jwks: fixtureJson(token.certs!), signer: pin }] })).toThrow(
      /no usable signing key/,
    );
    const verifier = createVerifier({
      now: clockAt(insideWindow(token)),
      issuers: [{ issuer: token.issuer, jwks: fixtureJson(token.certs!), signer: { ...pin, allowDebug: true } }],
    });
    expect(await outcome(() => verifier.verify(fixtureText(token.token)))).toBe(ACCEPTED);
  });

  it('tells the pre-2021 signer from the current one on the 2020 certificate', () => {
    const jwks = fixtureJson<{ keys: Record<string, unknown>[] }>('azsamples-uks-2020.certs.json');
    const issuer = 'https://gnkuks001.uks.attest.azure.net';
    const options = { minRsaModulusBits: 1024 };
    expect(() =>
      createVerifier({ ...options, issuers: [{ issuer, jwks, signer: { mrsigner: [MAA_MRSIGNERS.since2021], allowDebug: true } }] }),
    ).toThrow(/no usable/);
    const verifier = createVerifier({
      ...options,
      issuers: [{ issuer, jwks, signer: { mrsigner: [MAA_MRSIGNERS.before2021], allowDebug: true } }],
    });
    expect(verifier.keyStatus()[0]?.keyIds).toEqual(['KQFAHrk1xALKHBD4b4u7TCvCJ1Mw0MlYZe+rxdePOtg=']);
  });

  it('refuses keys without a quote (n/e only, or a certificate without the extension) when a signer is pinned', async () => {
    const vm = entry('cvmguest-azurevm-sharedweu-2023.jwt');
    expect(() =>
      createVerifier({ issuers: [{ issuer: vm.issuer, jwks: fixtureJson(vm.certs!), signer: { mrsigner: [MAA_MRSIGNERS.since2021] } }] }),
    ).toThrow(/no usable/);
    const maa = await createTestAttestationService();
    try {
      const verifier = createVerifier({
        allowInsecureLoopback: true,
        issuers: [{ issuer: maa.issuer, signer: { mrsigner: [MAA_MRSIGNERS.since2021] } }],
      });
      expect(await outcome(() => verifier.verify(maa.mint()))).toBe('ERR_METADATA_UNAVAILABLE');
    } finally {
      await maa.close();
    }
  });

  it.each([
    ['not an object', 'x'],
    ['no mrsigner or mrenclave', {}],
    ['an empty list', { mrsigner: [] }],
    ['bad hex', { mrsigner: ['xyz'] }],
    ['a bad minSvn', { mrsigner: [OTHER], minSvn: -1 }],
  ])('refuses a signer pin with %s at construction', (_name, signer) => {
    expect(() => createVerifier({ issuers: [{ issuer: 'https://a.attest.azure.net', signer: signer as never }] })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });
});
