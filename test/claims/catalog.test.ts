import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ATTESTATION_TYPES,
  type ClaimCatalog,
  type ClaimType,
  claimsOf,
  claimSpec,
  describeType,
  lookupClaim,
  MAA_CLAIMS,
} from '../../src/claims/catalog.js';
import { IDENTITY_CLAIMS, IDENTITY_RULES } from '../../src/policy/identity.js';
import { loadPayload, type Payload } from './helpers.js';

const HEX = /^[0-9a-fA-F]*$/;

function fits(value: unknown, type: ClaimType): boolean {
  switch (type.kind) {
    case 'hex':
      return typeof value === 'string' && value.length === type.digits && HEX.test(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= type.max;
    case 'base64url':
      return typeof value === 'string' && /^[A-Za-z0-9_-]*$/.test(value);
    case 'string':
      return typeof value === 'string' && (type.values === undefined || type.values.includes(value));
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

  it("knows and correctly types every claim of Microsoft's tdxvm sample", () => {
    const sample = JSON.parse(readFileSync(new URL('../fixtures/tdx/maa-tdxvm-learn-sample.json', import.meta.url), 'utf8')) as Payload;
    expect(misfits(sample, MAA_CLAIMS)).toEqual([]);
  });

  it('knows the 2025–2026 SEV-SNP guest-policy claims, at the top and inside x-ms-isolation-tee', () => {
    const names = [
      'x-ms-sevsnpvm-ciphertext-hiding-dram-enabled',
      'x-ms-sevsnpvm-cxl-allowed',
      'x-ms-sevsnpvm-mem-aes256-xts-required',
      'x-ms-sevsnpvm-page-swap-disabled',
      'x-ms-sevsnpvm-rapl-disabled',
      'x-ms-sevsnpvm-singlesocket',
    ];
    for (const name of names) {
      expect(claimSpec(name)?.type).toEqual({ kind: 'boolean' });
      expect(lookupClaim(['x-ms-isolation-tee', name])).toMatchObject({ found: 'typed', entry: { type: { kind: 'boolean' } } });
    }
  });

  it('nests every TDX claim under x-ms-isolation-tee, and no SGX one', () => {
    for (const name of ['tdx_mrtd', 'tdx_rtmr3', 'tdx_td_attributes', 'attester_tcb_status', 'x-ms-compliance-status']) {
      expect(claimSpec(name, true), name).toBeDefined();
    }
    expect(claimSpec('x-ms-sgx-mrenclave', true)).toBeUndefined();
    expect(claimSpec('x-ms-isolation-tee', true)).toBeUndefined();
  });

  it('gives every example a value of its own type, and every alias an existing claim', () => {
    for (const [name, spec] of MAA_CLAIMS) {
      if (spec.example !== undefined) expect(fits(spec.example, spec.type), name).toBe(true);
      if (spec.alias !== undefined) expect(MAA_CLAIMS.has(spec.alias.of), name).toBe(true);
      if (spec.danger !== undefined) expect(['debug', 'migration', 'integrity'], name).toContain(spec.role);
      // An example must be the safe value: minted tokens default to a production TEE.
      if (spec.danger !== undefined && spec.example !== undefined) expect(spec.danger.when(spec.example), name).toBe(false);
    }
  });

  it('lists the claims of each type, azurevm with those of its isolation TEE', () => {
    expect(claimsOf('tdxvm').map(([name]) => name)).toContain('tdx_mrtd');
    expect(claimsOf('tdxvm').map(([name]) => name)).not.toContain('x-ms-sgx-mrenclave');
    const onTdx = claimsOf('azurevm', 'tdxvm').map(([name]) => name);
    expect(onTdx).toContain('x-ms-isolation-tee.tdx_mrtd');
    expect(onTdx).toContain('x-ms-azurevm-kerneldebug-enabled');
    expect(onTdx).not.toContain('x-ms-isolation-tee.x-ms-sevsnpvm-launchmeasurement');
  });

  it('knows the documented claims not seen in the fixtures', () => {
    const documented = [
      'x-ms-sgx-config-id',
      'x-ms-sgx-config-svn',
      'x-ms-sgx-isv-extended-product-id',
      'x-ms-sgx-isv-family-id',
      'x-ms-inittime',
      'x-ms-policy-signer',
      'nonce',
      'x-ms-compliance-status',
      'x-ms-sgx-tcbidentifier',
      'maa-ehd',
      'aas-ehd',
      'maa-policyHash',
      'ver',
      'policy_hash',
      'policy_signer',
      'rp_data',
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

  it('names per type the claims that identify the workload: never host data, RTMRs or legacy aliases', () => {
    expect(IDENTITY_RULES.sgx.claims).toEqual(['x-ms-sgx-mrenclave', 'x-ms-sgx-mrsigner']);
    expect(IDENTITY_RULES.sevsnpvm.claims).toEqual(['x-ms-sevsnpvm-launchmeasurement']);
    expect(IDENTITY_RULES.tdxvm.claims).toEqual(['tdx_mrtd']);
    expect(IDENTITY_RULES.azurevm.claims).toEqual(['x-ms-isolation-tee.x-ms-sevsnpvm-launchmeasurement', 'x-ms-isolation-tee.tdx_mrtd']);
    for (const type of ATTESTATION_TYPES) expect(IDENTITY_RULES[type].reason.length).toBeGreaterThan(40);
    expect(IDENTITY_CLAIMS).not.toContain('x-ms-sevsnpvm-hostdata');
    const nested = lookupClaim(['x-ms-isolation-tee', 'x-ms-sevsnpvm-hostdata']);
    expect(nested.found === 'typed' && nested.entry.role).toBe('measurement');
  });
});

describe('lookupClaim', () => {
  it('finds nested claims of x-ms-isolation-tee and the collateral', () => {
    expect(lookupClaim(['x-ms-isolation-tee', 'x-ms-compliance-status'])).toMatchObject({
      found: 'typed',
      entry: { type: { kind: 'string' } },
    });
    expect(lookupClaim(['x-ms-sgx-collateral', 'quotehash'])).toMatchObject({
      found: 'typed',
      entry: { type: { kind: 'hex', digits: 64 } },
    });
  });

  it('reports the first unknown segment', () => {
    expect(lookupClaim(['x-ms-sgx-mrsinger'])).toEqual({ found: 'unknown', name: 'x-ms-sgx-mrsinger' });
    expect(lookupClaim(['x-ms-isolation-tee', 'x-ms-sgx-svn', 'x'])).toEqual({ found: 'unknown', name: 'x-ms-isolation-tee.x-ms-sgx-svn' });
    for (const name of ['constructor', '__proto__', 'hasOwnProperty']) expect(lookupClaim([name]).found).toBe('unknown');
  });

  it('leaves paths inside free-form objects untyped', () => {
    for (const path of [
      ['x-ms-runtime', 'keys'],
      ['x-ms-inittime', 'a', 'b'],
      ['x-ms-policy', 'svn'],
      ['x-ms-isolation-tee', 'x-ms-runtime', 'keys'],
    ]) {
      expect(lookupClaim(path)).toEqual({ found: 'free-form' });
    }
  });

  it('refuses to descend below a value that is not an object', () => {
    expect(lookupClaim(['x-ms-sgx-svn', 'x'])).toEqual({
      found: 'not-an-object',
      parent: 'x-ms-sgx-svn',
      type: { kind: 'integer', max: 65535 },
    });
    expect(lookupClaim(['x-ms-azurevm-attested-pcrs', '0'])).toMatchObject({
      found: 'not-an-object',
      parent: 'x-ms-azurevm-attested-pcrs',
    });
  });

  it('describes types for messages', () => {
    const types: ClaimType[] = [
      { kind: 'hex', digits: 96 },
      { kind: 'integer', max: 255 },
      { kind: 'integer', max: Number.MAX_SAFE_INTEGER },
      { kind: 'string', values: ['a', 'b'] },
      { kind: 'base64url' },
      { kind: 'boolean' },
      { kind: 'array' },
      { kind: 'object', members: undefined },
    ];
    expect(types.map(describeType)).toEqual([
      '96 hex digits',
      'an integer 0..255',
      'a non-negative integer',
      'one of "a", "b"',
      'unpadded base64url',
      'a boolean',
      'an array',
      'an object',
    ]);
  });
});
