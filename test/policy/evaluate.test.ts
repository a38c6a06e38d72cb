import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttestationError } from '../../src/errors.js';
import { assertPolicy } from '../../src/policy/evaluate.js';
import { compilePolicy, type CompiledPolicy, evaluatePolicy, PolicyDeniedError, type PolicyFailure } from '../../src/policy/index.js';
import type { VerifiedAttestation } from '../../src/verify/result.js';
import {
  attestationOf,
  AZUREVM_LAUNCH,
  AZUREVM_WEU,
  fixtureAttestation,
  loadPayload,
  type Payload,
  PIN_MRSIGNER,
  rawAttestation,
  RUNTIME_JSON,
  SEVSNP_WEU,
  SGX_WUS,
  skr,
  WEU,
  WUS,
  WUS_MRENCLAVE,
  WUS_MRSIGNER,
  wusSkrPolicy,
} from './helpers.js';

const wus = fixtureAttestation(SGX_WUS);

const decide = (policy: unknown, attestation: VerifiedAttestation = wus) => evaluatePolicy(compilePolicy(policy), attestation);

/** Decision on the WUS enclave, debug allowed: these tests are about the rules, not the debug guard. */
const decideRules = (rules: readonly unknown[], attestation: VerifiedAttestation = wus) =>
  decide(skr(rules, { allowDebug: true }), attestation);

const allowedBy = (rules: readonly unknown[], attestation?: VerifiedAttestation): boolean => decideRules(rules, attestation).allowed;

/** The WUS payload with claims replaced, without the readers (which would refuse some of them). */
function wusWith(changes: Payload): VerifiedAttestation {
  return rawAttestation({ ...loadPayload(SGX_WUS), ...changes });
}

describe('a real Key Vault SKR policy against the real cpp-sgx-shared-wus-2022 token', () => {
  it('denies it by default: the enclave is a debug enclave', () => {
    const decision = decide(wusSkrPolicy());
    expect(decision.allowed).toBe(false);
    expect(decision.reasons).toEqual([
      expect.objectContaining({
        path: 'policy.allowDebug',
        claim: 'x-ms-sgx-is-debuggable',
        operator: 'equals',
        expected: false,
        actual: true,
      }),
    ]);
    expect(decision.reasons[0]?.message).toBe('policy.allowDebug: "x-ms-sgx-is-debuggable" equals false failed: got true');
  });

  it('allows it with allowDebug: true', () => {
    expect(decide(wusSkrPolicy({ allowDebug: true }))).toEqual({ allowed: true, reasons: [] });
  });

  it('allows a production enclave with the same signer without allowDebug', () => {
    expect(decide(wusSkrPolicy(), wusWith({ 'x-ms-sgx-is-debuggable': false })).allowed).toBe(true);
  });

  it('reports an unmet minimum with the path, expected and actual values', () => {
    const decision = decide(skr([PIN_MRSIGNER, { claim: 'x-ms-sgx-svn', greaterOrEquals: 2 }], { allowDebug: true }));
    expect(decision.allowed).toBe(false);
    expect(decision.reasons).toHaveLength(1);
    const [reason] = decision.reasons;
    expect(reason).toMatchObject({
      path: 'policy.anyOf[0].allOf[1]',
      claim: 'x-ms-sgx-svn',
      operator: 'greaterOrEquals',
      expected: 2,
      actual: 1,
    });
    expect(reason?.message).toBe('policy.anyOf[0].allOf[1]: "x-ms-sgx-svn" greaterOrEquals 2 failed: got 1');
  });

  it('reports every failed condition of an allOf, and the debug guard with them', () => {
    const decision = decide(
      skr([
        { claim: 'x-ms-sgx-mrsigner', equals: 'ff'.repeat(32) },
        { claim: 'x-ms-sgx-svn', greaterOrEquals: 2 },
        { claim: 'x-ms-sgx-product-id', equals: 1 },
      ]),
    );
    expect(decision.reasons.map((reason) => reason.path)).toEqual([
      'policy.allowDebug',
      'policy.anyOf[0].allOf[0]',
      'policy.anyOf[0].allOf[1]',
    ]);
  });
});

describe('authority', () => {
  it('denies a token from another issuer, with only the authority mismatch as reason', () => {
    const decision = decide(
      skr([{ claim: 'x-ms-sgx-svn', greater: 5 }, PIN_MRSIGNER], { allowDebug: true }, 'https://sharedeus.eus.attest.azure.net/'),
    );
    expect(decision.allowed).toBe(false);
    expect(decision.reasons).toEqual([
      expect.objectContaining({
        path: 'policy.anyOf[0].authority',
        claim: 'iss',
        operator: 'equals',
        expected: 'https://sharedeus.eus.attest.azure.net',
        actual: WUS,
      }),
    ]);
    expect(decision.reasons[0]?.message).toBe(
      `policy.anyOf[0].authority: the token was not issued by "https://sharedeus.eus.attest.azure.net": got "${WUS}"`,
    );
  });

  it('compares with the verified issuer, not with the iss claim', () => {
    expect(
      decide(wusSkrPolicy({ allowDebug: true }), attestationOf(loadPayload(SGX_WUS), 'https://other.wus.attest.azure.net')).allowed,
    ).toBe(false);
  });

  it('picks the block of the issuer among several, and reports every block when none holds', () => {
    const eus = { authority: 'https://sharedeus.eus.attest.azure.net', allOf: [PIN_MRSIGNER] };
    const wusBlock = { authority: `${WUS}/`, allOf: [PIN_MRSIGNER] };
    expect(decide({ anyOf: [eus, wusBlock], allowDebug: true }).allowed).toBe(true);
    const denied = decide({
      anyOf: [eus, { ...wusBlock, allOf: [{ claim: 'x-ms-sgx-mrenclave', equals: 'ee'.repeat(32) }] }],
      allowDebug: true,
    });
    expect(denied.reasons.map((reason) => reason.path)).toEqual(['policy.anyOf[0].authority', 'policy.anyOf[1].allOf[0]']);
  });
});

describe('nested anyOf / allOf', () => {
  const wrongEnclave = { claim: 'x-ms-sgx-mrenclave', equals: 'ee'.repeat(32) };
  const rightEnclave = { claim: 'x-ms-sgx-mrenclave', equals: WUS_MRENCLAVE };

  it('holds when some branch of each anyOf holds', () => {
    const rules = [
      { anyOf: [wrongEnclave, rightEnclave] },
      {
        anyOf: [
          { claim: 'x-ms-sgx-svn', greaterOrEquals: 5 },
          {
            allOf: [
              { claim: 'x-ms-sgx-svn', equals: 1 },
              { claim: 'x-ms-sgx-product-id', equals: 1 },
            ],
          },
        ],
      },
    ];
    expect(decideRules(rules)).toEqual({ allowed: true, reasons: [] });
  });

  it('reports the failures of every branch of a failed anyOf', () => {
    const decision = decideRules([
      PIN_MRSIGNER,
      {
        anyOf: [
          wrongEnclave,
          {
            allOf: [
              { claim: 'x-ms-sgx-svn', greater: 1 },
              { claim: 'x-ms-sgx-product-id', equals: 2 },
            ],
          },
        ],
      },
    ]);
    expect(decision.allowed).toBe(false);
    expect(decision.reasons.map((reason) => [reason.path, reason.actual])).toEqual([
      ['policy.anyOf[0].allOf[1].anyOf[0]', WUS_MRENCLAVE],
      ['policy.anyOf[0].allOf[1].anyOf[1].allOf[0]', 1],
      ['policy.anyOf[0].allOf[1].anyOf[1].allOf[1]', 1],
    ]);
  });

  it('drops the failures of earlier branches when a later one holds', () => {
    const decision = decideRules([rightEnclave, { anyOf: [wrongEnclave, wrongEnclave, PIN_MRSIGNER] }, { claim: 'x-ms-sgx-svn', less: 1 }]);
    expect(decision.reasons.map((reason) => reason.path)).toEqual(['policy.anyOf[0].allOf[2]']);
  });
});

describe('typed comparisons', () => {
  it('compares numbers, strings and booleans by type and value', () => {
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-sgx-svn', equals: 1 }])).toBe(true);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-sgx-is-debuggable', equals: true }])).toBe(true);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-attestation-type', equals: 'sgx' }])).toBe(true);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-attestation-type', equals: 'SGX' }])).toBe(false);
  });

  it('does not take "1" for 1 or "true" for true in untyped claims', () => {
    const policy = (value: unknown) => [PIN_MRSIGNER, { claim: 'x-ms-policy.svn', equals: value }];
    expect(allowedBy(policy(1))).toBe(true);
    expect(allowedBy(policy('1'))).toBe(false);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-policy.is-debuggable', equals: true }])).toBe(true);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-policy.is-debuggable', equals: 'true' }])).toBe(false);
  });

  it('fails notEquals on a value of another type instead of calling it different', () => {
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-policy.svn', notEquals: 2 }])).toBe(true);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-policy.svn', notEquals: '2' }])).toBe(false);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-sgx-svn', notEquals: 1 }])).toBe(false);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-sgx-svn', notEquals: 2 }], wusWith({ 'x-ms-sgx-svn': '1' }))).toBe(false);
  });

  it('applies the ordering operators to numbers, at their boundaries', () => {
    const svn = (operator: string, value: number) => allowedBy([PIN_MRSIGNER, { claim: 'x-ms-sgx-svn', [operator]: value }]);
    expect([svn('less', 1), svn('less', 2), svn('lessOrEquals', 1), svn('lessOrEquals', 0)]).toEqual([false, true, true, false]);
    expect([svn('greater', 1), svn('greater', 0), svn('greaterOrEquals', 1), svn('greaterOrEquals', 2)]).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-sgx-svn', greaterOrEquals: 1 }], wusWith({ 'x-ms-sgx-svn': '5' }))).toBe(false);
  });
});

describe('hex measurements', () => {
  it('match whatever the case of the policy value', () => {
    expect(allowedBy([{ claim: 'x-ms-sgx-mrsigner', equals: WUS_MRSIGNER.toUpperCase() }])).toBe(true);
    expect(allowedBy([{ claim: 'x-ms-sgx-mrenclave', equals: WUS_MRENCLAVE.replace(/[a-f]/, (c) => c.toUpperCase()) }])).toBe(true);
  });

  it('match whatever the case of the token value', () => {
    expect(allowedBy([PIN_MRSIGNER], wusWith({ 'x-ms-sgx-mrsigner': WUS_MRSIGNER.toUpperCase() }))).toBe(true);
    expect(
      allowedBy(
        [PIN_MRSIGNER, { claim: 'x-ms-sgx-mrenclave', notEquals: WUS_MRENCLAVE }],
        wusWith({ 'x-ms-sgx-mrenclave': WUS_MRENCLAVE.toUpperCase() }),
      ),
    ).toBe(false);
  });

  it('fold ASCII only, and compare the whole value', () => {
    const lookalike = `${WUS_MRSIGNER.slice(0, -1)}\u212a`;
    expect(allowedBy([PIN_MRSIGNER], wusWith({ 'x-ms-sgx-mrsigner': lookalike }))).toBe(false);
    expect(allowedBy([PIN_MRSIGNER], wusWith({ 'x-ms-sgx-mrsigner': `${WUS_MRSIGNER}00` }))).toBe(false);
    expect(allowedBy([PIN_MRSIGNER], wusWith({ 'x-ms-sgx-mrsigner': WUS_MRSIGNER.slice(2) }))).toBe(false);
  });

  it('leave base64url claims case-sensitive', () => {
    const hash = 'bROrN897ZfWmWY2V0FLUlu3uwk5xatGnKYHn3zBbSlw';
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-policy-hash', equals: hash }])).toBe(true);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-policy-hash', equals: hash.toLowerCase() }])).toBe(false);
  });
});

describe('missing claims and exists', () => {
  it('fails a condition on a missing claim, with actual undefined', () => {
    const decision = decideRules([PIN_MRSIGNER, { claim: 'x-ms-sgx-config-svn', greaterOrEquals: 0 }]);
    expect(decision.reasons).toEqual([expect.objectContaining({ claim: 'x-ms-sgx-config-svn', actual: undefined })]);
    expect(decision.reasons[0]?.message).toMatch(/failed: the claim is missing$/);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-sgx-config-svn', notEquals: 3 }])).toBe(false);
  });

  it('checks presence with exists true and absence with exists false', () => {
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-sgx-report-data', exists: true }])).toBe(true);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-sgx-report-data', exists: false }])).toBe(false);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-sgx-ehd', exists: true }])).toBe(false);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-sgx-ehd', exists: false }])).toBe(true);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-runtime.jwk', exists: false }])).toBe(true);
  });

  it('finds own claims only: constructor is missing, an own __proto__ claim is present', () => {
    const unknown = (claim: string, exists: boolean) => ({
      ...skr([PIN_MRSIGNER, { claim, exists }], { allowDebug: true }),
      allowUnknownClaims: true,
    });
    expect(decide(unknown('constructor', false)).allowed).toBe(true);
    expect(decide(unknown('x-ms-policy.toString', false)).allowed).toBe(true);
    const withProto = rawAttestation({ ...loadPayload(SGX_WUS), ...(JSON.parse('{"__proto__": {"a": 1}}') as Payload) });
    expect(evaluatePolicy(compilePolicy(unknown('__proto__.a', true)), withProto).allowed).toBe(true);
    expect(evaluatePolicy(compilePolicy(unknown('__proto__', true)), wus).allowed).toBe(false);
  });

  it('does not descend into arrays or scalars of free-form claims', () => {
    // Another instance's token, presented as if WUS had issued it: only its claims matter here.
    const runtime = rawAttestation(loadPayload(RUNTIME_JSON));
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-runtime.jwk.kty', equals: 'EC' }], runtime)).toBe(true);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-runtime.jwk.kty.length', exists: true }], runtime)).toBe(false);
    const keys = wusWith({ 'x-ms-runtime': { keys: [{ kid: 'a' }] } });
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-runtime.keys.0.kid', equals: 'a' }], keys)).toBe(false);
    expect(allowedBy([PIN_MRSIGNER, { claim: 'x-ms-runtime.keys.length', exists: true }], keys)).toBe(false);
  });
});

describe('other attestation types', () => {
  const azurevm = fixtureAttestation(AZUREVM_WEU);
  const azurevmPolicy = (extra: Payload = {}) => ({
    anyOf: [
      {
        authority: WEU,
        allOf: [
          { claim: 'x-ms-isolation-tee.x-ms-compliance-status', equals: 'azure-compliant-cvm' },
          { claim: 'x-ms-isolation-tee.x-ms-sevsnpvm-launchmeasurement', equals: AZUREVM_LAUNCH.toUpperCase() },
          { claim: 'secureboot', equals: true },
        ],
      },
    ],
    ...extra,
  });

  it('reads the nested azurevm path in the real cvmguest-azurevm-sharedweu-2023 token', () => {
    expect(decide(azurevmPolicy(), azurevm)).toEqual({ allowed: true, reasons: [] });
  });

  it('refuses a debuggable confidential VM through its nested flag', () => {
    const payload = loadPayload(AZUREVM_WEU);
    const tee = { ...(payload['x-ms-isolation-tee'] as Payload), 'x-ms-sevsnpvm-is-debuggable': true };
    const decision = decide(azurevmPolicy(), attestationOf({ ...payload, 'x-ms-isolation-tee': tee }));
    expect(decision.reasons).toEqual([
      expect.objectContaining({ path: 'policy.allowDebug', claim: 'x-ms-isolation-tee.x-ms-sevsnpvm-is-debuggable', actual: true }),
    ]);
    expect(decide(azurevmPolicy({ allowDebug: true }), attestationOf({ ...payload, 'x-ms-isolation-tee': tee })).allowed).toBe(true);
  });

  it('pins a sevsnpvm guest and refuses it when debuggable', () => {
    const payload = loadPayload(SEVSNP_WEU);
    const launch = payload['x-ms-sevsnpvm-launchmeasurement'];
    const policy = skr([{ claim: 'x-ms-sevsnpvm-launchmeasurement', equals: launch }], {}, payload['iss'] as string);
    expect(decide(policy, attestationOf(payload)).allowed).toBe(true);
    const debuggable = attestationOf({ ...payload, 'x-ms-sevsnpvm-is-debuggable': true });
    expect(decide(policy, debuggable).reasons).toEqual([expect.objectContaining({ claim: 'x-ms-sevsnpvm-is-debuggable', actual: true })]);
  });

  it('refuses a type whose flags are unknown unless allowDebug and allowMigration, and a known type missing its flag', () => {
    const tdx = rawAttestation({ 'x-ms-attestation-type': 'tpm', 'x-ms-sgx-mrsigner': WUS_MRSIGNER });
    const decision = decide(skr([PIN_MRSIGNER]), tdx);
    expect(decision.reasons).toEqual([
      expect.objectContaining({ path: 'policy.allowDebug', claim: 'x-ms-attestation-type', operator: 'oneOf', actual: 'tpm' }),
    ]);
    expect(decision.reasons[0]?.message).toMatch(/allowDebug: true/);
    expect(decide(skr([PIN_MRSIGNER], { allowDebug: true }), tdx).reasons).toEqual([
      expect.objectContaining({ path: 'policy.allowMigration', claim: 'x-ms-attestation-type', operator: 'oneOf', actual: 'tpm' }),
    ]);
    expect(decide(skr([PIN_MRSIGNER], { allowDebug: true, allowMigration: true }), tdx).allowed).toBe(true);
    const { 'x-ms-sgx-is-debuggable': _flag, ...withoutFlag } = loadPayload(SGX_WUS);
    expect(decide(skr([PIN_MRSIGNER]), rawAttestation(withoutFlag)).reasons).toEqual([
      expect.objectContaining({ claim: 'x-ms-sgx-is-debuggable', actual: undefined }),
    ]);
    expect(decide(skr([PIN_MRSIGNER]), rawAttestation({ ...withoutFlag, 'x-ms-sgx-is-debuggable': 'false' })).allowed).toBe(false);
  });
});

describe('decisions and assertPolicy', () => {
  it('throws PolicyDeniedError (ERR_POLICY_DENIED, 403) with the decision attached', () => {
    const policy = compilePolicy(wusSkrPolicy());
    let caught: unknown;
    try {
      assertPolicy(policy, wus);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PolicyDeniedError);
    expect(caught).toBeInstanceOf(AttestationError);
    const denied = caught as PolicyDeniedError;
    expect([denied.code, denied.status, denied.message]).toEqual(['ERR_POLICY_DENIED', 403, 'the attestation does not satisfy the policy']);
    expect(denied.decision).toEqual(evaluatePolicy(policy, wus));
    expect(assertPolicy(compilePolicy(wusSkrPolicy({ allowDebug: true })), wus)).toBeUndefined();
  });

  it('returns frozen decisions whose reasons serialise with their messages', () => {
    const decision = decide(wusSkrPolicy());
    expect(Object.isFrozen(decision) && Object.isFrozen(decision.reasons)).toBe(true);
    const [logged] = JSON.parse(JSON.stringify(decision.reasons)) as PolicyFailure[];
    expect(logged?.message).toBe(decision.reasons[0]?.message);
  });

  it('refuses a policy that compilePolicy did not make', () => {
    const forged = { ...compilePolicy(wusSkrPolicy()) } as CompiledPolicy;
    expect(() => evaluatePolicy(forged, wus)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });
});

// Claim names the policies below look at, so random payloads hit them as well as miss them.
const claimName = fc.constantFrom(
  'x-ms-attestation-type',
  'x-ms-sgx-mrsigner',
  'x-ms-sgx-mrenclave',
  'x-ms-sgx-svn',
  'x-ms-sgx-is-debuggable',
  'x-ms-isolation-tee',
  'x-ms-runtime',
  'x-ms-sevsnpvm-is-debuggable',
  'x-ms-sevsnpvm-launchmeasurement',
  'custom',
  '__proto__',
);
const claimValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('sgx', 'azurevm', 'sevsnpvm', WUS_MRSIGNER, WUS_MRSIGNER.toUpperCase(), AZUREVM_LAUNCH, true, false, 1, '1'),
  fc.dictionary(fc.oneof(claimName, fc.string()), fc.jsonValue({ maxDepth: 2 })),
);
const payload = fc.dictionary(fc.oneof(claimName, fc.string()), claimValue, { maxKeys: 12 });
const junkAttestation = fc.oneof(
  payload.map((claims) => rawAttestation(claims)),
  // The real token with some claims replaced: reaches the allowed path too.
  payload.map((changes) => wusWith(changes)),
  fc
    .record({ issuer: fc.oneof(fc.constant(WUS), fc.jsonValue()), claims: fc.oneof(payload, fc.jsonValue()) })
    .map(({ issuer, claims }) => rawAttestation(claims, issuer)),
  fc.jsonValue().map((value) => value as unknown as VerifiedAttestation),
);

const POLICIES: readonly CompiledPolicy[] = [
  wusSkrPolicy(),
  wusSkrPolicy({ allowDebug: true }),
  skr(
    [
      { anyOf: [PIN_MRSIGNER, { claim: 'x-ms-sevsnpvm-launchmeasurement', equals: AZUREVM_LAUNCH }] },
      { claim: 'x-ms-isolation-tee.x-ms-sevsnpvm-launchmeasurement', notEquals: AZUREVM_LAUNCH },
      { claim: 'x-ms-runtime.keys', exists: false },
      { claim: 'x-ms-sgx-svn', less: 3 },
      { claim: 'custom.deep.path', equals: '1' },
    ],
    { allowUnknownClaims: true },
  ),
  { mrsigner: [WUS_MRSIGNER], minSvn: 1, productId: 1, allowDebug: true },
  { attestationType: 'azurevm', authority: [WUS, WEU], allowAnyEnclave: true },
].map((policy) => compilePolicy(policy));

describe('evaluatePolicy on junk', () => {
  it('returns a decision for any payload and never throws; a denial always has reasons', () => {
    fc.assert(
      fc.property(junkAttestation, fc.constantFrom(...POLICIES), (attestation, policy) => {
        const decision = evaluatePolicy(policy, attestation);
        expect(typeof decision.allowed).toBe('boolean');
        expect(decision.allowed).toBe(decision.reasons.length === 0);
        for (const reason of decision.reasons) expect(typeof reason.message).toBe('string');
      }),
      { numRuns: 4000 },
    );
  });
});
