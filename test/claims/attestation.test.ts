import { describe, expect, it } from 'vitest';
import { isLegacySgxResult, readAttestationResult } from '../../src/claims/attestation.js';
import { readAzureVmClaims } from '../../src/claims/azurevm.js';
import { readSevSnpClaims } from '../../src/claims/sevsnp.js';
import { readSgxClaims } from '../../src/claims/sgx.js';
import { loadPayload, claimError, type Payload, SGX_PAYLOADS } from './helpers.js';

const POLICY_MANAGEMENT_PAYLOADS = [
  'cpp-policy-certificates-isolated-2022',
  'cpp-policy-get-sgx-shared-2022',
  'cpp-policy-set-result-aad-2022',
];

describe('attestation results', () => {
  it.each(SGX_PAYLOADS)('%s dispatches to the SGX view', (name) => {
    const payload = loadPayload(name);
    const result = readAttestationResult(payload);
    expect(result.attestationType).toBe('sgx');
    expect(result.sgx).toEqual(readSgxClaims(payload));
    expect(result.policyHash).toBe(payload['x-ms-policy-hash']);
    expect(result.sevsnp).toBeUndefined();
    expect(result.azurevm).toBeUndefined();
  });

  it('cpp-sgx-shared-wus-2022: the common claims', () => {
    const result = readAttestationResult(loadPayload('cpp-sgx-shared-wus-2022'));
    expect(result.policyHash).toBe('bROrN897ZfWmWY2V0FLUlu3uwk5xatGnKYHn3zBbSlw');
    expect(result.sgx?.mrenclave).toBe('292a1f4b519e46627eb2478a3d9851405653c5b4b0a6925de843834d9216850e');
    expect(Object.keys(result).sort()).toEqual(['attestationType', 'policyHash', 'sgx']);
  });

  it('dispatches sevsnpvm to the SEV-SNP view', () => {
    const payload = loadPayload('azsamples-sevsnp-weu-test-2025.UNVERIFIED');
    const result = readAttestationResult(payload);
    expect(result.attestationType).toBe('sevsnpvm');
    expect(result.sevsnp).toEqual(readSevSnpClaims(payload));
    expect(result.policyHash).toBe('9NY0VnTQ-IiBriBplVUpFbczcDaEBUwsiFYAzHu_gco');
  });

  it('dispatches azurevm to the Azure VM view', () => {
    const payload = loadPayload('cvmguest-azurevm-sharedweu-2023');
    const result = readAttestationResult(payload);
    expect(result.attestationType).toBe('azurevm');
    expect(result.azurevm).toEqual(readAzureVmClaims(payload));
    expect(result.azurevm?.isolationTee.sevsnp?.launchMeasurement).toMatch(/^8962535933f5/);
  });

  it('accepts a type without a typed view, with the common claims only', () => {
    const result = readAttestationResult({ 'x-ms-attestation-type': 'tpm', 'x-ms-ver': '1.0', nonce: 'n', tdx_mrtd: 'ab' });
    expect(result).toEqual({ attestationType: 'tpm', nonce: 'n' });
  });

  it('runs the typed view: an SGX token missing its measurement is refused', () => {
    const payload = loadPayload('cpp-sgx-shared-wus-2022');
    delete payload['x-ms-sgx-mrenclave'];
    expect(claimError(() => readAttestationResult(payload)).message).toContain('x-ms-sgx-mrenclave');
  });

  it('reads nonce and policy signer', () => {
    const signer = { alg: 'RS256', kty: 'RSA', x5c: ['MIIB'] };
    const result = readAttestationResult({ 'x-ms-attestation-type': 'tpm', nonce: 'abc', 'x-ms-policy-signer': signer });
    expect(result.nonce).toBe('abc');
    expect(result.policySigner).toEqual(signer);
  });
});

describe('not an attestation result', () => {
  it.each(POLICY_MANAGEMENT_PAYLOADS)('refuses the policy-management response %s', (name) => {
    const message = claimError(() => readAttestationResult(loadPayload(name))).message;
    expect(message).toContain('not an attestation result');
    expect(message).toContain('x-ms-attestation-type');
  });

  it.each([[''], [null], [1], [['sgx']], [{ type: 'sgx' }]])('refuses x-ms-attestation-type = %j', (type) => {
    const payload = { ...loadPayload('cpp-sgx-shared-wus-2022'), 'x-ms-attestation-type': type };
    expect(claimError(() => readAttestationResult(payload)).message).toContain('not an attestation result');
  });

  it('does not find the attestation type through an own __proto__ key', () => {
    const payload = JSON.parse('{"__proto__": {"x-ms-attestation-type": "tdxvm"}}') as Payload;
    expect(claimError(() => readAttestationResult(payload)).message).toContain('not an attestation result');
    expect(claimError(() => readAttestationResult(Object.assign({}, payload) as Payload)).message).toContain('not an attestation result');
  });
});

describe('common claims', () => {
  const base = (): Payload => ({ 'x-ms-attestation-type': 'tpm' });

  it.each([['1.1'], ['1'], ['1.0 '], [1], [null], ['']])('refuses x-ms-ver = %j', (version) => {
    expect(claimError(() => readAttestationResult({ ...base(), 'x-ms-ver': version })).message).toContain('x-ms-ver');
  });

  it('accepts a token without x-ms-ver', () => {
    expect(readAttestationResult(base()).attestationType).toBe('tpm');
  });

  it.each([
    ['x-ms-policy-hash', 5],
    ['x-ms-policy-hash', 'bROrN897ZfWmWY2V0FLUlu3uwk5xatGnKYHn3zBbSlw='],
    ['x-ms-policy-hash', 'a+b/'],
    ['x-ms-policy-signer', 'jwk'],
    ['x-ms-policy-signer', []],
    ['nonce', 123],
    ['nonce', null],
  ])('refuses %s = %j', (name, value) => {
    expect(claimError(() => readAttestationResult({ ...base(), [name]: value })).message).toContain(name);
  });
});

describe("MAA's 2020 claim format", () => {
  it('is refused as an SGX result in the 2020 format, not as a policy-management response', () => {
    const message = claimError(() => readAttestationResult(loadPayload('skr-sgx-legacy-shareduks-2020-07'))).message;
    expect(message).toMatch(/SGX result in MAA's 2020 claim format/);
    expect(isLegacySgxResult(loadPayload('skr-sgx-legacy-shareduks-2020-07'))).toBe(true);
    expect(isLegacySgxResult(loadPayload('cpp-policy-get-sgx-shared-2022'))).toBe(false);
    expect(isLegacySgxResult(loadPayload('teaclave-sgx-sharedeus-2023-09'))).toBe(false);
  });
});
