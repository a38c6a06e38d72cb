import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readAttestationResult } from '../../src/claims/attestation.js';
import { readAzureVmClaims } from '../../src/claims/azurevm.js';
import { readIsolationTdxClaims, readTdxClaims } from '../../src/claims/tdx.js';
import { claimError, loadPayload, type Payload } from './helpers.js';

/** Microsoft's published tdxvm payload (the TDX EAT profile's sample), verbatim. */
function sample(): Payload {
  return JSON.parse(readFileSync(new URL('../fixtures/tdx/maa-tdxvm-learn-sample.json', import.meta.url), 'utf8')) as Payload;
}

const MRTD = '5be56d418d33661a6c21da77c9503a07e430b35eb92a0bd042a6b3c4e79b3c82bb1c594e770d0d129a0724669f1e953f';
const ZERO_96 = '0'.repeat(96);

describe("the tdxvm view of Microsoft's sample", () => {
  it('reads every profile claim, RTMRs in order', () => {
    expect(readTdxClaims(sample())).toEqual({
      mrtd: MRTD,
      rtmr: [ZERO_96, ZERO_96, ZERO_96, ZERO_96],
      mrSeam: '2fd279c16164a93dd5bf373d834328d46008c2b693af9ebb865b08b2ced320c9a89b4869a9fab60fbe9d0c5a5363c656',
      mrSignerSeam: ZERO_96,
      mrConfigId: ZERO_96,
      mrOwner: ZERO_96,
      mrOwnerConfig: ZERO_96,
      reportData: '93c6db49f2318387bcebdad0275e206725d948f9000d900344aa44abaef14596' + '0'.repeat(64),
      tdAttributes: '0000000000000000',
      xfam: 'e718060000000000',
      seamSvn: 3,
      teeTcbSvn: '03000600000000000000000000000000',
      isDebuggable: false,
      tcbStatus: 'UpToDate',
      complianceStatus: 'azure-compliant-cvm',
      eatProfile: 'https://aka.ms/maa-eat-profile-tdxvm',
      runtimeClaims: { 'test-claim-name': 'test-claim-value' },
    });
  });

  it('is the typed view of a tdxvm attestation result', () => {
    const result = readAttestationResult(sample());
    expect(result.attestationType).toBe('tdxvm');
    expect(result.tdx?.mrtd).toBe(MRTD);
  });

  it('lower-cases hex', () => {
    expect(readTdxClaims({ ...sample(), tdx_mrtd: MRTD.toUpperCase() }).mrtd).toBe(MRTD);
  });
});

describe('the tdxvm view refuses', () => {
  it.each([
    ['tdx_mrtd', 96],
    ['tdx_rtmr2', 96],
    ['tdx_mrseam', 96],
    ['tdx_report_data', 128],
    ['tdx_tee_tcb_svn', 32],
    ['tdx_xfam', 16],
    ['tdx_td_attributes', 16],
  ])('%s of any length but %i hex digits', (name, digits) => {
    for (const bad of ['a'.repeat(digits - 1), 'a'.repeat(digits + 1), `${'a'.repeat(digits - 1)}g`, 7]) {
      expect(claimError(() => readTdxClaims({ ...sample(), [name]: bad })).message).toContain(name);
    }
  });

  it('a missing MRTD or TD attributes', () => {
    for (const name of ['tdx_mrtd', 'tdx_td_attributes', 'tdx_rtmr0', 'eat_profile']) {
      const payload = sample();
      delete payload[name];
      expect(claimError(() => readTdxClaims(payload)).message).toContain(name);
    }
  });

  it.each([
    ['tdx_td_attributes_septve_disable', '0000001000000000', 28],
    ['tdx_td_attributes_protection_keys', '0000004000000000', 30],
    ['tdx_td_attributes_perfmon', '0000000000000080', 63],
  ])('%s must agree with its bit of tdx_td_attributes', (name, set, bit) => {
    expect(() => readTdxClaims({ ...sample(), tdx_td_attributes: set, [name]: true })).not.toThrow();
    expect(claimError(() => readTdxClaims({ ...sample(), tdx_td_attributes: set, [name]: false })).message).toContain(
      `${name} (false) contradicts bit ${bit}`,
    );
    expect(claimError(() => readTdxClaims({ ...sample(), [name]: true })).message).toContain(`${name} (true) contradicts bit ${bit}`);
  });

  it('a debug flag that contradicts bit 0 of tdx_td_attributes, either way', () => {
    expect(claimError(() => readTdxClaims({ ...sample(), tdx_td_attributes_debug: true })).message).toMatch(
      /tdx_td_attributes_debug \(true\) contradicts bit 0 of tdx_td_attributes/,
    );
    claimError(() => readTdxClaims({ ...sample(), tdx_td_attributes: '0100000000000000' }));
  });

  it('dbgstat enabled on a TD whose attributes say not debuggable, and dbgstat outside the EAT list', () => {
    expect(claimError(() => readTdxClaims({ ...sample(), dbgstat: 'enabled' })).message).toMatch(/dbgstat "enabled" contradicts/);
    claimError(() => readTdxClaims({ ...sample(), dbgstat: 'off' }));
  });

  it('an unknown TCB status or EAT profile', () => {
    claimError(() => readTdxClaims({ ...sample(), attester_tcb_status: 'uptodate' }));
    claimError(() => readTdxClaims({ ...sample(), eat_profile: 'https://example.com/profile' }));
  });

  it('a partial set of RTMRs', () => {
    const payload = sample();
    delete payload['tdx_rtmr3'];
    expect(claimError(() => readIsolationTdxClaims(payload)).message).toMatch(/all present or all absent/);
  });
});

describe('a debug TD, consistently stated', () => {
  it('reads as debuggable (the guard, not the view, refuses it)', () => {
    const debug = {
      ...sample(),
      tdx_td_attributes: '0100001000000000',
      tdx_td_attributes_debug: true,
      tdx_td_attributes_septve_disable: true,
      dbgstat: 'enabled',
    };
    expect(readTdxClaims(debug).isDebuggable).toBe(true);
  });

  it('reads the DEBUG bit when the boolean is absent', () => {
    const payload: Payload = { ...sample(), tdx_td_attributes: '0100000000000000', dbgstat: 'enabled' };
    const { tdx_td_attributes_debug: _flag, ...rest } = payload;
    expect(readTdxClaims(rest).isDebuggable).toBe(true);
  });
});

describe('azurevm on a TDX confidential VM', () => {
  // The guest claims of a real azurevm token, with the TDX evidence Microsoft's tools read nested.
  const tdxTee = (): Payload => ({
    'x-ms-attestation-type': 'tdxvm',
    'x-ms-compliance-status': 'azure-compliant-cvm',
    tdx_mrseam: sample()['tdx_mrseam'],
    tdx_seamsvn: 3,
    tdx_td_attributes: '0000000000000000',
    tdx_tee_tcb_svn: '03000600000000000000000000000000',
    tdx_report_data: sample()['tdx_report_data'],
    'x-ms-runtime': { 'user-data': 'AB'.repeat(64) },
  });
  const onTdx = (tee: Payload): Payload => ({ ...loadPayload('jesserc-azurevm-snp-sharedeus2-2024-12'), 'x-ms-isolation-tee': tee });

  it('gains isolationTee.tdx, with only TDATTRIBUTES required', () => {
    const { isolationTee } = readAzureVmClaims(onTdx(tdxTee()));
    expect(isolationTee.attestationType).toBe('tdxvm');
    expect(isolationTee.sevsnp).toBeUndefined();
    expect(isolationTee.tdx).toMatchObject({
      mrSeam: sample()['tdx_mrseam'],
      seamSvn: 3,
      isDebuggable: false,
      tdAttributes: '0000000000000000',
    });
    expect(isolationTee.tdx?.mrtd).toBeUndefined();
  });

  it('reads the full TDX claim set when MAA nests it', () => {
    const {
      'x-ms-attestation-type': _type,
      'x-ms-policy-hash': _hash,
      iss: _iss,
      exp: _exp,
      iat: _iat,
      nbf: _nbf,
      jti: _jti,
      'x-ms-ver': _ver,
      ...tdx
    } = sample();
    const { isolationTee } = readAzureVmClaims(onTdx({ ...tdx, 'x-ms-attestation-type': 'tdxvm' }));
    expect(isolationTee.tdx?.mrtd).toBe(MRTD);
    expect(isolationTee.tdx?.rtmr).toHaveLength(4);
  });

  it('refuses a nested contradiction, naming x-ms-isolation-tee', () => {
    const message = claimError(() => readAzureVmClaims(onTdx({ ...tdxTee(), tdx_td_attributes_debug: true }))).message;
    expect(message).toMatch(/^in "x-ms-isolation-tee": claim tdx_td_attributes_debug/);
  });

  it('refuses nested TDX evidence without TD attributes', () => {
    const { tdx_td_attributes: _attributes, ...tee } = tdxTee();
    expect(claimError(() => readAzureVmClaims(onTdx(tee))).message).toContain('tdx_td_attributes');
  });
});
