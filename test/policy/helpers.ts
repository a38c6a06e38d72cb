import { readFileSync } from 'node:fs';
import { readAttestationResult } from '../../src/claims/attestation.js';
import { AttestationError } from '../../src/errors.js';
import { Attestation, freezeJson, type VerifiedAttestation } from '../../src/verify/result.js';
import { refusalOf } from '../helpers/outcome.js';

export type Payload = Record<string, unknown>;

export const SGX_WUS = 'cpp-sgx-shared-wus-2022';
export const RUNTIME_JSON = 'cpp-openenclave-runtimejson-aad-2022';
export const AZUREVM_WEU = 'cvmguest-azurevm-sharedweu-2023';
export const SEVSNP_WEU = 'azsamples-sevsnp-weu-test-2025.UNVERIFIED';

export const WUS = 'https://sharedwus.wus.attest.azure.net';
/** The enclave of the cpp SDK recordings (a debug enclave, svn 1, product id 1). */
export const WUS_MRSIGNER = '4aea5f9a0ed04b11f889aadfe6a1d376213a29a95a85ce7337ae6f7fece6610c';
export const WUS_MRENCLAVE = '292a1f4b519e46627eb2478a3d9851405653c5b4b0a6925de843834d9216850e';
export const WEU = 'https://sharedweu.weu.attest.azure.net';
export const AZUREVM_LAUNCH = '8962535933f5c4b429ec41d6550c187c163aa76f3be1f8d750a272a9d8995023e8286a2e431a96c36087ac46d4188676';

export function loadPayload(name: string): Payload {
  const url = new URL(`../fixtures/maa/decoded/${name}.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { payload: Payload }).payload;
}

/** A VerifiedAttestation as the verifier builds it, typed views read by the real claim readers. */
export function attestationOf(payload: Payload, issuer = payload['iss'] as string): VerifiedAttestation {
  const { attestationType, policyHash, policySigner, nonce, sgx, sevsnp, azurevm, tdx } = readAttestationResult(payload);
  const claims = structuredClone(payload);
  freezeJson(claims);
  return new Attestation({
    issuer,
    header: {},
    claims,
    keyId: 'test-kid',
    issuedAt: new Date((payload['iat'] as number) * 1000),
    expiresAt: new Date((payload['exp'] as number) * 1000),
    attestationType,
    policyHash,
    policySigner,
    nonce,
    sgx,
    sevsnp,
    azurevm,
    tdx,
  });
}

export const fixtureAttestation = (name: string): VerifiedAttestation => attestationOf(loadPayload(name));

/**
 * An attestation whose claims the readers never saw: how evaluation copes with claims the verifier would
 * have refused, or with no typed view at all.
 */
export function rawAttestation(claims: unknown, issuer: unknown = WUS): VerifiedAttestation {
  return { issuer, attestationType: 'sgx', header: {}, claims, keyId: 'test-kid' } as unknown as VerifiedAttestation;
}

export const configError = (action: () => unknown): AttestationError => refusalOf(action, 'ERR_CONFIG_INVALID');

/** The SKR policy Key Vault users write for this enclave. */
export function wusSkrPolicy(extra: Payload = {}): Payload {
  return {
    version: '1.0.0',
    anyOf: [
      {
        authority: WUS,
        allOf: [
          { claim: 'x-ms-sgx-mrsigner', equals: WUS_MRSIGNER },
          { claim: 'x-ms-sgx-svn', greaterOrEquals: 1 },
        ],
      },
    ],
    ...extra,
  };
}

/** An SKR policy with one authority block holding `rules`. */
export function skr(rules: readonly unknown[], extra: Payload = {}, authority = WUS): Payload {
  return { anyOf: [{ authority, allOf: rules }], ...extra };
}

export const PIN_MRSIGNER = { claim: 'x-ms-sgx-mrsigner', equals: WUS_MRSIGNER } as const;
