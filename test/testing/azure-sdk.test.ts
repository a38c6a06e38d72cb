import { generateKeyPairSync } from 'node:crypto';
import { AttestationClient } from '@azure/attestation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../../src/index.js';
import {
  createBindingRuntimeData,
  createOpenEnclaveReport,
  createSgxQuote,
  createTestAttestationService,
  type TestAttestationService,
} from '../../src/testing/index.js';
import { SERVICE_KEY } from './helpers.js';

// Microsoft's SDK (which validates the token it gets against the instance's /certs) as the client.

let maa: TestAttestationService;
let client: AttestationClient;
beforeAll(async () => {
  maa = await createTestAttestationService({ privateKeys: [SERVICE_KEY] });
  client = new AttestationClient(maa.issuer, { allowInsecureConnection: true });
});
afterAll(() => maa.close());

describe('@azure/attestation AttestationClient against the local instance', () => {
  it('attestSgxEnclave with binary runtime data: the SDK accepts the token, and so does the library', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const runtimeData = createBindingRuntimeData({ nonce: 'n'.repeat(43), publicKey });
    const response = await client.attestSgxEnclave(createSgxQuote({ svn: 6, productId: 2, runtimeData }), { runTimeData: runtimeData });
    expect(response.body).toMatchObject({ svn: 6, productId: 2, isDebuggable: false, issuer: maa.issuer });
    expect(Buffer.from(response.body.enclaveHeldData ?? new Uint8Array())).toEqual(Buffer.from(runtimeData));
    const verified = await createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true }).verify(response.token.serialize());
    expect(verified.runtimeKey?.export({ format: 'jwk' })).toEqual(publicKey.export({ format: 'jwk' }));
  });

  it('attestOpenEnclave with JSON runtime data of a debug enclave', async () => {
    const runtimeJson = Buffer.from('{"key":"value"}', 'utf8');
    const response = await client.attestOpenEnclave(createOpenEnclaveReport({ debug: true, runtimeData: runtimeJson }), {
      runTimeJson: runtimeJson,
    });
    expect(response.body).toMatchObject({ isDebuggable: true, runTimeClaims: { key: 'value' } });
  });

  it('a draft policy: the SDK receives the unsigned token MAA would send', async () => {
    const draft = 'version= 1.0; authorizationrules { => permit(); }; issuancerules { };';
    const response = await client.attestSgxEnclave(createSgxQuote(), { draftPolicyForAttestation: draft });
    expect(response.token.algorithm).toBe('none');
  });

  it("a refusal reaches the SDK as MAA's error (RestError with MAA's code)", async () => {
    const draft = 'version= 1.0; authorizationrules { [type=="x-ms-sgx-svn", value>=9] => permit(); };';
    await expect(client.attestSgxEnclave(createSgxQuote({ svn: 1 }), { draftPolicyForAttestation: draft })).rejects.toMatchObject({
      statusCode: 400,
      code: 'PolicyEvaluationError',
    });
  });
});
