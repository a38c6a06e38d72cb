import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_TEXT } from '../../src/testing/index.js';
import {
  ATTESTATION_SERVICE_ISSUER,
  PolicySyntaxError,
  evaluateAttestationPolicy,
  parseAttestationPolicy,
  type PolicyClaim,
} from '../../src/testing/maa-policy.js';

const claims = (record: Record<string, unknown>): PolicyClaim[] =>
  Object.entries(record).map(([type, value]) => ({ type, value, issuer: ATTESTATION_SERVICE_ISSUER }));

const ENCLAVE = claims({
  'x-ms-attestation-type': 'sgx',
  'x-ms-sgx-is-debuggable': false,
  'x-ms-sgx-mrsigner': 'aa'.repeat(32),
  'x-ms-sgx-mrenclave': 'bb'.repeat(32),
  'x-ms-sgx-product-id': 3,
  'x-ms-sgx-svn': 2,
});

function run(text: string, input: PolicyClaim[] = ENCLAVE) {
  return evaluateAttestationPolicy(parseAttestationPolicy(text), input);
}

describe('MAA policy language', () => {
  it('the default policy permits any enclave and issues the six legacy claims, in rule order', () => {
    const outcome = run(DEFAULT_POLICY_TEXT);
    expect(outcome).toEqual({
      permitted: true,
      issued: [
        { type: 'is-debuggable', value: false, issuer: ATTESTATION_SERVICE_ISSUER },
        { type: 'sgx-mrsigner', value: 'aa'.repeat(32), issuer: ATTESTATION_SERVICE_ISSUER },
        { type: 'sgx-mrenclave', value: 'bb'.repeat(32), issuer: ATTESTATION_SERVICE_ISSUER },
        { type: 'product-id', value: 3, issuer: ATTESTATION_SERVICE_ISSUER },
        { type: 'svn', value: 2, issuer: ATTESTATION_SERVICE_ISSUER },
        { type: 'tee', value: 'sgx', issuer: ATTESTATION_SERVICE_ISSUER },
      ],
    });
  });

  it('permits only when every condition of a permit rule holds', () => {
    const gate = (svn: string, debug: string) =>
      run(
        `version=1.0; authorizationrules { [type=="x-ms-sgx-svn", value>=${svn}] && [type=="x-ms-sgx-is-debuggable", value==${debug}] => permit(); };`,
      );
    expect(gate('2', 'false').permitted).toBe(true);
    expect(gate('3', 'false')).toEqual({ permitted: false, reason: expect.stringContaining('No Permit claim was issued') });
    expect(gate('1', 'true').permitted).toBe(false);
  });

  it('compares with == != < <= > >=, and a value of another type never matches (except !=)', () => {
    const permits = (clause: string) =>
      run(`version=1.0; authorizationrules { [type=="x-ms-sgx-product-id", ${clause}] => permit(); };`).permitted;
    expect([
      permits('value==3'),
      permits('value!=3'),
      permits('value<4'),
      permits('value<=3'),
      permits('value>2'),
      permits('value>=4'),
    ]).toEqual([true, false, true, true, true, false]);
    expect(permits('value=="3"')).toBe(false);
    expect(permits('value!="3"')).toBe(true);
    expect(permits('issuer=="AttestationService"')).toBe(true);
  });

  it('deny() wins over permit()', () => {
    const outcome = run('version=1.0; authorizationrules { => permit(); [type=="x-ms-sgx-svn", value<5] => deny(); };');
    expect(outcome).toEqual({ permitted: false, reason: expect.stringContaining('deny') });
  });

  it('add() makes a claim visible to later rules only; issue(claim=c) copies a claim; literals can be issued', () => {
    const outcome = run(
      'version=1.2; configurationrules { => issueproperty(type="x", value=true); }; authorizationrules { => permit(); };' +
        'issuancerules { c:[type=="x-ms-sgx-svn"] => add(type="seen", value=c.value); c:[type=="seen", value==2] => issue(type="svn-ok", value=true);' +
        ' c:[type=="x-ms-sgx-product-id"] => issue(claim=c); => issue(type="tier", value="gold"); [type=="absent"] => issue(type="never", value=1); };',
    );
    expect(outcome).toEqual({
      permitted: true,
      issued: [
        { type: 'svn-ok', value: true, issuer: ATTESTATION_SERVICE_ISSUER },
        { type: 'x-ms-sgx-product-id', value: 3, issuer: ATTESTATION_SERVICE_ISSUER },
        { type: 'tier', value: 'gold', issuer: ATTESTATION_SERVICE_ISSUER },
      ],
    });
  });

  it('a policy without authorization rules permits', () => {
    expect(run('version=1.0; issuancerules { };')).toEqual({ permitted: true, issued: [] });
  });

  it.each([
    ['', 'empty'],
    ['version=2.0;', 'unsupported policy version'],
    ['version=1.0; authorizationrules { => permit() };', 'expected ";"'],
    ['version=1.0; authorizationrules { => permit(); }; authorizationrules { };', 'appears twice'],
    ['version=1.0; unknownrules { };', 'unknown section'],
    ['version=1.0; issuancerules { => permit(); };', 'belongs in authorizationrules'],
    ['version=1.0; authorizationrules { => issue(type="a", value=1); };', 'belongs in issuancerules'],
    ['version=1.0; issuancerules { c:[type=="a"] => issue(type="b", value=d.value); };', 'not the name of a condition'],
    ['version=1.0; issuancerules { [type=~"a"] => issue(type="b", value=1); };', 'unexpected character'],
    ['version=1.0; issuancerules { [type=="a"] => issue(type="b", value=c.type); };', 'only c.value'],
    ['version=1.0; issuancerules { [count=="a"] => issue(type="b", value=1); };', 'cannot test'],
    ['version=1.0; issuancerules { => issue(type="b", value=1); ', 'ended'],
    ['version=1.0; issuancerules { [type=="a] => issue(type="b", value=1); };', 'unterminated string'],
    [`version=1.0;${' '.repeat(70_000)}`, 'longer than'],
  ])('refuses %j (%s)', (text, message) => {
    expect(() => parseAttestationPolicy(text)).toThrow(PolicySyntaxError);
    expect(() => parseAttestationPolicy(text)).toThrow(message);
  });
});

describe('MAA policy language, properties', () => {
  const pieces = fc.constantFrom(
    'version',
    '=',
    '1.0',
    ';',
    'authorizationrules',
    'issuancerules',
    '{',
    '}',
    '[',
    ']',
    '(',
    ')',
    '=>',
    '&&',
    'c',
    ':',
    'type',
    'value',
    '==',
    '>=',
    '"x-ms-sgx-svn"',
    '2',
    'true',
    'permit',
    'deny',
    'issue',
    'add',
    ',',
    '.',
    '"',
    '~',
    ' ',
  );
  it('any text parses or is refused with a PolicySyntaxError; a parsed policy evaluates without throwing', () => {
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 60 }), fc.boolean(), (tokens, prefixed) => {
        const text = (prefixed ? 'version=1.0;' : '') + tokens.join(' ');
        let policy;
        try {
          policy = parseAttestationPolicy(text);
        } catch (error) {
          expect(error).toBeInstanceOf(PolicySyntaxError);
          return;
        }
        const outcome = evaluateAttestationPolicy(policy, ENCLAVE);
        expect(typeof outcome.permitted).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});
