import { describe, expect, it } from 'vitest';
import { readSevSnpClaims } from '../../src/claims/sevsnp.js';
import { loadPayload, claimError, type Payload } from './helpers.js';

const SEVSNP_TOP_LEVEL = loadPayload('azsamples-sevsnp-weu-test-2025.UNVERIFIED');
const AZUREVM_NESTED = loadPayload('cvmguest-azurevm-sharedweu-2023')['x-ms-isolation-tee'] as Payload;

const LAUNCH_MEASUREMENT = '02c3b0d5bf1d256fa4e3b5deefc07b55ff2f7029085ed350f60959140a1a51f1310753ba5ab2c03a0536b1c0c193af47';

function minimal(): Payload {
  return {
    'x-ms-sevsnpvm-launchmeasurement': LAUNCH_MEASUREMENT,
    'x-ms-sevsnpvm-is-debuggable': false,
    'x-ms-sevsnpvm-migration-allowed': false,
    'x-ms-sevsnpvm-smt-allowed': true,
  };
}

describe('real SEV-SNP shapes', () => {
  it('reads the top level of a sevsnpvm token', () => {
    expect(readSevSnpClaims(SEVSNP_TOP_LEVEL)).toEqual({
      launchMeasurement: LAUNCH_MEASUREMENT,
      isDebuggable: false,
      migrationAllowed: false,
      smtAllowed: true,
      hostData: '73973b78d70cc68353426de188db5dfc57e5b766e399935fb73a61127ea26d20',
      idKeyDigest: '812cef5567e78efca073fde8894b180eaaef3b56084090c64782b5ad536bcf103d194914b229caac5c5408afce91fc86',
      authorKeyDigest: '0'.repeat(96),
      familyId: '01000000000000000000000000000000',
      imageId: '02000000000000000000000000000000',
      reportData: `40fc248ecb55${'0'.repeat(36)}31${'0'.repeat(78)}`,
      reportId: 'a94a1a7ae96d0602a9fcc94230d2f4b045cf77b4522807f630c18af364722c4c',
      guestSvn: 2,
      bootloaderSvn: 3,
      teeSvn: 0,
      snpfwSvn: 8,
      microcodeSvn: 115,
      vmpl: 0,
    });
  });

  it('reads the x-ms-isolation-tee object of an azurevm token, with compliance status and runtime keys', () => {
    const claims = readSevSnpClaims(AZUREVM_NESTED);
    expect(claims.launchMeasurement).toBe(
      '8962535933f5c4b429ec41d6550c187c163aa76f3be1f8d750a272a9d8995023e8286a2e431a96c36087ac46d4188676',
    );
    expect(claims.isDebuggable).toBe(false);
    expect(claims.guestSvn).toBe(4);
    expect(claims.hostData).toBe('0'.repeat(64));
    expect(claims.complianceStatus).toBe('azure-compliant-cvm');
    expect((claims.runtimeClaims?.['keys'] as Array<{ kid: string }>)[0]?.kid).toBe('HCLAkPub');
  });
});

describe('required claims', () => {
  it('reads a payload with only the required claims', () => {
    expect(readSevSnpClaims(minimal())).toEqual({
      launchMeasurement: LAUNCH_MEASUREMENT,
      isDebuggable: false,
      migrationAllowed: false,
      smtAllowed: true,
    });
  });

  it.each([
    'x-ms-sevsnpvm-launchmeasurement',
    'x-ms-sevsnpvm-is-debuggable',
    'x-ms-sevsnpvm-migration-allowed',
    'x-ms-sevsnpvm-smt-allowed',
  ])('refuses evidence without %s', (name) => {
    const payload = minimal();
    delete payload[name];
    expect(claimError(() => readSevSnpClaims(payload)).message).toContain(name);
  });

  it('lower-cases an upper-case launch measurement', () => {
    const payload = { ...minimal(), 'x-ms-sevsnpvm-launchmeasurement': LAUNCH_MEASUREMENT.toUpperCase() };
    expect(readSevSnpClaims(payload).launchMeasurement).toBe(LAUNCH_MEASUREMENT);
  });
});

describe('claims are typed when present', () => {
  it.each([
    ['x-ms-sevsnpvm-launchmeasurement', LAUNCH_MEASUREMENT.slice(0, 64)],
    ['x-ms-sevsnpvm-launchmeasurement', `${LAUNCH_MEASUREMENT.slice(1)}g`],
    ['x-ms-sevsnpvm-is-debuggable', 'false'],
    ['x-ms-sevsnpvm-is-debuggable', 0],
    ['x-ms-sevsnpvm-migration-allowed', 'false'],
    ['x-ms-sevsnpvm-smt-allowed', 1],
    ['x-ms-sevsnpvm-hostdata', 'ab'.repeat(48)],
    ['x-ms-sevsnpvm-idkeydigest', 'ab'.repeat(32)],
    ['x-ms-sevsnpvm-authorkeydigest', 'zz'.repeat(48)],
    ['x-ms-sevsnpvm-familyId', 'ab'.repeat(32)],
    ['x-ms-sevsnpvm-imageId', 'ab'.repeat(15)],
    ['x-ms-sevsnpvm-reportdata', 'ab'.repeat(32)],
    ['x-ms-sevsnpvm-reportid', 'ab'.repeat(48)],
    ['x-ms-sevsnpvm-guestsvn', '2'],
    ['x-ms-sevsnpvm-bootloader-svn', -1],
    ['x-ms-sevsnpvm-tee-svn', 0.5],
    ['x-ms-sevsnpvm-snpfw-svn', true],
    ['x-ms-sevsnpvm-microcode-svn', null],
    ['x-ms-sevsnpvm-vmpl', '0'],
    ['x-ms-compliance-status', 1],
    ['x-ms-runtime', []],
  ])('refuses %s = %j', (name, value) => {
    const payload = { ...minimal(), [name]: value };
    expect(claimError(() => readSevSnpClaims(payload)).message).toContain(name);
  });

  it('reads familyId and imageId only under their camelCase names', () => {
    const payload = {
      ...minimal(),
      'x-ms-sevsnpvm-familyid': 'ab'.repeat(16),
      'x-ms-sevsnpvm-imageid': 'ab'.repeat(16),
    };
    const claims = readSevSnpClaims(payload);
    expect(claims.familyId).toBeUndefined();
    expect(claims.imageId).toBeUndefined();
  });
});

describe('prototype keys never supply a claim', () => {
  it('an own __proto__ object does not make the evidence present', () => {
    const payload = JSON.parse(
      `{"__proto__": {"x-ms-sevsnpvm-launchmeasurement": "${LAUNCH_MEASUREMENT}", "x-ms-sevsnpvm-is-debuggable": false,
        "x-ms-sevsnpvm-migration-allowed": false, "x-ms-sevsnpvm-smt-allowed": false}}`,
    ) as Payload;
    expect(claimError(() => readSevSnpClaims(payload)).message).toContain('missing');
    expect(claimError(() => readSevSnpClaims(Object.assign({}, payload) as Payload)).message).toContain('missing');
  });
});

describe('the 2025–2026 guest-policy claims (protocol 3.0)', () => {
  const v3 = {
    'x-ms-sevsnpvm-ciphertext-hiding-dram-enabled': false,
    'x-ms-sevsnpvm-cxl-allowed': false,
    'x-ms-sevsnpvm-mem-aes256-xts-required': true,
    'x-ms-sevsnpvm-page-swap-disabled': true,
    'x-ms-sevsnpvm-rapl-disabled': false,
    'x-ms-sevsnpvm-singlesocket': true,
  };

  it('are typed when present', () => {
    expect(readSevSnpClaims({ ...minimal(), ...v3 })).toMatchObject({
      ciphertextHidingDramEnabled: false,
      cxlAllowed: false,
      memAes256XtsRequired: true,
      pageSwapDisabled: true,
      raplDisabled: false,
      singleSocket: true,
    });
  });

  it('are absent from older tokens, and refused when not booleans', () => {
    expect(readSevSnpClaims(minimal())).not.toHaveProperty('cxlAllowed');
    for (const name of Object.keys(v3)) claimError(() => readSevSnpClaims({ ...minimal(), [name]: 'false' }));
  });

  it('refuse a TCB component above one byte', () => {
    claimError(() => readSevSnpClaims({ ...minimal(), 'x-ms-sevsnpvm-microcode-svn': 256 }));
  });
});

describe('real azurevm tokens of 2022-09 and 2024-12', () => {
  it.each(['cvmguest-aks-azurevm-snp-sharedwus-2022-09', 'jesserc-azurevm-snp-sharedeus2-2024-12'])('%s has a SEV-SNP view', (name) => {
    const tee = loadPayload(name)['x-ms-isolation-tee'] as Payload;
    const view = readSevSnpClaims(tee);
    expect(view.launchMeasurement).toBe(tee['x-ms-sevsnpvm-launchmeasurement']);
    expect(view).toMatchObject({ isDebuggable: false, migrationAllowed: false, complianceStatus: 'azure-compliant-cvm' });
  });
});
