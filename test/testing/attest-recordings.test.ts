import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_TEXT, createTestAttestationService, policyHash, type TestAttestationService } from '../../src/testing/index.js';
import { SERVICE_KEY, decodeToken, post, recordedExchanges } from './helpers.js';

// The real requests Azure's C++ SDK tests sent to the shared West US instance, replayed against the local
// instance: every claim MAA derived from the evidence must come out the same.

const exchanges = recordedExchanges();

/**
 * The claims to compare: all but the times, `jti` and `iss` (this instance's own), and the collateral
 * hashes other than `quotehash` (MAA hashes Intel collateral this instance does not fetch).
 * `x-ms-policy-hash` is compared where the request names its policy (a draft policy); the shared
 * instance's own 2022 policy text is not public (its hash matches no published text), so for the other
 * exchanges the local instance's hash is checked against its own default policy instead.
 */
function comparable(payload: Record<string, unknown>, withPolicyHash: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (['exp', 'iat', 'nbf', 'jti', 'iss'].includes(name)) continue;
    if (name === 'x-ms-policy-hash' && !withPolicyHash) continue;
    if (name === 'x-ms-sgx-collateral' || name === 'maa-attestationcollateral') {
      out[name] = { quotehash: (value as Record<string, unknown>)['quotehash'] };
      continue;
    }
    out[name] = value;
  }
  return out;
}

let maa: TestAttestationService;
beforeAll(async () => {
  maa = await createTestAttestationService({ privateKeys: [SERVICE_KEY] });
});
afterAll(() => maa.close());

describe('replaying recorded MAA attest requests', () => {
  it('covers every shared recording: SGX, Open Enclave, binary and JSON runtime data, draft policies', () => {
    expect(exchanges.map((e) => e.name)).toEqual([
      'AttestWithDraftPolicy-SgxEnclave_Shared-1',
      'AttestWithDraftPolicy-SgxEnclave_Shared-2',
      'AttestWithRuntimeData-SgxEnclave_Shared',
      'AttestWithRuntimeDataJson-SgxEnclave_Shared',
      'SimpleAttest-OpenEnclave_Shared',
      'SimpleAttest-SgxEnclave_Shared',
    ]);
  });

  for (const exchange of exchanges) {
    const draft = typeof exchange.body['draftPolicyForAttestation'] === 'string';
    it(`${exchange.name}: answers as MAA did (${exchange.status})`, async () => {
      const { status, json } = await post(maa.issuer, exchange.pathAndQuery, exchange.body);
      expect(status).toBe(exchange.status);
      if (exchange.status !== 200) {
        const expected = exchange.response['error'] as { code: string; message: string };
        expect(json).toMatchObject({ error: { code: expected.code } });
        expect((json['error'] as { message: string }).message).toContain('No Permit claim was issued in the authorizationrules section');
        return;
      }
      const real = decodeToken(exchange.response['token'] as string);
      const local = decodeToken(json['token'] as string);
      expect(local.header).toEqual({ ...real.header, jku: maa.jwksUri, kid: maa.activeKid });
      expect(comparable(local.payload, draft)).toEqual(comparable(real.payload, draft));
      // Same members in the same order as MAA serialized them (sorted; nested JSON runtime data too).
      expect(JSON.stringify(comparable(local.payload, draft))).toBe(JSON.stringify(comparable(real.payload, draft)));
      for (const name of ['x-ms-sgx-collateral', 'maa-attestationcollateral']) {
        expect(Object.keys(local.payload[name] as object), `${name} members in MAA's order`).toEqual(
          Object.keys(real.payload[name] as object),
        );
      }
      const quotehash = (local.payload['x-ms-sgx-collateral'] as Record<string, string>)['quotehash'];
      expect(quotehash).toBe(createHash('sha256').update(exchange.evidence).digest('hex'));
      if (draft) {
        expect(local.header['alg']).toBe('none');
        expect(local.signature).toBe('');
      } else {
        expect(local.payload['x-ms-policy-hash']).toBe(policyHash(DEFAULT_POLICY_TEXT));
        expect(local.signature).not.toBe('');
      }
      expect(local.payload['iss']).toBe(maa.issuer);
      expect(local.payload['exp']).toBe((local.payload['iat'] as number) + 28_800);
      expect(local.payload['jti']).toMatch(/^[0-9a-f]{64}$/);
    });
  }
});
