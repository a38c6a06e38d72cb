import { describe, expect, it } from 'vitest';
import { readAzureVmClaims } from '../../src/claims/azurevm.js';
import { loadPayload, claimError, type Payload } from './helpers.js';

const WEU_2023 = 'cvmguest-azurevm-sharedweu-2023';

function withTee(tee: Payload): Payload {
  return { ...loadPayload(WEU_2023), 'x-ms-isolation-tee': tee };
}

function weuTee(): Payload {
  return { ...(loadPayload(WEU_2023)['x-ms-isolation-tee'] as Payload) };
}

describe('real azurevm payload (cvmguest-azurevm-sharedweu-2023)', () => {
  it('reads the guest claims', () => {
    const { isolationTee, runtimeClaims, ...guest } = readAzureVmClaims(loadPayload(WEU_2023));
    expect(guest).toEqual({
      secureBoot: true,
      debuggersDisabled: true,
      kernelDebugEnabled: false,
      bootDebugEnabled: false,
      hypervisorDebugEnabled: false,
      signingDisabled: true,
      testSigningEnabled: false,
      flightSigningEnabled: false,
      elamEnabled: false,
      isWindows: true,
      dbValidated: true,
      dbxValidated: true,
      defaultSecureBootKeysValidated: true,
      hvciPolicy: 0,
      vmId: '70F5CE9A-2BDC-4B6B-8401-E9B964D3AEB7',
      osType: 'Windows',
      osDistro: 'Microsoft',
      osBuild: 'NotApplicable',
      osVersionMajor: 10,
      osVersionMinor: 0,
      attestedPcrs: [0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13],
      attestationProtocolVersion: '2.0',
    });
    expect(runtimeClaims?.['client-payload']).toEqual({ nonce: 'QURFMDEwMQ==' });
    expect(isolationTee.attestationType).toBe('sevsnpvm');
  });

  it('reads the nested SEV-SNP evidence', () => {
    const { isolationTee } = readAzureVmClaims(loadPayload(WEU_2023));
    expect(isolationTee.complianceStatus).toBe('azure-compliant-cvm');
    expect(isolationTee.sevsnp).toMatchObject({
      launchMeasurement: '8962535933f5c4b429ec41d6550c187c163aa76f3be1f8d750a272a9d8995023e8286a2e431a96c36087ac46d4188676',
      isDebuggable: false,
      migrationAllowed: false,
      smtAllowed: true,
      idKeyDigest: '0356215882a825279a85b300b0b742931d113bf7e32dde2e50ffde7ec743ca491ecdd7f336dc28a6e0b2bb57af7a44a3',
      reportData: `9b6d02e76832f3bbb21ba48c8f89c875e05daf5c83658c7b24e6034ea5e08e2a${'0'.repeat(64)}`,
      guestSvn: 4,
      microcodeSvn: 115,
      vmpl: 0,
      complianceStatus: 'azure-compliant-cvm',
    });
  });
});

describe('x-ms-isolation-tee', () => {
  it('is required', () => {
    const payload = loadPayload(WEU_2023);
    delete payload['x-ms-isolation-tee'];
    expect(claimError(() => readAzureVmClaims(payload)).message).toContain('x-ms-isolation-tee');
  });

  it('is refused as the UNVERIFIED 2022 shape, which has no nested evidence', () => {
    const payload = loadPayload('cvmguest-azurevm-sharedeus2-2022.UNVERIFIED');
    expect(claimError(() => readAzureVmClaims(payload)).message).toContain('x-ms-isolation-tee');
  });

  it.each([[[]], ['{}'], [null], [1]])('must be an object, not %j', (tee) => {
    const payload = { ...loadPayload(WEU_2023), 'x-ms-isolation-tee': tee };
    expect(claimError(() => readAzureVmClaims(payload)).message).toContain('x-ms-isolation-tee');
  });

  it.each([[undefined], [''], [7]])('needs its own non-empty attestation type, not %j', (type) => {
    const tee = weuTee();
    if (type === undefined) delete tee['x-ms-attestation-type'];
    else tee['x-ms-attestation-type'] = type;
    const message = claimError(() => readAzureVmClaims(withTee(tee))).message;
    expect(message).toContain('x-ms-isolation-tee');
    expect(message).toContain('x-ms-attestation-type');
  });

  it('refuses broken SEV-SNP evidence, saying where it sat', () => {
    const tee = { ...weuTee(), 'x-ms-sevsnpvm-is-debuggable': 'false' };
    const message = claimError(() => readAzureVmClaims(withTee(tee))).message;
    expect(message).toContain('x-ms-isolation-tee');
    expect(message).toContain('x-ms-sevsnpvm-is-debuggable');
  });

  it('refuses sevsnpvm evidence without a launch measurement', () => {
    const tee = weuTee();
    delete tee['x-ms-sevsnpvm-launchmeasurement'];
    expect(claimError(() => readAzureVmClaims(withTee(tee))).message).toContain('x-ms-sevsnpvm-launchmeasurement');
  });

  it('gives hardware types it does not know no typed view', () => {
    const tee = { 'x-ms-attestation-type': 'cca', 'x-ms-compliance-status': 'azure-compliant-cvm' };
    expect(readAzureVmClaims(withTee(tee)).isolationTee).toEqual({
      attestationType: 'cca',
      complianceStatus: 'azure-compliant-cvm',
    });
  });

  it('refuses a non-string compliance status', () => {
    const tee = { ...weuTee(), 'x-ms-compliance-status': true };
    claimError(() => readAzureVmClaims(withTee(tee)));
  });

  it('is not found through an own __proto__ key', () => {
    const payload = loadPayload(WEU_2023);
    const tee = payload['x-ms-isolation-tee'];
    delete payload['x-ms-isolation-tee'];
    const parsed = JSON.parse(`{"__proto__": {"x-ms-isolation-tee": ${JSON.stringify(tee)}}}`) as Payload;
    expect(claimError(() => readAzureVmClaims({ ...parsed, ...payload })).message).toContain('missing');
    expect(claimError(() => readAzureVmClaims(Object.assign({}, parsed, payload) as Payload)).message).toContain('missing');
  });
});

describe('guest claims are typed', () => {
  it('secureboot is required', () => {
    const payload = loadPayload(WEU_2023);
    delete payload['secureboot'];
    expect(claimError(() => readAzureVmClaims(payload)).message).toContain('secureboot');
  });

  it('the x-ms-azurevm-* claims are optional', () => {
    const payload = Object.fromEntries(Object.entries(loadPayload(WEU_2023)).filter(([name]) => !name.startsWith('x-ms-azurevm-')));
    const claims = readAzureVmClaims(payload);
    expect(claims.secureBoot).toBe(true);
    expect(claims.kernelDebugEnabled).toBeUndefined();
    expect(Object.hasOwn(claims, 'kernelDebugEnabled')).toBe(false);
  });

  it.each([
    ['secureboot', 'true'],
    ['secureboot', 1],
    ['x-ms-azurevm-debuggersdisabled', 'true'],
    ['x-ms-azurevm-kerneldebug-enabled', 0],
    ['x-ms-azurevm-bootdebug-enabled', 'false'],
    ['x-ms-azurevm-hypervisordebug-enabled', null],
    ['x-ms-azurevm-signingdisabled', 1],
    ['x-ms-azurevm-testsigning-enabled', 'no'],
    ['x-ms-azurevm-flightsigning-enabled', 0],
    ['x-ms-azurevm-elam-enabled', []],
    ['x-ms-azurevm-is-windows', 'true'],
    ['x-ms-azurevm-dbvalidated', 1],
    ['x-ms-azurevm-dbxvalidated', 'true'],
    ['x-ms-azurevm-default-securebootkeysvalidated', 0],
    ['x-ms-azurevm-hvci-policy', '0'],
    ['x-ms-azurevm-vmid', 1],
    ['x-ms-azurevm-ostype', {}],
    ['x-ms-azurevm-osdistro', null],
    ['x-ms-azurevm-osbuild', 22000],
    ['x-ms-azurevm-osversion-major', '10'],
    ['x-ms-azurevm-osversion-minor', -1],
    ['x-ms-azurevm-attested-pcrs', [0, '1']],
    ['x-ms-azurevm-attested-pcrs', '0,1,2'],
    ['x-ms-azurevm-attestation-protocol-ver', 2],
    ['x-ms-runtime', 'keys'],
  ])('refuses %s = %j', (name, value) => {
    const payload = { ...loadPayload(WEU_2023), [name]: value };
    expect(claimError(() => readAzureVmClaims(payload)).message).toContain(name);
  });
});
