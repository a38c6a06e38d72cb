import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { consumeBinding } from '../helpers/binding.js';
import { createChallengeStore } from '../../src/binding/challenges.js';
import type { NonceConsumer } from '../../src/verify/bind.js';
import { findChallengeNonce } from '../../src/verify/nonce-location.js';
import { AttestationError } from '../../src/errors.js';
import { createVerifier } from '../../src/index.js';
import type { VerifiedAttestation } from '../../src/verify/result.js';
import { clockAt, fixtureJson, fixtureText, insideWindow, manifest } from '../helpers/fixtures.js';
import { attestationOf, loadPayload, type Payload } from '../policy/helpers.js';

function consumer(...issued: string[]): NonceConsumer & { used: string[] } {
  const open = new Set(issued);
  const used: string[] = [];
  return {
    used,
    async consume(nonce) {
      if (!open.delete(nonce)) throw new AttestationError('ERR_BINDING_MISMATCH', 'unknown nonce');
      used.push(nonce);
    },
  };
}

async function realToken(name: string): Promise<VerifiedAttestation> {
  const entry = manifest.find((item) => item.token === name)!;
  const verifier = createVerifier({
    now: clockAt(insideWindow(entry)),
    issuers: [{ issuer: entry.issuer, jwks: fixtureJson(entry.certs!) }],
  });
  return verifier.verify(fixtureText(name));
}

const AKS_2022 = 'cvmguest-aks-azurevm-snp-sharedwus-2022-09';
const NONCE = 'q'.repeat(43);
/** user-data as the reference flow writes it: SHA-512 of the nonce, upper-case hex. */
const USER_DATA = createHash('sha512').update(NONCE).digest('hex').toUpperCase();
const NAMED = `sha512:${USER_DATA.toLowerCase()}`;

const withRuntime = (name: string, runtime: unknown): VerifiedAttestation =>
  attestationOf({ ...loadPayload(name), 'x-ms-runtime': runtime });
const teeRuntime = (name: string, runtime: unknown): VerifiedAttestation => {
  const payload = loadPayload(name);
  return attestationOf({
    ...payload,
    'x-ms-runtime': {},
    'x-ms-isolation-tee': { ...(payload['x-ms-isolation-tee'] as Payload), 'x-ms-runtime': runtime },
  });
};

describe('guest attestation (azurevm): the nonce in x-ms-runtime.client-payload', () => {
  it('binds the real 2022-09 AKS token to its challenge 1234', async () => {
    const attestation = await realToken(`${AKS_2022}.jwt`);
    expect(findChallengeNonce(attestation)).toEqual({ nonce: '1234', location: 'x-ms-runtime.client-payload.nonce' });
    const challenges = consumer('1234');
    await consumeBinding(attestation, { challenges });
    expect(challenges.used).toEqual(['1234']);
    await expect(consumeBinding(attestation, { challenges: consumer('12345') })).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH' });
  });

  it('reads a configured client-payload member', () => {
    const attestation = withRuntime(AKS_2022, { 'client-payload': { challenge: Buffer.from(NONCE).toString('base64') } });
    expect(findChallengeNonce(attestation, 'challenge').nonce).toBe(NONCE);
    expect(findChallengeNonce(attestation, 'client-payload.challenge').nonce).toBe(NONCE);
  });

  it('fails closed on an empty, non-canonical or non-UTF-8 client nonce, without falling back', () => {
    for (const bad of ['', 'MTIzNA', 'MTIzNA=', 'MTIzNA==\n', '_w==', '/w==', 1234]) {
      const attestation = withRuntime(AKS_2022, { 'client-payload': { nonce: bad } });
      expect(() => findChallengeNonce(attestation), String(bad)).toThrow(expect.objectContaining({ code: 'ERR_BINDING_MISMATCH' }));
    }
    // The real December 2024 token was attested with an empty nonce.
    expect(() => findChallengeNonce(attestationOf(loadPayload('jesserc-azurevm-snp-sharedeus2-2024-12')))).toThrow(/no challenge nonce/);
  });

  it("falls back to the isolation TEE's user-data only when there is no client nonce", () => {
    expect(findChallengeNonce(teeRuntime(AKS_2022, { 'user-data': USER_DATA }))).toEqual({
      nonce: NAMED,
      location: 'x-ms-isolation-tee.x-ms-runtime.user-data',
    });
  });
});

describe('TDX and SEV-SNP runtime data', () => {
  const tdx = (runtime: unknown): VerifiedAttestation =>
    ({ attestationType: 'tdxvm', claims: { 'x-ms-attestation-type': 'tdxvm', 'x-ms-runtime': runtime } }) as unknown as VerifiedAttestation;

  it('reads user-data as SHA-512 of the nonce, named for the challenge store', () => {
    expect(findChallengeNonce(tdx({ 'user-data': USER_DATA }))).toEqual({ nonce: NAMED, location: 'x-ms-runtime.user-data' });
    expect(findChallengeNonce(tdx({ 'user-data': USER_DATA.toLowerCase() })).nonce).toBe(NAMED);
  });

  it('binds a TDX and an SNP token whose user-data is SHA-512 of an issued nonce, once', async () => {
    const challenges = createChallengeStore();
    for (const type of ['tdxvm', 'sevsnpvm']) {
      const { nonce } = await challenges.issue();
      const userData = createHash('sha512').update(nonce).digest('hex').toUpperCase();
      const attestation = {
        attestationType: type,
        claims: { 'x-ms-attestation-type': type, 'x-ms-runtime': { 'user-data': userData } },
      } as unknown as VerifiedAttestation;
      await consumeBinding(attestation, { challenges });
      await expect(consumeBinding(attestation, { challenges })).rejects.toMatchObject({ code: 'ERR_REPLAY' });
      await expect(challenges.consume(nonce)).rejects.toMatchObject({ code: 'ERR_REPLAY' });
    }
  });

  it('reads a member of JSON runtime data first', () => {
    expect(findChallengeNonce(tdx({ nonce: NONCE, 'user-data': USER_DATA }))).toEqual({ nonce: NONCE, location: 'x-ms-runtime.nonce' });
  });

  it('fails closed on absent, all-zero or malformed user-data, and no longer reads the raw nonce from it', async () => {
    for (const runtime of [
      undefined,
      {},
      { 'user-data': '0'.repeat(128) },
      { 'user-data': USER_DATA.slice(2) },
      { 'user-data': `${USER_DATA}00` },
      { 'user-data': 7 },
    ]) {
      expect(() => findChallengeNonce(tdx(runtime))).toThrow(expect.objectContaining({ code: 'ERR_BINDING_MISMATCH' }));
    }
    // The former convention, the nonce's raw bytes then zeros, now names a hash no nonce has.
    const challenges = createChallengeStore();
    const { nonce } = await challenges.issue();
    const raw = Buffer.concat([Buffer.from(nonce, 'base64url'), Buffer.alloc(32)])
      .toString('hex')
      .toUpperCase();
    await expect(consumeBinding(tdx({ 'user-data': raw }), { challenges })).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH' });
  });
});

describe('SGX runtime data', () => {
  it('finds a nonce in the JSON runtime data of a real SGX token, or none', async () => {
    const attestation = await realToken('cpp-openenclave-runtimejson-aad-2022.jwt');
    expect(() => findChallengeNonce(attestation)).toThrow(/no challenge nonce/);
    expect(findChallengeNonce(withRuntime('cpp-openenclave-runtimejson-aad-2022', { nonce: NONCE }))).toEqual({
      nonce: NONCE,
      location: 'x-ms-runtime.nonce',
    });
  });
});
