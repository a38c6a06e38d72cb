import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { consumeBinding } from '../helpers/binding.js';
import type { NonceConsumer } from '../../src/verify/bind.js';
import { readRuntimeData, runtimeKeyOf } from '../../src/claims/runtime-data.js';
import { AttestationError } from '../../src/errors.js';
import { createVerifier, type Verifier } from '../../src/index.js';
import { runtimeDataClaims, type TestAttestationService } from '../../src/testing/index.js';
import { clockAt, fixtureJson, fixtureText, insideWindow, manifest } from '../helpers/fixtures.js';
import { useLocalMaa } from '../helpers/local-maa.js';

/** A challenge store stand-in: issued nonces, consumed once. */
function consumer(...issued: string[]): NonceConsumer & { used: Set<string> } {
  const open = new Set(issued);
  const used = new Set<string>();
  return {
    used,
    async consume(nonce) {
      if (used.has(nonce)) throw new AttestationError('ERR_REPLAY', 'the nonce was used before');
      if (!open.delete(nonce)) throw new AttestationError('ERR_BINDING_MISMATCH', 'unknown nonce');
      used.add(nonce);
    },
  };
}

async function realToken(name: string) {
  const entry = manifest.find((item) => item.token === name)!;
  const verifier = createVerifier({
    now: clockAt(insideWindow(entry)),
    issuers: [{ issuer: entry.issuer, jwks: fixtureJson(entry.certs!) }],
  });
  return verifier.verify(fixtureText(name));
}

describe('runtime data in real MAA tokens', () => {
  it('reads binary runtime data and finds it bound by the report data', async () => {
    const attestation = await realToken('cpp-sgx-runtimebinary-isolated-2022.jwt');
    const runtime = readRuntimeData(attestation)!;
    expect(runtime.source).toBe('x-ms-sgx-ehd');
    expect(Buffer.from(runtime.bytes!)).toEqual(Buffer.from(fixtureText('collateral/cpp-runtime-data.b64url'), 'base64url'));
    expect(runtime.json).toHaveProperty('jwk');
  });

  it('offers no runtimeKey when the JSON runtime data holds a JWK that is not a valid key', async () => {
    // The recorded client sent a P-256 JWK whose point is not on the curve (a test value): no key, not a crash.
    const attestation = await realToken('cpp-openenclave-runtimejson-aad-2022.jwt');
    expect(readRuntimeData(attestation)?.json).toHaveProperty('jwk.x', '18wHLeIgW9wVN6VD1Txgpqy2LszYkMf6J8njVAibvhM');
    expect(attestation.runtimeKey).toBeUndefined();
  });

  it('offers no request-signing key from a confidential VM whose runtime keys are all marked for encryption', async () => {
    // The real token's only key in the nested SEV-SNP runtime data is HCLAkPub with key_ops ["encrypt"]
    // (and x-ms-runtime holds TpmEphemeralEncryptionKey, likewise): neither may prove a request signature.
    const attestation = await realToken('cvmguest-azurevm-sharedweu-2023.jwt');
    const keys = attestation.azurevm?.isolationTee.sevsnp?.runtimeClaims?.keys as { key_ops?: string[] }[];
    expect(keys.map((key) => key.key_ops)).toEqual([['encrypt']]);
    expect(attestation.runtimeKey).toBeUndefined();
  });

  it('has no runtimeKey when the token carries no runtime data', async () => {
    expect((await realToken('cpp-sgx-shared-wus-2022.jwt')).runtimeKey).toBeUndefined();
  });
});

describe('binding: the token is bound to a challenge this relying party issued', () => {
  let maa: TestAttestationService;
  let verifier: Verifier;
  useLocalMaa((service, trusting) => ((maa = service), (verifier = trusting)));

  const nonce = 'n0nce-0123456789abcdefghijklmnopqrstuvwxyzAB';
  const bound = (data: Uint8Array | string) => verifier.verify(maa.mint(runtimeDataClaims(data)));

  it('consumes the nonce carried in JSON runtime data, once', async () => {
    const challenges = consumer(nonce);
    const attestation = await bound(JSON.stringify({ nonce }));
    await consumeBinding(attestation, { challenges });
    expect(challenges.used.has(nonce)).toBe(true);
    await expect(consumeBinding(attestation, { challenges })).rejects.toMatchObject({ code: 'ERR_REPLAY' });
  });

  it('accepts a nonce sent as its 32 raw bytes', async () => {
    const raw = Buffer.alloc(32, 7);
    const challenges = consumer(raw.toString('base64url'));
    await consumeBinding(await bound(raw), { challenges });
    expect(challenges.used.size).toBe(1);
  });

  it('reads the nonce from a configured member', async () => {
    const challenges = consumer(nonce);
    await consumeBinding(await bound(JSON.stringify({ challenge: nonce })), { challenges, nonceField: 'challenge' });
    expect(challenges.used.size).toBe(1);
  });

  it('refuses an unknown nonce', async () => {
    await expect(
      consumeBinding(await bound(JSON.stringify({ nonce: 'never-issued' })), { challenges: consumer(nonce) }),
    ).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH' });
  });

  it('refuses runtime data the report data does not bind', async () => {
    const claims = { ...runtimeDataClaims(JSON.stringify({ nonce })), 'x-ms-sgx-report-data': 'ab'.repeat(64) };
    const challenges = consumer(nonce);
    await expect(consumeBinding(await verifier.verify(maa.mint(claims)), { challenges })).rejects.toMatchObject({
      code: 'ERR_BINDING_MISMATCH',
    });
    expect(challenges.used.size).toBe(0);
  });

  it('refuses a token without runtime data, or without a nonce in it: nothing fails open', async () => {
    await expect(consumeBinding(await verifier.verify(maa.mint()), { challenges: consumer(nonce) })).rejects.toMatchObject({
      code: 'ERR_BINDING_MISMATCH',
    });
    await expect(consumeBinding(await bound(JSON.stringify({ other: 1 })), { challenges: consumer(nonce) })).rejects.toMatchObject({
      code: 'ERR_BINDING_MISMATCH',
    });
    await expect(consumeBinding(await bound('not json, not 32 bytes'), { challenges: consumer(nonce) })).rejects.toMatchObject({
      code: 'ERR_BINDING_MISMATCH',
    });
  });

  it('verify({ binding }) consumes on every call, cached token or not', async () => {
    const challenges = consumer(nonce);
    const token = maa.mint(runtimeDataClaims(JSON.stringify({ nonce })));
    await verifier.verify(token, { binding: { challenges } });
    expect(verifier.verifyCached(token, { binding: { challenges } })).toBeUndefined();
    await expect(verifier.verify(token, { binding: { challenges } })).rejects.toMatchObject({ code: 'ERR_REPLAY' });
  });

  it('exposes the public part of a key sent as JSON runtime data (x-ms-runtime)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const attestation = await verifier.verify(maa.mint({ 'x-ms-runtime': { jwk: privateKey.export({ format: 'jwk' }) } }));
    expect(attestation.runtimeKey?.type).toBe('public');
    expect(attestation.runtimeKey?.equals(publicKey)).toBe(true);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const withKeys = await verifier.verify(maa.mint({ 'x-ms-runtime': { keys: [{ ...rsa.export({ format: 'jwk' }), kid: 'enclave' }] } }));
    expect(withKeys.runtimeKey?.equals(rsa)).toBe(true);
  });

  it('exposes a key the enclave sent in bound binary runtime data, and none when the binding is broken', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const data = JSON.stringify({ jwk: publicKey.export({ format: 'jwk' }) });
    expect((await bound(data)).runtimeKey?.equals(publicKey)).toBe(true);
    const broken = await verifier.verify(maa.mint({ ...runtimeDataClaims(data), 'x-ms-sgx-report-data': 'cd'.repeat(64) }));
    expect(broken.runtimeKey).toBeUndefined();
    expect(runtimeKeyOf(broken)).toBeUndefined();
  });
});

describe('runtimeKey on confidential VMs: only a key the workload holds', () => {
  let maa: TestAttestationService;
  let verifier: Verifier;
  useLocalMaa((service, trusting) => ((maa = service), (verifier = trusting)));

  const signingJwk = () => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), use: 'sig' });
  // The vTPM attestation key as the paravisor lists it, but marked the way a forged or future token
  // might mark it: a key that looks fit for signatures must still not be offered.
  const akPub = () => ({
    ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }),
    kid: 'HCLAkPub',
    key_ops: ['sign', 'verify'],
  });

  it.each([
    'cvmguest-aks-azurevm-snp-sharedwus-2022-09.jwt',
    'cvmguest-azurevm-sharedweu-2023.jwt',
    'jesserc-azurevm-snp-sharedeus2-2024-12.jwt',
  ])("the real azurevm token %s offers no runtimeKey (its keys are the vTPM's)", async (name) => {
    const attestation = await realToken(name);
    expect(attestation.attestationType).toBe('azurevm');
    expect(attestation.runtimeKey).toBeUndefined();
  });

  it('never offers HCLAkPub, however it is marked, nor any key of an azurevm token', async () => {
    const snp = await verifier.verify(maa.mint({ 'x-ms-runtime': { keys: [akPub()] } }, { type: 'sevsnpvm' }));
    expect(snp.runtimeKey).toBeUndefined();
    const tdx = await verifier.verify(maa.mint({ 'x-ms-runtime': { keys: [akPub(), signingJwk()] } }, { type: 'tdxvm' }));
    expect(tdx.runtimeKey).toBeUndefined();
    for (const isolationTee of ['sevsnpvm', 'tdxvm'] as const) {
      const guest = await verifier.verify(
        maa.mint(
          { 'x-ms-runtime': { keys: [signingJwk()] }, 'x-ms-isolation-tee': { 'x-ms-runtime': { keys: [akPub()] } } },
          { type: 'azurevm', isolationTee },
        ),
      );
      expect(guest.runtimeKey).toBeUndefined();
    }
  });

  it("offers no key from a paravisor's runtime claims, whatever their kids", async () => {
    const runtime = { keys: [signingJwk()], 'vm-configuration': { 'secure-boot': true } };
    expect((await verifier.verify(maa.mint({ 'x-ms-runtime': runtime }, { type: 'sevsnpvm' }))).runtimeKey).toBeUndefined();
  });

  it('offers the key a TEE without a paravisor sent as its own runtime data', async () => {
    for (const type of ['sevsnpvm', 'tdxvm'] as const) {
      const jwk = signingJwk();
      const attestation = await verifier.verify(maa.mint({ 'x-ms-runtime': { keys: [jwk] } }, { type }));
      expect(attestation.runtimeKey?.export({ format: 'jwk' })).toMatchObject({ x: jwk.x, y: jwk.y });
    }
  });
});
