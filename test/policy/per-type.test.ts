import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compilePolicy, evaluatePolicy } from '../../src/policy/index.js';
import type { VerifiedAttestation } from '../../src/verify/result.js';
import { attestationOf, configError, loadPayload, type Payload } from './helpers.js';

const decide = (policy: unknown, attestation: VerifiedAttestation) => evaluatePolicy(compilePolicy(policy), attestation);
const reasonsOf = (policy: unknown, attestation: VerifiedAttestation) => decide(policy, attestation).reasons.map((reason) => reason.claim);

const AKS_2022 = 'cvmguest-aks-azurevm-snp-sharedwus-2022-09';
const SNP_2024 = 'jesserc-azurevm-snp-sharedeus2-2024-12';
const AZUREVM_TOKENS = [AKS_2022, SNP_2024, 'cvmguest-azurevm-sharedweu-2023'];

const teeOf = (payload: Payload): Payload => payload['x-ms-isolation-tee'] as Payload;
const withTee = (payload: Payload, changes: Payload): Payload => ({ ...payload, 'x-ms-isolation-tee': { ...teeOf(payload), ...changes } });

function azurevmPolicy(payload: Payload, extra: Payload = {}): Payload {
  return {
    attestationType: 'azurevm',
    authority: payload['iss'],
    launchMeasurement: [teeOf(payload)['x-ms-sevsnpvm-launchmeasurement']],
    complianceStatus: ['azure-compliant-cvm'],
    ...extra,
  };
}

describe.each(AZUREVM_TOKENS)('real azurevm token %s', (name) => {
  const payload = loadPayload(name);

  it('is allowed by a shorthand pinning its isolation TEE measurement', () => {
    expect(decide(azurevmPolicy(payload), attestationOf(payload))).toEqual({ allowed: true, reasons: [] });
  });

  it('is refused when another launch measurement is pinned', () => {
    expect(reasonsOf(azurevmPolicy(payload, { launchMeasurement: ['ab'.repeat(48)] }), attestationOf(payload))).toEqual([
      'x-ms-isolation-tee.x-ms-sevsnpvm-launchmeasurement',
    ]);
  });

  it('is refused, by default, when its guest is migratable, debuggable or has kernel debugging on', () => {
    const migratable = attestationOf(withTee(payload, { 'x-ms-sevsnpvm-migration-allowed': true }));
    expect(reasonsOf(azurevmPolicy(payload), migratable)).toEqual(['x-ms-isolation-tee.x-ms-sevsnpvm-migration-allowed']);
    expect(decide(azurevmPolicy(payload, { allowMigration: true }), migratable).allowed).toBe(true);
    expect(decide(azurevmPolicy(payload, { allowDebug: true }), migratable).allowed).toBe(false);

    const debuggable = attestationOf(withTee(payload, { 'x-ms-sevsnpvm-is-debuggable': true }));
    expect(reasonsOf(azurevmPolicy(payload), debuggable)).toEqual(['x-ms-isolation-tee.x-ms-sevsnpvm-is-debuggable']);
    for (const flag of ['x-ms-azurevm-kerneldebug-enabled', 'x-ms-azurevm-bootdebug-enabled', 'x-ms-azurevm-hypervisordebug-enabled']) {
      const guest = attestationOf({ ...payload, [flag]: true });
      expect(reasonsOf(azurevmPolicy(payload), guest)).toEqual([flag]);
      expect(decide(azurevmPolicy(payload, { allowDebug: true }), guest).allowed).toBe(true);
      const { [flag]: _absent, ...without } = payload;
      expect(reasonsOf(azurevmPolicy(payload), attestationOf(without)), `${flag} absent`).toEqual([flag]);
    }
  });
});

describe('the identity rule per type', () => {
  it('refuses a policy pinning only SEV-SNP host data, which the host chooses at launch', () => {
    const hostOnly = { attestationType: 'sevsnpvm', hostData: ['00'.repeat(32)] };
    expect(configError(() => compilePolicy(hostOnly)).message).toMatch(/without an equals on a workload identity claim/);
    // Beside the launch measurement it narrows the policy.
    expect(() => compilePolicy({ ...hostOnly, launchMeasurement: ['ab'.repeat(48)] })).not.toThrow();
  });

  it('would otherwise accept a guest with another launch measurement', () => {
    const payload = loadPayload(SNP_2024);
    const policy = {
      anyOf: [{ authority: payload['iss'], allOf: [{ claim: 'x-ms-isolation-tee.x-ms-sevsnpvm-hostdata', equals: '00'.repeat(32) }] }],
      allowAnyEnclave: true,
    };
    const otherGuest = attestationOf(withTee(payload, { 'x-ms-sevsnpvm-launchmeasurement': 'cd'.repeat(48) }));
    expect(decide(policy, otherGuest).allowed).toBe(true);
    expect(decide(azurevmPolicy(payload), otherGuest).allowed).toBe(false);
  });
});

describe('policies on the 2025–2026 claims', () => {
  it('compile without allowUnknownClaims and compare booleans', () => {
    const payload = withTee(loadPayload(SNP_2024), { 'x-ms-sevsnpvm-cxl-allowed': false, 'x-ms-sevsnpvm-singlesocket': true });
    const pin = { claim: 'x-ms-isolation-tee.x-ms-sevsnpvm-launchmeasurement', equals: teeOf(payload)['x-ms-sevsnpvm-launchmeasurement'] };
    const policy = (rule: Payload) => ({ anyOf: [{ authority: payload['iss'], allOf: [pin, rule] }] });
    expect(decide(policy({ claim: 'x-ms-isolation-tee.x-ms-sevsnpvm-cxl-allowed', equals: false }), attestationOf(payload)).allowed).toBe(
      true,
    );
    expect(decide(policy({ claim: 'x-ms-isolation-tee.x-ms-sevsnpvm-singlesocket', equals: false }), attestationOf(payload)).allowed).toBe(
      false,
    );
    expect(
      configError(() => compilePolicy(policy({ claim: 'x-ms-isolation-tee.x-ms-sevsnpvm-cxl-allowed', equals: 'no' }))).message,
    ).toMatch(/holds a boolean/);
  });
});

function tdxSample(): Payload {
  const sample = JSON.parse(readFileSync(new URL('../fixtures/tdx/maa-tdxvm-learn-sample.json', import.meta.url), 'utf8')) as Payload;
  return sample;
}

describe('tdxvm policies', () => {
  const sample = tdxSample();
  const mrtd = sample['tdx_mrtd'] as string;
  const zero = '0'.repeat(96);
  const tdxPolicy = (extra: Payload = {}): Payload => ({
    attestationType: 'tdxvm',
    mrtd: [mrtd],
    rtmr: { 3: [zero] },
    tcbStatus: ['UpToDate'],
    ...extra,
  });

  it('pin MRTD, RTMRs and the TCB status with the shorthand', () => {
    expect(decide(tdxPolicy(), attestationOf(sample))).toEqual({ allowed: true, reasons: [] });
    expect(reasonsOf(tdxPolicy({ mrtd: ['ab'.repeat(48)] }), attestationOf(sample))).toEqual(['tdx_mrtd']);
    expect(reasonsOf(tdxPolicy(), attestationOf({ ...sample, tdx_rtmr3: 'ab'.repeat(48) }))).toEqual(['tdx_rtmr3']);
    expect(reasonsOf(tdxPolicy(), attestationOf({ ...sample, attester_tcb_status: 'OutOfDate' }))).toEqual(['attester_tcb_status']);
  });

  it('compile the SKR form on tdx_mrtd without allowUnknownClaims', () => {
    const policy = {
      anyOf: [
        {
          authority: sample['iss'],
          allOf: [
            { claim: 'tdx_mrtd', equals: mrtd.toUpperCase() },
            { claim: 'tdx_seamsvn', greaterOrEquals: 3 },
          ],
        },
      ],
    };
    expect(decide(policy, attestationOf(sample)).allowed).toBe(true);
  });

  it('refuse a debug TD by default, whichever way it is stated', () => {
    const debugTd = attestationOf({ ...sample, tdx_td_attributes: '0100000000000000', tdx_td_attributes_debug: true, dbgstat: 'enabled' });
    expect(reasonsOf(tdxPolicy(), debugTd)).toEqual(['dbgstat', 'tdx_td_attributes', 'tdx_td_attributes_debug']);
    expect(decide(tdxPolicy({ allowDebug: true }), debugTd).allowed).toBe(true);
  });

  it('refuse bad values at load', () => {
    expect(configError(() => compilePolicy(tdxPolicy({ tcbStatus: ['uptodate'] }))).message).toMatch(
      /^policy\.tcbStatus\[0\]: claim "attester_tcb_status" holds one of/,
    );
    expect(configError(() => compilePolicy(tdxPolicy({ rtmr: { 4: [zero] } }))).message).toMatch(/^policy\.rtmr: unknown register "4"/);
    expect(configError(() => compilePolicy(tdxPolicy({ rtmr: { 0: [zero.slice(2)] } }))).message).toMatch(
      /^policy\.rtmr\.0\[0\]: claim "tdx_rtmr0" holds 96 hex digits/,
    );
    expect(configError(() => compilePolicy({ attestationType: 'tdxvm', rtmr: { 3: [zero] } })).message).toMatch(/workload identity claim/);
    expect(configError(() => compilePolicy({ attestationType: 'sgx', mrtd: [mrtd] })).message).toMatch(
      /^policy\.mrtd: names a TDX claim, which a "sgx" token never carries/,
    );
    expect(configError(() => compilePolicy({ attestationType: 'tdxvm', mrenclave: ['ab'.repeat(32)] })).message).toMatch(
      /names an SGX claim/,
    );
  });
});

describe('azurevm on TDX', () => {
  const sample = tdxSample();
  const mrtd = sample['tdx_mrtd'] as string;
  const { iss: _iss, exp: _exp, iat: _iat, nbf: _nbf, jti: _jti, 'x-ms-ver': _ver, 'x-ms-policy-hash': _hash, ...tdx } = sample;
  const guest: Payload = { ...loadPayload(SNP_2024), 'x-ms-isolation-tee': tdx };

  it('pins the nested MRTD and requires a TDX isolation TEE', () => {
    const policy = { attestationType: 'azurevm', mrtd: [mrtd] };
    expect(decide(policy, attestationOf(guest)).allowed).toBe(true);
    expect(reasonsOf(policy, attestationOf(loadPayload(SNP_2024)))).toEqual([
      'x-ms-isolation-tee.x-ms-attestation-type',
      'x-ms-isolation-tee.tdx_mrtd',
    ]);
  });

  it('refuses a debug TD inside it', () => {
    const debug = {
      ...guest,
      'x-ms-isolation-tee': { ...tdx, tdx_td_attributes: '0100000000000000', tdx_td_attributes_debug: true, dbgstat: 'enabled' },
    };
    expect(reasonsOf({ attestationType: 'azurevm', mrtd: [mrtd] }, attestationOf(debug))).toEqual([
      'x-ms-isolation-tee.dbgstat',
      'x-ms-isolation-tee.tdx_td_attributes',
      'x-ms-isolation-tee.tdx_td_attributes_debug',
    ]);
  });

  it('refuses a shorthand mixing SEV-SNP and TDX members', () => {
    expect(
      configError(() => compilePolicy({ attestationType: 'azurevm', mrtd: [mrtd], launchMeasurement: ['ab'.repeat(48)] })).message,
    ).toMatch(/mixes SEV-SNP and TDX members/);
  });

  it('refuses an isolation TEE whose debug and migration flags are unknown, unless allowDebug and allowMigration', () => {
    const other = attestationOf({ ...guest, 'x-ms-isolation-tee': { 'x-ms-attestation-type': 'cca', tdx_mrtd: mrtd } });
    const policy = { anyOf: [{ authority: guest['iss'], allOf: [{ claim: 'x-ms-isolation-tee.tdx_mrtd', equals: mrtd }] }] };
    expect(reasonsOf(policy, other)).toEqual(['x-ms-isolation-tee.x-ms-attestation-type']);
    // allowDebug alone says nothing about migration: a TEE whose migration flag is unread is not "not migratable".
    const debugOnly = decide({ ...policy, allowDebug: true }, other);
    expect(debugOnly.allowed).toBe(false);
    expect(debugOnly.reasons[0]?.message).toMatch(/allowMigration: true/);
    expect(decide({ ...policy, allowDebug: true, allowMigration: true }, other).allowed).toBe(true);
  });
});
