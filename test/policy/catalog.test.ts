import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ClaimCatalog, type ClaimType, describeType, IDENTITY_CLAIMS, lookupClaim, MAA_CLAIMS } from '../../src/policy/catalog.js';
import { loadPayload, type Payload } from './helpers.js';

const HEX = /^[0-9a-fA-F]*$/;

function fits(value: unknown, type: ClaimType): boolean {
  switch (type.kind) {
    case 'hex':
      return typeof value === 'string' && value.length === type.digits && HEX.test(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeof value === type.kind;
  }
}

/** Every claim of `claims` the catalogue does not know or types differently, as dotted paths. */
function misfits(claims: Payload, catalog: ClaimCatalog, prefix = ''): string[] {
  return Object.entries(claims).flatMap(([name, value]) => {
    const entry = catalog.get(name);
    if (entry === undefined || !fits(value, entry.type)) return [`${prefix}${name}`];
    const { type } = entry;
    return type.kind === 'object' && type.members !== undefined ? misfits(value as Payload, type.members, `${prefix}${name}.`) : [];
  });
}

// Policy-management responses carry no attestation type: they are not evidence, and their claims are not
// for policies.
const attestationResults = readdirSync(new URL('../fixtures/maa/decoded/', import.meta.url))
  .map((file) => file.replace(/\.json$/, ''))
  .filter((name) => Object.hasOwn(loadPayload(name), 'x-ms-attestation-type'));

// Claims a custom instance policy chose to issue: a policy names them with allowUnknownClaims.
const CUSTOM_CLAIMS: Readonly<Record<string, readonly string[]>> = { 'cpp-sgx-draftpolicy-unsigned-2022': ['custom-name'] };

describe('the catalogue of MAA claims', () => {
  it('covers every real attestation result fixture', () => {
    expect(attestationResults.length).toBeGreaterThanOrEqual(8);
  });

  it.each(attestationResults)('knows and correctly types every claim of %s', (name) => {
    expect(misfits(loadPayload(name), MAA_CLAIMS)).toEqual(CUSTOM_CLAIMS[name] ?? []);
  });

  it('knows the documented claims not seen in the fixtures', () => {
    const documented = [
      'x-ms-sgx-config-id', 'x-ms-sgx-config-svn', 'x-ms-sgx-isv-extended-product-id', 'x-ms-sgx-isv-family-id',
      'x-ms-inittime', 'x-ms-policy-signer', 'nonce', 'x-ms-compliance-status', 'x-ms-sgx-tcbidentifier',
      'maa-ehd', 'aas-ehd', 'maa-policyHash', 'ver', 'policy_hash', 'policy_signer', 'rp_data',
    ];
    expect(documented.filter((claim) => !MAA_CLAIMS.has(claim))).toEqual([]);
  });

  it('types measurements as hex of their exact length', () => {
    const digits = (claim: string) => {
      const found = lookupClaim(claim.split('.'));
      return found.found === 'typed' && found.entry.type.kind === 'hex' ? found.entry.type.digits : undefined;
    };
    expect(digits('x-ms-sgx-mrenclave')).toBe(64);
    expect(digits('x-ms-sgx-mrsigner')).toBe(64);
    expect(digits('x-ms-sevsnpvm-launchmeasurement')).toBe(96);
    expect(digits('x-ms-sevsnpvm-hostdata')).toBe(64);
    expect(digits('x-ms-isolation-tee.x-ms-sevsnpvm-launchmeasurement')).toBe(96);
    expect(digits('x-ms-sgx-config-id')).toBe(128);
    expect(digits('maa-policyHash')).toBe(64);
    // base64url, where case matters
    expect(digits('x-ms-policy-hash')).toBeUndefined();
  });

  it('names the x-ms-* measurements as identity claims, legacy aliases excluded', () => {
    expect([...IDENTITY_CLAIMS].sort()).toEqual([
      'x-ms-sevsnpvm-hostdata',
      'x-ms-sevsnpvm-launchmeasurement',
      'x-ms-sgx-mrenclave',
      'x-ms-sgx-mrsigner',
    ]);
    const nested = lookupClaim(['x-ms-isolation-tee', 'x-ms-sevsnpvm-hostdata']);
    expect(nested.found === 'typed' && nested.entry.identity).toBe(true);
  });
});

describe('lookupClaim', () => {
  it('finds nested claims of x-ms-isolation-tee and the collateral', () => {
    expect(lookupClaim(['x-ms-isolation-tee', 'x-ms-compliance-status'])).toMatchObject({ found: 'typed', entry: { type: { kind: 'string' } } });
    expect(lookupClaim(['x-ms-sgx-collateral', 'quotehash'])).toMatchObject({ found: 'typed', entry: { type: { kind: 'hex', digits: 64 } } });
  });

  it('reports the first unknown segment', () => {
    expect(lookupClaim(['x-ms-sgx-mrsinger'])).toEqual({ found: 'unknown', name: 'x-ms-sgx-mrsinger' });
    expect(lookupClaim(['x-ms-isolation-tee', 'x-ms-sgx-svn', 'x'])).toEqual({ found: 'unknown', name: 'x-ms-isolation-tee.x-ms-sgx-svn' });
    for (const name of ['constructor', '__proto__', 'hasOwnProperty']) expect(lookupClaim([name]).found).toBe('unknown');
  });

  it('leaves paths inside free-form objects untyped', () => {
    for (const path of [['x-ms-runtime', 'keys'], ['x-ms-inittime', 'a', 'b'], ['x-ms-policy', 'svn'], ['x-ms-isolation-tee', 'x-ms-runtime', 'keys']]) {
      expect(lookupClaim(path)).toEqual({ found: 'free-form' });
    }
  });

  it('refuses to descend below a value that is not an object', () => {
    expect(lookupClaim(['x-ms-sgx-svn', 'x'])).toEqual({ found: 'not-an-object', parent: 'x-ms-sgx-svn', type: { kind: 'number' } });
    expect(lookupClaim(['x-ms-azurevm-attested-pcrs', '0'])).toMatchObject({ found: 'not-an-object', parent: 'x-ms-azurevm-attested-pcrs' });
  });

  it('describes types for messages', () => {
    expect([{ kind: 'hex', digits: 96 }, { kind: 'number' }, { kind: 'array' }, { kind: 'object', members: undefined }].map((t) => describeType(t as ClaimType))).toEqual([
      '96 hex digits',
      'a number',
      'an array',
      'an object',
    ]);
  });
});
