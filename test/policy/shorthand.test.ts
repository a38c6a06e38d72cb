import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy, evaluatePolicy, type ShorthandPolicy } from '../../src/policy/index.js';
import type { VerifiedAttestation } from '../../src/verify/result.js';
import {
  AZUREVM_WEU,
  configError,
  fixtureAttestation,
  loadPayload,
  type Payload,
  rawAttestation,
  SGX_WUS,
  WEU,
  WUS,
  WUS_MRENCLAVE,
  WUS_MRSIGNER,
} from './helpers.js';

const HEX64 = 'ab'.repeat(32);
const POLICY_HASH = 'bROrN897ZfWmWY2V0FLUlu3uwk5xatGnKYHn3zBbSlw';
const wus = fixtureAttestation(SGX_WUS);

const decide = (policy: ShorthandPolicy, attestation: VerifiedAttestation = wus) => evaluatePolicy(compilePolicy(policy), attestation);
const allowed = (policy: ShorthandPolicy, attestation?: VerifiedAttestation): boolean => decide(policy, attestation).allowed;
const refusal = (policy: unknown): string => configError(() => compilePolicy(policy)).message;
const wusWith = (changes: Payload): VerifiedAttestation => rawAttestation({ ...loadPayload(SGX_WUS), ...changes });

describe('the SGX shorthand', () => {
  it('compiles into a policy of its own form, flags off by default', () => {
    const policy = compilePolicy({ mrsigner: [WUS_MRSIGNER] });
    expect(policy).toMatchObject({
      form: 'shorthand',
      allowDebug: false,
      allowAnyEnclave: false,
      allowUnknownClaims: false,
      authorities: [],
    });
  });

  it('refuses the real debug enclave by default and allows it with allowDebug', () => {
    const decision = decide({ mrsigner: [WUS_MRSIGNER] });
    expect(decision.reasons).toEqual([expect.objectContaining({ path: 'policy.allowDebug', claim: 'x-ms-sgx-is-debuggable' })]);
    expect(allowed({ mrsigner: [WUS_MRSIGNER], allowDebug: true })).toBe(true);
  });

  it('treats lists as allowlists, so old and new values stand side by side', () => {
    expect(allowed({ mrenclave: [HEX64, WUS_MRENCLAVE], allowDebug: true })).toBe(true);
    expect(allowed({ mrenclave: [WUS_MRENCLAVE.toUpperCase()], allowDebug: true })).toBe(true);
    const decision = decide({ mrenclave: [HEX64, 'cd'.repeat(32)], allowDebug: true });
    expect(decision.reasons.map((reason) => [reason.path, reason.claim, reason.expected])).toEqual([
      ['policy.mrenclave[0]', 'x-ms-sgx-mrenclave', HEX64],
      ['policy.mrenclave[1]', 'x-ms-sgx-mrenclave', 'cd'.repeat(32)],
    ]);
  });

  it('requires every member: mrenclave and mrsigner and productId and minSvn and policyHash', () => {
    const full: ShorthandPolicy = {
      mrenclave: [WUS_MRENCLAVE],
      mrsigner: [WUS_MRSIGNER],
      productId: 1,
      minSvn: 1,
      policyHash: [POLICY_HASH],
      allowDebug: true,
    };
    expect(allowed(full)).toBe(true);
    expect(decide({ ...full, minSvn: 2 }).reasons).toEqual([
      expect.objectContaining({ path: 'policy.minSvn', claim: 'x-ms-sgx-svn', operator: 'greaterOrEquals', expected: 2, actual: 1 }),
    ]);
    expect(decide({ ...full, productId: 2 }).reasons).toEqual([
      expect.objectContaining({ path: 'policy.productId', claim: 'x-ms-sgx-product-id' }),
    ]);
    expect(decide({ ...full, policyHash: ['x'] }).reasons).toEqual([expect.objectContaining({ path: 'policy.policyHash[0]' })]);
    expect(allowed(full, wusWith({ 'x-ms-sgx-svn': 7 }))).toBe(true);
  });

  it('checks the attestation type, sgx by default', () => {
    const azurevm = fixtureAttestation(AZUREVM_WEU);
    expect(decide({ mrsigner: [WUS_MRSIGNER], allowDebug: true }, azurevm).reasons).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'policy.attestationType', claim: 'x-ms-attestation-type', actual: 'azurevm' }),
      ]),
    );
    expect(allowed({ attestationType: 'azurevm', authority: WEU, allowAnyEnclave: true }, azurevm)).toBe(true);
  });

  it('restricts the issuer with authority, one or several', () => {
    expect(allowed({ mrsigner: [WUS_MRSIGNER], authority: `${WUS}/`, allowDebug: true })).toBe(true);
    expect(allowed({ mrsigner: [WUS_MRSIGNER], authority: [WEU, WUS], allowDebug: true })).toBe(true);
    const policy = compilePolicy({
      mrsigner: [WUS_MRSIGNER],
      authority: ['https://SHAREDWEU.weu.attest.azure.net/', WUS],
      allowDebug: true,
    });
    expect(policy.authorities).toEqual([WEU, WUS]);
    const decision = decide({ mrsigner: [WUS_MRSIGNER], authority: [WEU], allowDebug: true });
    expect(decision.reasons).toEqual([expect.objectContaining({ path: 'policy.authority[0]', claim: 'iss', expected: WEU, actual: WUS })]);
  });

  it('gives the same decisions as the equivalent SKR policy', () => {
    const shorthand = compilePolicy({ authority: WUS, mrsigner: [WUS_MRSIGNER, HEX64], minSvn: 1 });
    const skr = compilePolicy({
      anyOf: [
        {
          authority: WUS,
          allOf: [
            { claim: 'x-ms-attestation-type', equals: 'sgx' },
            {
              anyOf: [
                { claim: 'x-ms-sgx-mrsigner', equals: WUS_MRSIGNER },
                { claim: 'x-ms-sgx-mrsigner', equals: HEX64 },
              ],
            },
            { claim: 'x-ms-sgx-svn', greaterOrEquals: 1 },
          ],
        },
      ],
    });
    const changes = fc.record(
      {
        'x-ms-sgx-mrsigner': fc.constantFrom(WUS_MRSIGNER, HEX64, HEX64.toUpperCase(), 'x', 1),
        'x-ms-sgx-svn': fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constant('1')),
        'x-ms-sgx-is-debuggable': fc.constantFrom(true, false, 'false'),
        'x-ms-attestation-type': fc.constantFrom('sgx', 'sevsnpvm'),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(changes, fc.constantFrom(WUS, WEU), (claims, issuer) => {
        const attestation = rawAttestation({ ...loadPayload(SGX_WUS), ...claims }, issuer);
        const decisions = [shorthand, skr].map((policy) => evaluatePolicy(policy, attestation));
        expect(decisions[0]?.allowed).toBe(decisions[1]?.allowed);
        expect(decisions[0]?.reasons.length).toBe(decisions[1]?.reasons.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the shorthand refuses', () => {
  it('a mix with the SKR form', () => {
    expect(refusal({ anyOf: [{ authority: WUS, allOf: [{ claim: 'x-ms-sgx-mrsigner', equals: HEX64 }] }], mrenclave: [HEX64] })).toMatch(
      /^policy\.mrenclave: belongs to the shorthand form, which cannot be mixed with a top-level anyOf\/allOf/,
    );
    expect(refusal({ allOf: [], authority: WUS })).toMatch(/^policy\.authority: belongs to the shorthand form/);
    expect(refusal({ version: '1.0.0', mrenclave: [HEX64] })).toMatch(/^policy\.version: belongs to the SKR form/);
  });

  it('unknown members', () => {
    expect(refusal({ mrenclave: [HEX64], minsvn: 2 })).toMatch(/^policy: unknown member "minsvn"/);
  });

  it('lists that are not non-empty arrays', () => {
    expect(refusal({ mrenclave: HEX64 })).toMatch(/^policy\.mrenclave: must be an array/);
    expect(refusal({ mrenclave: [] })).toMatch(/^policy\.mrenclave: must not be empty/);
    expect(refusal({ mrsigner: [HEX64], policyHash: [] })).toMatch(/^policy\.policyHash: must not be empty/);
    expect(refusal({ mrsigner: [HEX64], authority: [] })).toMatch(/^policy\.authority: must not be empty/);
  });

  it('bad values, with the path of the member or list entry', () => {
    expect(refusal({ mrenclave: [HEX64, HEX64.slice(2)] })).toMatch(
      /^policy\.mrenclave\[1\]: claim "x-ms-sgx-mrenclave" holds 64 hex digits/,
    );
    expect(refusal({ mrsigner: [HEX64, 5] })).toMatch(/^policy\.mrsigner\[1\]: claim "x-ms-sgx-mrsigner" holds 64 hex digits, got 5/);
    expect(refusal({ mrsigner: [HEX64], productId: '1' })).toMatch(
      /^policy\.productId: claim "x-ms-sgx-product-id" holds an integer 0\.\.65535, got "1"/,
    );
    expect(refusal({ mrsigner: [HEX64], minSvn: '1' })).toMatch(/^policy\.minSvn: greaterOrEquals compares finite numbers, got "1"/);
    expect(refusal({ mrsigner: [HEX64], policyHash: [{}] })).toMatch(/^policy\.policyHash\[0\]: equals takes a string/);
    expect(refusal({ mrsigner: [HEX64], authority: [WUS, 'ftp://x'] })).toMatch(/^policy\.authority\[1\]: .*https/);
    expect(refusal({ mrsigner: [HEX64], authority: 1 })).toMatch(/^policy\.authority: must be an issuer URL/);
    expect(refusal({ mrsigner: [HEX64], attestationType: '' })).toMatch(/^policy\.attestationType: must be a non-empty string/);
    expect(refusal({ mrsigner: [HEX64], allowDebug: 'false' })).toMatch(/^policy\.allowDebug: must be true or false/);
  });

  it('SGX members with another attestation type', () => {
    expect(refusal({ attestationType: 'sevsnpvm', mrenclave: [HEX64] })).toMatch(
      /^policy\.mrenclave: names an SGX claim, which a "sevsnpvm" token never carries/,
    );
    expect(refusal({ attestationType: 'azurevm', minSvn: 1, allowAnyEnclave: true })).toMatch(/^policy\.minSvn: names an SGX claim/);
  });

  it('a policy pinning no enclave, unless allowAnyEnclave', () => {
    for (const policy of [
      { minSvn: 1 },
      { policyHash: [POLICY_HASH] },
      { authority: WUS },
      { attestationType: 'sgx' },
      { productId: 1, minSvn: 2 },
    ]) {
      expect(refusal(policy)).toMatch(/can be satisfied without an equals on a workload identity claim/);
      expect(compilePolicy({ ...policy, allowAnyEnclave: true }).allowAnyEnclave).toBe(true);
    }
  });

  it('flags alone', () => {
    expect(refusal({ allowAnyEnclave: true, allowDebug: true })).toMatch(/^policy: is empty/);
  });
});
