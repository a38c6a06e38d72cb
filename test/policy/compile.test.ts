import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCompiledPolicy } from '../../src/policy/compiled.js';
import { type AttestationPolicy, compilePolicy, type PolicyCondition, type ShorthandPolicy } from '../../src/policy/index.js';
import { configError, PIN_MRSIGNER, skr, WUS, WUS_MRENCLAVE, wusSkrPolicy } from './helpers.js';
import { ACCEPTED, outcome, refusalOf } from '../helpers/outcome.js';

const HEX64 = 'ab'.repeat(32);
const HEX96 = 'cd'.repeat(48);

/** The message of the error compiling `policy` throws. */
const refusal = (policy: unknown): string => configError(() => compilePolicy(policy)).message;

describe('compilePolicy accepts', () => {
  it('a real Key Vault SKR policy, with every flag off by default', () => {
    const policy = compilePolicy(wusSkrPolicy());
    expect(policy).toMatchObject({ form: 'skr', allowDebug: false, allowAnyEnclave: false, allowUnknownClaims: false });
    expect(policy.authorities).toEqual([WUS]);
    expect(isCompiledPolicy(policy)).toBe(true);
    expect(Object.isFrozen(policy)).toBe(true);
  });

  it('a policy without version, and a top-level allOf of authority blocks', () => {
    const { version: _version, ...unversioned } = wusSkrPolicy();
    expect(compilePolicy(unversioned).form).toBe('skr');
    expect(compilePolicy({ allOf: [{ authority: WUS, anyOf: [PIN_MRSIGNER] }] }).form).toBe('skr');
  });

  it('normalises authorities (trailing slash, case), and allows loopback http for test instances', () => {
    expect(compilePolicy(skr([PIN_MRSIGNER], {}, 'https://SharedWUS.wus.attest.azure.net/')).authorities).toEqual([WUS]);
    expect(compilePolicy(skr([PIN_MRSIGNER], {}, 'http://127.0.0.1:8443')).authorities).toEqual(['http://127.0.0.1:8443']);
  });

  it('returns an already compiled policy as it is', () => {
    const policy = compilePolicy(wusSkrPolicy());
    expect(compilePolicy(policy)).toBe(policy);
    expect(isCompiledPolicy({ ...policy })).toBe(false);
  });

  it('reads the flags', () => {
    const policy = compilePolicy(wusSkrPolicy({ allowDebug: true, allowAnyEnclave: true, allowUnknownClaims: true }));
    expect(policy).toMatchObject({ allowDebug: true, allowAnyEnclave: true, allowUnknownClaims: true });
  });

  it('untyped paths inside free-form objects', () => {
    for (const claim of ['x-ms-runtime.jwk.kty', 'x-ms-inittime.anything', 'x-ms-policy.custom-name', 'x-ms-policy-signer.kty']) {
      expect(() => compilePolicy(skr([PIN_MRSIGNER, { claim, equals: 'EC' }]))).not.toThrow();
    }
  });

  it('nested x-ms-isolation-tee claims checked against the catalogue', () => {
    const policy = skr([
      { claim: 'x-ms-isolation-tee.x-ms-sevsnpvm-launchmeasurement', equals: HEX96 },
      { claim: 'x-ms-isolation-tee.x-ms-compliance-status', equals: 'azure-compliant-cvm' },
      { claim: 'x-ms-isolation-tee.x-ms-sevsnpvm-guestsvn', greaterOrEquals: 2 },
    ]);
    expect(() => compilePolicy(policy)).not.toThrow();
  });

  it('hex values in either case', () => {
    expect(() => compilePolicy(skr([{ claim: 'x-ms-sgx-mrenclave', equals: WUS_MRENCLAVE.toUpperCase() }]))).not.toThrow();
  });
});

describe('the policy types', () => {
  it('accept both forms, and reject what compilePolicy would refuse', () => {
    const skrPolicy = {
      version: '1.0.0',
      allowDebug: true,
      anyOf: [{ authority: WUS, allOf: [{ claim: 'x-ms-sgx-svn', greaterOrEquals: 1 }, { anyOf: [PIN_MRSIGNER] }] }],
    } as const satisfies AttestationPolicy;
    const shorthand = { mrenclave: [WUS_MRENCLAVE], minSvn: 1, authority: [WUS] } as const satisfies ShorthandPolicy;
    // @ts-expect-error two operators in one condition
    const _twoOperators: PolicyCondition = { claim: 'x-ms-sgx-svn', greater: 1, less: 9 };
    // @ts-expect-error ordering compares numbers
    const _orderingString: PolicyCondition = { claim: 'x-ms-sgx-svn', less: '9' };
    // @ts-expect-error objects are not values
    const _objectValue: PolicyCondition = { claim: 'x-ms-runtime', equals: {} };
    // @ts-expect-error a shorthand member in the SKR form
    const _mixed: AttestationPolicy = { anyOf: [{ authority: WUS, allOf: [PIN_MRSIGNER] }], mrenclave: [WUS_MRENCLAVE] };
    // @ts-expect-error lists are arrays
    const _single: AttestationPolicy = { mrenclave: WUS_MRENCLAVE };
    expect([compilePolicy(skrPolicy).form, compilePolicy(shorthand).form]).toEqual(['skr', 'shorthand']);
  });
});

describe('compilePolicy refuses, naming the JSON path', () => {
  it('anything but a JSON object', () => {
    for (const input of [null, undefined, [], 'policy', 3, true]) expect(refusal(input)).toMatch(/^policy: must be a JSON object/);
  });

  it('an empty policy, or flags alone', () => {
    expect(refusal({})).toMatch(/^policy: is empty: it names no rule/);
    expect(refusal({ allowDebug: true, allowAnyEnclave: true })).toMatch(/^policy: is empty: it names no rule/);
  });

  it('empty anyOf / allOf at every level', () => {
    expect(refusal({ anyOf: [] })).toMatch(/^policy\.anyOf: must not be empty/);
    expect(refusal({ allOf: [] })).toMatch(/^policy\.allOf: must not be empty/);
    expect(refusal({ anyOf: [{ authority: WUS, allOf: [] }] })).toMatch(/^policy\.anyOf\[0\]\.allOf: must not be empty/);
    expect(refusal(skr([PIN_MRSIGNER, { anyOf: [] }]))).toMatch(/^policy\.anyOf\[0\]\.allOf\[1\]\.anyOf: must not be empty/);
    expect(refusal({ anyOf: {} })).toMatch(/^policy\.anyOf: must be an array/);
  });

  it('both anyOf and allOf in one object', () => {
    expect(refusal({ anyOf: [], allOf: [] })).toMatch(/^policy: must have exactly one of allOf and anyOf/);
    expect(refusal({ anyOf: [{ authority: WUS, allOf: [PIN_MRSIGNER], anyOf: [PIN_MRSIGNER] }] })).toMatch(
      /^policy\.anyOf\[0\]: must have exactly one of/,
    );
    expect(refusal(skr([PIN_MRSIGNER, { allOf: [PIN_MRSIGNER], anyOf: [PIN_MRSIGNER] }]))).toMatch(
      /^policy\.anyOf\[0\]\.allOf\[1\]: must have exactly one/,
    );
  });

  it('a version other than "1.0.0"', () => {
    expect(refusal(wusSkrPolicy({ version: '1.0' }))).toMatch(/^policy\.version: must be "1\.0\.0", got "1\.0"/);
    expect(refusal(wusSkrPolicy({ version: 1 }))).toMatch(/^policy\.version: must be "1\.0\.0", got 1$/);
  });

  it('unknown members at every level', () => {
    expect(refusal(wusSkrPolicy({ comment: 'x' }))).toMatch(/^policy: unknown member "comment"/);
    expect(refusal({ anyOf: [{ authority: WUS, allOf: [PIN_MRSIGNER], note: 1 }] })).toMatch(/^policy\.anyOf\[0\]: unknown member "note"/);
    expect(refusal(skr([PIN_MRSIGNER, { anyOf: [PIN_MRSIGNER], note: 1 }]))).toMatch(
      /^policy\.anyOf\[0\]\.allOf\[1\]: unknown member "note"/,
    );
    expect(
      refusal(
        JSON.parse(`{"__proto__": 1, "anyOf": [{"authority": "${WUS}", "allOf": [{"claim": "x-ms-sgx-mrsigner", "equals": "${HEX64}"}]}]}`),
      ),
    ).toMatch(/^policy: unknown member "__proto__"/);
  });

  it('an authority below the top level, and a top-level authority block without one', () => {
    expect(refusal(skr([PIN_MRSIGNER, { authority: WUS, allOf: [PIN_MRSIGNER] }]))).toMatch(
      /^policy\.anyOf\[0\]\.allOf\[1\]: unknown member "authority"/,
    );
    expect(refusal({ anyOf: [{ allOf: [PIN_MRSIGNER] }] })).toMatch(/^policy\.anyOf\[0\]: names no authority/);
  });

  it('an authority that is not an https issuer URL', () => {
    expect(refusal(skr([PIN_MRSIGNER], {}, 5 as unknown as string))).toMatch(
      /^policy\.anyOf\[0\]\.authority: must be an issuer URL, got 5/,
    );
    expect(refusal(skr([PIN_MRSIGNER], {}, 'sharedwus.wus.attest.azure.net'))).toMatch(
      /^policy\.anyOf\[0\]\.authority: .*not an absolute URL/,
    );
    expect(refusal(skr([PIN_MRSIGNER], {}, 'http://sharedwus.wus.attest.azure.net'))).toMatch(/^policy\.anyOf\[0\]\.authority: .*https/);
    expect(refusal(skr([PIN_MRSIGNER], {}, `${WUS}/?x=1`))).toMatch(/^policy\.anyOf\[0\]\.authority: .*query/);
  });

  it('an entry that is neither condition nor group', () => {
    expect(refusal(skr([PIN_MRSIGNER, { equals: 1 }]))).toMatch(/^policy\.anyOf\[0\]\.allOf\[1\]: must be a condition/);
    expect(refusal(skr([PIN_MRSIGNER, 'x-ms-sgx-svn']))).toMatch(/^policy\.anyOf\[0\]\.allOf\[1\]: must be a JSON object/);
  });

  it('unknown operators, no operator, more than one operator', () => {
    expect(refusal(skr([{ claim: 'x-ms-sgx-mrsigner', equal: HEX64 }]))).toMatch(
      /^policy\.anyOf\[0\]\.allOf\[0\]: unknown member or operator "equal"/,
    );
    expect(refusal(skr([{ claim: 'x-ms-sgx-mrsigner' }]))).toMatch(/^policy\.anyOf\[0\]\.allOf\[0\]: names no operator/);
    expect(refusal(skr([PIN_MRSIGNER, { claim: 'x-ms-sgx-svn', greater: 1, less: 9 }]))).toMatch(
      /^policy\.anyOf\[0\]\.allOf\[1\]: has more than one operator \(greater, less\)/,
    );
  });

  it('a claim that is not a claim path', () => {
    expect(refusal(skr([{ claim: 5, equals: 1 }]))).toMatch(/^policy\.anyOf\[0\]\.allOf\[0\]\.claim: must be a string/);
    for (const claim of ['', 'x-ms-isolation-tee.', '.x-ms-sgx-svn', 'x-ms-isolation-tee..x-ms-compliance-status']) {
      expect(refusal(skr([PIN_MRSIGNER, { claim, exists: true }]))).toMatch(
        /^policy\.anyOf\[0\]\.allOf\[1\]\.claim: .* is not a claim path/,
      );
    }
  });

  it('object, array and null values, and numbers JSON cannot carry', () => {
    for (const value of [{ a: 1 }, [HEX64], null, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(refusal(skr([PIN_MRSIGNER, { claim: 'x-ms-runtime.x', equals: value }]))).toMatch(
        /^policy\.anyOf\[0\]\.allOf\[1\]: equals takes a string, a finite number or a boolean/,
      );
    }
    expect(refusal(skr([PIN_MRSIGNER, { claim: 'x-ms-sgx-svn', greater: Number.NaN }]))).toMatch(/greater compares finite numbers/);
  });

  it('exists with anything but true or false', () => {
    expect(refusal(skr([PIN_MRSIGNER, { claim: 'nonce', exists: 'true' }]))).toMatch(
      /^policy\.anyOf\[0\]\.allOf\[1\]: exists takes true or false, got "true"/,
    );
  });

  it('measurements of the wrong length or with non-hex digits', () => {
    const cases: [string, string][] = [
      ['x-ms-sgx-mrenclave', HEX64.slice(1)],
      ['x-ms-sgx-mrsigner', `${HEX64.slice(1)}g`],
      ['x-ms-sevsnpvm-launchmeasurement', HEX64],
      ['x-ms-sevsnpvm-hostdata', HEX96],
      ['x-ms-isolation-tee.x-ms-sevsnpvm-launchmeasurement', HEX64],
      ['x-ms-sgx-report-data', HEX64],
      ['x-ms-sgx-collateral.quotehash', 'abc'],
      ['x-ms-sgx-mrenclave', ` ${HEX64.slice(1)}`],
    ];
    for (const [claim, value] of cases) {
      expect(refusal(skr([PIN_MRSIGNER, { claim, equals: value }]))).toMatch(
        /^policy\.anyOf\[0\]\.allOf\[1\]: claim ".*" holds \d+ hex digits, got/,
      );
    }
  });

  it('a value of the wrong type for a known claim', () => {
    expect(refusal(skr([PIN_MRSIGNER, { claim: 'x-ms-sgx-svn', equals: '3' }]))).toMatch(
      /claim "x-ms-sgx-svn" holds an integer 0\.\.65535, got "3"/,
    );
    expect(refusal(skr([PIN_MRSIGNER, { claim: 'x-ms-sgx-is-debuggable', equals: 'false' }]))).toMatch(/holds a boolean, got "false"/);
    expect(refusal(skr([PIN_MRSIGNER, { claim: 'x-ms-sgx-is-debuggable', notEquals: 0 }]))).toMatch(/holds a boolean, got 0/);
    expect(refusal(skr([{ claim: 'x-ms-sgx-mrenclave', equals: 5 }]))).toMatch(/holds 64 hex digits, got 5/);
    expect(refusal(skr([PIN_MRSIGNER, { claim: 'x-ms-attestation-type', equals: true }]))).toMatch(/holds a string, got true/);
  });

  it('ordering on a claim that is not a number, or with a value that is not one', () => {
    expect(refusal(skr([PIN_MRSIGNER, { claim: 'x-ms-attestation-type', greater: 1 }]))).toMatch(
      /claim "x-ms-attestation-type" holds a string: greater compares numbers only/,
    );
    expect(refusal(skr([PIN_MRSIGNER, { claim: 'x-ms-sgx-mrenclave', lessOrEquals: 1 }]))).toMatch(
      /holds 64 hex digits: lessOrEquals compares numbers only/,
    );
    expect(refusal(skr([PIN_MRSIGNER, { claim: 'x-ms-sgx-svn', greaterOrEquals: '1' }]))).toMatch(
      /greaterOrEquals compares finite numbers, got "1"/,
    );
    expect(refusal(skr([PIN_MRSIGNER, { claim: 'x-ms-runtime.n', less: '1' }]))).toMatch(/less compares finite numbers/);
  });

  it('equals on a claim holding an object or an array', () => {
    expect(refusal(skr([PIN_MRSIGNER, { claim: 'x-ms-runtime', equals: 'x' }]))).toMatch(
      /claim "x-ms-runtime" holds an object: compare one of its members/,
    );
    expect(refusal(skr([PIN_MRSIGNER, { claim: 'x-ms-azurevm-attested-pcrs', notEquals: 1 }]))).toMatch(/holds an array/);
    expect(() => compilePolicy(skr([PIN_MRSIGNER, { claim: 'x-ms-runtime', exists: true }]))).not.toThrow();
  });

  it('claims MAA does not issue, unless allowUnknownClaims', () => {
    const typo = skr([
      { claim: 'x-ms-sgx-mrsinger', equals: HEX64 },
      { claim: 'x-ms-sgx-mrenclave', equals: HEX64 },
    ]);
    expect(refusal(typo)).toMatch(/^policy\.anyOf\[0\]\.allOf\[0\]: unknown claim "x-ms-sgx-mrsinger": .*allowUnknownClaims/);
    expect(compilePolicy({ ...typo, allowUnknownClaims: true }).allowUnknownClaims).toBe(true);
    expect(refusal(skr([PIN_MRSIGNER, { claim: 'x-ms-isolation-tee.x-ms-sgx-mrenclave', equals: HEX64 }]))).toMatch(
      /unknown claim "x-ms-isolation-tee\.x-ms-sgx-mrenclave"/,
    );
    for (const claim of ['constructor', '__proto__', 'toString', 'x-ms-sgx-collateral.constructor']) {
      expect(refusal(skr([PIN_MRSIGNER, { claim, exists: false }]))).toMatch(/unknown claim/);
    }
  });

  it('a path descending into a claim that holds no object, even with allowUnknownClaims', () => {
    const policy = skr([PIN_MRSIGNER, { claim: 'x-ms-sgx-svn.major', equals: 1 }], { allowUnknownClaims: true });
    expect(refusal(policy)).toMatch(
      /^policy\.anyOf\[0\]\.allOf\[1\]: claim "x-ms-sgx-svn" holds an integer 0\.\.65535: a claim path cannot descend into it/,
    );
  });

  it('flags that are not booleans', () => {
    expect(refusal(wusSkrPolicy({ allowDebug: 'yes' }))).toMatch(/^policy\.allowDebug: must be true or false, got "yes"/);
    expect(refusal(wusSkrPolicy({ allowAnyEnclave: null }))).toMatch(/^policy\.allowAnyEnclave: must be true or false, got null/);
    expect(refusal(wusSkrPolicy({ allowUnknownClaims: 1 }))).toMatch(/^policy\.allowUnknownClaims: must be true or false/);
  });

  it('nesting deeper than any real policy', () => {
    let rule: unknown = PIN_MRSIGNER;
    for (let i = 0; i < 40; i++) rule = { allOf: [rule] };
    expect(refusal(skr([rule]))).toMatch(/nests deeper than 32 groups/);
  });
});

describe('a policy must name an enclave identity', () => {
  const anonymous = /can be satisfied without an equals on a workload identity claim .*allowAnyEnclave/;

  it('refuses a policy pinning no identity, unless allowAnyEnclave', () => {
    const svnOnly = skr([{ claim: 'x-ms-sgx-svn', greaterOrEquals: 2 }]);
    expect(refusal(svnOnly)).toMatch(new RegExp(`^policy\\.anyOf\\[0\\]\\.allOf\\[0\\]: ${anonymous.source}`));
    expect(compilePolicy({ ...svnOnly, allowAnyEnclave: true }).allowAnyEnclave).toBe(true);
  });

  it('counts equals only, on x-ms-* identity claims only', () => {
    for (const rule of [
      { claim: 'x-ms-sgx-mrenclave', notEquals: HEX64 },
      { claim: 'x-ms-sgx-mrenclave', exists: true },
      { claim: 'sgx-mrenclave', equals: HEX64 },
      { claim: 'x-ms-sevsnpvm-idkeydigest', equals: HEX96 },
      // Chosen by the host at launch: it may accompany the launch measurement, never replace it.
      { claim: 'x-ms-sevsnpvm-hostdata', equals: HEX64 },
      { claim: 'x-ms-isolation-tee.x-ms-sevsnpvm-hostdata', equals: HEX64 },
      // RTMRs and owner IDs accompany MRTD.
      { claim: 'tdx_rtmr3', equals: HEX96 },
      { claim: 'tdx_mrowner', equals: HEX96 },
      { claim: 'x-ms-isolation-tee.tdx_rtmr0', equals: HEX96 },
    ]) {
      expect(refusal(skr([rule]))).toMatch(anonymous);
    }
    for (const rule of [
      { claim: 'x-ms-sgx-mrenclave', equals: HEX64 },
      { claim: 'x-ms-sgx-mrsigner', equals: HEX64 },
      { claim: 'x-ms-sevsnpvm-launchmeasurement', equals: HEX96 },
      { claim: 'x-ms-isolation-tee.x-ms-sevsnpvm-launchmeasurement', equals: HEX96 },
      { claim: 'tdx_mrtd', equals: HEX96 },
      { claim: 'x-ms-isolation-tee.tdx_mrtd', equals: HEX96 },
    ]) {
      expect(() => compilePolicy(skr([rule]))).not.toThrow();
    }
  });

  it('allOf requires it if any child does; anyOf only if every child does', () => {
    const svn = { claim: 'x-ms-sgx-svn', greaterOrEquals: 2 };
    expect(() => compilePolicy(skr([svn, { anyOf: [PIN_MRSIGNER, { allOf: [svn, PIN_MRSIGNER] }] }]))).not.toThrow();
    // An allOf none of whose children pins an identity is named itself (or its child, if it has only
    // one); an anyOf names its first branch that pins none.
    expect(() => compilePolicy(skr([PIN_MRSIGNER, { anyOf: [PIN_MRSIGNER, svn] }]))).not.toThrow();
    expect(refusal(skr([svn, { anyOf: [PIN_MRSIGNER, svn] }]))).toMatch(new RegExp(`^policy\\.anyOf\\[0\\]\\.allOf: ${anonymous.source}`));
    expect(refusal({ allOf: [{ authority: WUS, anyOf: [PIN_MRSIGNER, { allOf: [svn, svn] }] }] })).toMatch(
      new RegExp(`^policy\\.allOf\\[0\\]\\.anyOf\\[1\\]\\.allOf: ${anonymous.source}`),
    );
  });

  it('requires it in every authority block of an anyOf, in one of an allOf', () => {
    const second = { authority: 'https://sharedeus.eus.attest.azure.net', allOf: [{ claim: 'x-ms-sgx-svn', greater: 0 }] };
    const first = { authority: WUS, allOf: [PIN_MRSIGNER] };
    expect(refusal({ anyOf: [first, second] })).toMatch(/^policy\.anyOf\[1\]\.allOf\[0\]: /);
    expect(() => compilePolicy({ allOf: [first, second] })).not.toThrow();
  });
});

// Policy-shaped input, mostly well-formed with some junk at every level: reaches the checks deep in the
// tree that arbitrary JSON never gets past the top level to meet.
const junk = fc.jsonValue({ maxDepth: 1 });
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<unknown> = junk) =>
  fc.oneof({ arbitrary: good, weight: 9 }, { arbitrary: bad, weight: 1 });
const claim = mostly(
  fc.constantFrom(
    'x-ms-sgx-mrenclave',
    'x-ms-sgx-mrsigner',
    'x-ms-sgx-svn',
    'x-ms-sgx-is-debuggable',
    'x-ms-isolation-tee.x-ms-sevsnpvm-hostdata',
    'x-ms-runtime.a.b',
    'x-ms-policy-hash',
    'x-ms-sgx-mrsinger',
    'x-ms-sgx-svn.x',
    'a..b',
    'constructor',
  ),
  fc.string(),
);
const operator = mostly(
  fc.constantFrom('equals', 'notEquals', 'less', 'greaterOrEquals', 'exists'),
  fc.constantFrom('equal', 'lessOrEquals', 'greater'),
);
const value = mostly(fc.constantFrom(HEX64, HEX96, WUS_MRENCLAVE.toUpperCase(), 1, '1', true, false));
const condition = fc
  .record({ claim, operators: fc.array(fc.tuple(operator, value), { minLength: 1, maxLength: 2 }) })
  .map(({ claim: name, operators }) => ({ claim: name, ...Object.fromEntries(operators) }));
const { rule } = fc.letrec((tie) => ({
  rule: fc.oneof({ maxDepth: 4 }, condition, condition, tie('group'), junk),
  group: fc
    .record({ kind: fc.constantFrom('allOf', 'anyOf'), rules: fc.array(tie('rule'), { minLength: 1, maxLength: 3 }) })
    .map(({ kind, rules }) => ({ [kind]: rules })),
}));
const authority = mostly(fc.constantFrom(WUS, `${WUS}/`, 'http://localhost:8443', 'http://example.com', 'not a url'));
const block = fc
  .record({
    authority,
    kind: mostly(fc.constantFrom('allOf', 'anyOf'), fc.constant('both')),
    rules: fc.array(rule, { minLength: 1, maxLength: 4 }),
  })
  .map(({ authority: issuer, kind, rules }) =>
    kind === 'both' ? { authority: issuer, allOf: rules, anyOf: rules } : { authority: issuer, [String(kind)]: rules },
  );
const flag = mostly(fc.boolean());
const skrShaped = fc.record(
  {
    version: mostly(fc.constant('1.0.0')),
    anyOf: fc.array(block, { minLength: 1, maxLength: 3 }),
    allowDebug: flag,
    allowAnyEnclave: flag,
    allowUnknownClaims: flag,
  },
  { requiredKeys: ['anyOf'] },
);
const list = mostly(fc.array(value, { minLength: 1, maxLength: 3 }));
const shorthandShaped = fc.record(
  {
    authority: fc.oneof(authority, fc.array(authority, { maxLength: 2 })),
    attestationType: mostly(fc.constantFrom('sgx', 'sevsnpvm')),
    mrenclave: list,
    mrsigner: list,
    productId: value,
    minSvn: value,
    policyHash: list,
    allowAnyEnclave: flag,
  },
  { requiredKeys: [] },
);

function compilesOrRefuses(input: unknown): void {
  if (outcome(() => compilePolicy(input)) === ACCEPTED) return;
  expect(refusalOf(() => compilePolicy(input), 'ERR_CONFIG_INVALID').message).toMatch(/^policy[.[:]/);
}

describe('compilePolicy on random input', () => {
  it('compiles arbitrary JSON or throws ERR_CONFIG_INVALID, never anything else', () => {
    fc.assert(fc.property(fc.jsonValue(), compilesOrRefuses), { numRuns: 3000 });
  });

  it('compiles policy-shaped JSON or throws ERR_CONFIG_INVALID, never anything else', () => {
    fc.assert(fc.property(fc.oneof(skrShaped, shorthandShaped), compilesOrRefuses), { numRuns: 4000 });
  });
});
