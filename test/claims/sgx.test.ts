import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSgxClaims } from '../../src/claims/sgx.js';
import { loadPayload, claimError, type Payload, SGX_PAYLOADS } from './helpers.js';

const CPP_MRENCLAVE = '292a1f4b519e46627eb2478a3d9851405653c5b4b0a6925de843834d9216850e';
const CPP_MRSIGNER = '4aea5f9a0ed04b11f889aadfe6a1d376213a29a95a85ce7337ae6f7fece6610c';

/** The identity claims only: what the x-ms-sgx-* required set is. */
function minimal(): Payload {
  return {
    'x-ms-sgx-mrenclave': CPP_MRENCLAVE,
    'x-ms-sgx-mrsigner': CPP_MRSIGNER,
    'x-ms-sgx-product-id': 1,
    'x-ms-sgx-svn': 1,
    'x-ms-sgx-is-debuggable': false,
  };
}

describe('real SGX payloads', () => {
  it.each(SGX_PAYLOADS)('%s reads, consistently with its own x-ms-* claims', (name) => {
    const payload = loadPayload(name);
    const claims = readSgxClaims(payload);
    expect(claims.mrenclave).toBe(payload['x-ms-sgx-mrenclave']);
    expect(claims.mrsigner).toBe(payload['x-ms-sgx-mrsigner']);
    expect(claims.productId).toBe(payload['x-ms-sgx-product-id']);
    expect(claims.svn).toBe(payload['x-ms-sgx-svn']);
    expect(claims.isDebuggable).toBe(payload['x-ms-sgx-is-debuggable']);
    expect(claims.reportData).toBe(payload['x-ms-sgx-report-data']);
    expect(Object.keys(claims.collateral ?? {}).sort()).toEqual([
      'qeidcertshash',
      'qeidcrlhash',
      'qeidhash',
      'quotehash',
      'tcbinfocertshash',
      'tcbinfocrlhash',
      'tcbinfohash',
    ]);
  });

  it('cpp-sgx-shared-wus-2022: the full view', () => {
    const claims = readSgxClaims(loadPayload('cpp-sgx-shared-wus-2022'));
    expect(claims).toEqual({
      mrenclave: CPP_MRENCLAVE,
      mrsigner: CPP_MRSIGNER,
      productId: 1,
      svn: 1,
      isDebuggable: true,
      reportData: `28542e44fe7e73f6610f6b31ae7576925f09ccdbb4c5646583ecc1561337a8ff${'0'.repeat(64)}`,
      collateral: expect.objectContaining({
        quotehash: '4f9aa62ee2ca513a31f8a427b16723b3b918c927b8d02e9e215da2bdbc98d8b1',
      }) as unknown,
    });
    expect(Object.hasOwn(claims, 'enclaveHeldData')).toBe(false);
    expect(Object.hasOwn(claims, 'runtimeClaims')).toBe(false);
  });

  it('cpp-sgx-runtimebinary-isolated-2022: enclave-held data hashes to the first half of the report data', () => {
    const claims = readSgxClaims(loadPayload('cpp-sgx-runtimebinary-isolated-2022'));
    const ehd = claims.enclaveHeldData;
    expect(ehd).toBeInstanceOf(Uint8Array);
    expect(ehd?.length).toBe(287);
    const expected = readFileSync(new URL('../fixtures/maa/collateral/cpp-runtime-data.bin', import.meta.url));
    expect(Buffer.from(ehd ?? []).equals(expected)).toBe(true);
    const digest = createHash('sha256')
      .update(ehd ?? new Uint8Array())
      .digest('hex');
    expect(digest).toBe('28542e44fe7e73f6610f6b31ae7576925f09ccdbb4c5646583ecc1561337a8ff');
    expect(claims.reportData?.slice(0, 64)).toBe(digest);
  });

  it('enclave-held data: decoded on each read into a copy of its own, not an own member of the frozen view', () => {
    const claims = Object.freeze(readSgxClaims(loadPayload('cpp-sgx-runtimebinary-isolated-2022')));
    const first = claims.enclaveHeldData!;
    first.fill(0);
    expect(claims.enclaveHeldData).not.toBe(first);
    expect(claims.enclaveHeldData?.some((byte) => byte !== 0)).toBe(true);
    expect(Object.keys(claims)).not.toContain('enclaveHeldData');
    expect(JSON.stringify(claims)).not.toContain('enclaveHeldData');
  });

  it('cpp-openenclave-runtimejson-aad-2022: runtime claims carry the enclave-held JWK', () => {
    const claims = readSgxClaims(loadPayload('cpp-openenclave-runtimejson-aad-2022'));
    expect(claims.runtimeClaims).toEqual({
      jwk: {
        crv: 'P-256',
        kty: 'EC',
        use: 'sig',
        x: '18wHLeIgW9wVN6VD1Txgpqy2LszYkMf6J8njVAibvhM',
        y: 'cV4dS4UaLMgP_4fY4j8ir7cl1TXlFdAgcx55o7TkcSA',
      },
    });
    expect(claims.enclaveHeldData).toBeUndefined();
  });

  it('faasm-sgx-custom-eus2-2024: another enclave, product 0, a TCB identifier', () => {
    const claims = readSgxClaims(loadPayload('faasm-sgx-custom-eus2-2024'));
    expect(claims.mrenclave).toBe('6506b3bb66ae1441f2c2086e2340f37663f2d58fbaa5bd601a711b04b497e145');
    expect(claims.mrsigner).toBe('83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e');
    expect(claims.productId).toBe(0);
    expect(claims.svn).toBe(0);
    expect(claims.tcbIdentifier).toBe('10');
  });
});

describe('required claims', () => {
  it('reads a payload with only the required claims', () => {
    expect(readSgxClaims(minimal())).toEqual({
      mrenclave: CPP_MRENCLAVE,
      mrsigner: CPP_MRSIGNER,
      productId: 1,
      svn: 1,
      isDebuggable: false,
    });
  });

  it.each(['x-ms-sgx-mrenclave', 'x-ms-sgx-mrsigner', 'x-ms-sgx-product-id', 'x-ms-sgx-svn', 'x-ms-sgx-is-debuggable'])(
    'refuses a payload without %s',
    (name) => {
      const payload = minimal();
      delete payload[name];
      expect(claimError(() => readSgxClaims(payload)).message).toContain(name);
    },
  );

  it('a legacy alias does not stand in for a missing x-ms claim', () => {
    const payload = minimal();
    delete payload['x-ms-sgx-is-debuggable'];
    payload['is-debuggable'] = false;
    claimError(() => readSgxClaims(payload));
  });

  it.each([
    ['x-ms-sgx-is-debuggable', 'false'],
    ['x-ms-sgx-is-debuggable', 0],
    ['x-ms-sgx-svn', '3'],
    ['x-ms-sgx-svn', 3.5],
    ['x-ms-sgx-svn', -1],
    ['x-ms-sgx-svn', 65536],
    ['x-ms-sgx-product-id', true],
    ['x-ms-sgx-product-id', '1'],
    ['x-ms-sgx-mrenclave', CPP_MRENCLAVE.slice(2)],
    ['x-ms-sgx-mrenclave', `${CPP_MRENCLAVE}00`],
    ['x-ms-sgx-mrsigner', `${CPP_MRSIGNER.slice(1)}z`],
    ['x-ms-sgx-mrsigner', null],
  ])('refuses %s = %j', (name, value) => {
    const payload = { ...minimal(), [name]: value };
    expect(claimError(() => readSgxClaims(payload)).message).toContain(name);
  });

  it('lower-cases upper-case measurements', () => {
    const payload = { ...minimal(), 'x-ms-sgx-mrenclave': CPP_MRENCLAVE.toUpperCase() };
    expect(readSgxClaims(payload).mrenclave).toBe(CPP_MRENCLAVE);
  });
});

describe('optional claims are typed when present', () => {
  it('reads the KSS claims', () => {
    const claims = readSgxClaims({
      ...minimal(),
      'x-ms-sgx-config-id': 'AB'.repeat(64),
      'x-ms-sgx-config-svn': 2,
      'x-ms-sgx-isv-extended-product-id': 'cd'.repeat(16),
      'x-ms-sgx-isv-family-id': 'EF'.repeat(16),
      'x-ms-inittime': { a: 1 },
    });
    expect(claims.configId).toBe('ab'.repeat(64));
    expect(claims.configSvn).toBe(2);
    expect(claims.isvExtendedProductId).toBe('cd'.repeat(16));
    expect(claims.isvFamilyId).toBe('ef'.repeat(16));
    expect(claims.initTimeClaims).toEqual({ a: 1 });
  });

  it.each([
    ['x-ms-sgx-report-data', 'ab'.repeat(32)],
    ['x-ms-sgx-report-data', 'xy'.repeat(64)],
    ['x-ms-sgx-ehd', 'AQ=='],
    ['x-ms-sgx-ehd', 'a+b/'],
    ['x-ms-sgx-ehd', 12],
    ['x-ms-runtime', '{"jwk":{}}'],
    ['x-ms-runtime', [{}]],
    ['x-ms-inittime', null],
    ['x-ms-sgx-collateral', { quotehash: 1 }],
    ['x-ms-sgx-collateral', 'abc'],
    ['x-ms-sgx-tcbidentifier', 10],
    ['x-ms-sgx-config-id', 'ab'.repeat(32)],
    ['x-ms-sgx-config-svn', '2'],
    ['x-ms-sgx-config-svn', 65536],
    ['x-ms-sgx-isv-extended-product-id', 'ab'.repeat(32)],
    ['x-ms-sgx-isv-family-id', 'gg'.repeat(16)],
  ])('refuses %s = %j', (name, value) => {
    const payload = { ...minimal(), [name]: value };
    expect(claimError(() => readSgxClaims(payload)).message).toContain(name);
  });
});

describe('legacy aliases', () => {
  it('accepts aliases that agree, hex compared without regard to case', () => {
    const payload = {
      ...minimal(),
      'sgx-mrenclave': CPP_MRENCLAVE.toUpperCase(),
      'sgx-mrsigner': CPP_MRSIGNER,
      'product-id': 1,
      svn: 1,
      'is-debuggable': false,
      tee: 'sgx',
    };
    expect(readSgxClaims(payload).mrenclave).toBe(CPP_MRENCLAVE);
  });

  it('the x-ms claim stays authoritative when the x-ms one is upper case', () => {
    const payload = { ...minimal(), 'x-ms-sgx-mrsigner': CPP_MRSIGNER.toUpperCase(), 'sgx-mrsigner': CPP_MRSIGNER };
    expect(readSgxClaims(payload).mrsigner).toBe(CPP_MRSIGNER);
  });

  it.each([
    ['sgx-mrenclave', 'x-ms-sgx-mrenclave', 'ab'.repeat(32)],
    ['sgx-mrenclave', 'x-ms-sgx-mrenclave', 7],
    ['sgx-mrsigner', 'x-ms-sgx-mrsigner', CPP_MRENCLAVE],
    ['product-id', 'x-ms-sgx-product-id', 2],
    ['product-id', 'x-ms-sgx-product-id', '1'],
    ['svn', 'x-ms-sgx-svn', 2],
    ['svn', 'x-ms-sgx-svn', '1'],
    ['svn', 'x-ms-sgx-svn', null],
    ['is-debuggable', 'x-ms-sgx-is-debuggable', true],
    ['is-debuggable', 'x-ms-sgx-is-debuggable', 'false'],
    ['is-debuggable', 'x-ms-sgx-is-debuggable', 0],
  ])('refuses %s that contradicts %s (%j)', (alias, claim, value) => {
    const payload = { ...minimal(), [alias]: value };
    const message = claimError(() => readSgxClaims(payload)).message;
    expect(message).toContain(`legacy claim ${alias} contradicts ${claim}`);
  });

  it('refuses a contradicting alias in a real payload', () => {
    const payload = { ...loadPayload('cpp-sgx-shared-wus-2022'), 'sgx-mrenclave': 'ff'.repeat(32) };
    expect(claimError(() => readSgxClaims(payload)).message).toContain('legacy claim sgx-mrenclave');
  });

  it.each(['tdxvm', 'SGX', '', 1, null])('refuses tee = %j', (tee) => {
    const payload = { ...minimal(), tee };
    expect(claimError(() => readSgxClaims(payload)).message).toContain('legacy claim tee contradicts x-ms-attestation-type');
  });

  it('refuses two aliases of one absent claim that disagree with each other', () => {
    const payload = { ...minimal(), 'maa-ehd': 'AAAA', 'aas-ehd': 'AAAB' };
    expect(claimError(() => readSgxClaims(payload)).message).toContain('legacy claim aas-ehd contradicts maa-ehd');
    expect(() => readSgxClaims({ ...minimal(), 'maa-ehd': 'AAAA', 'aas-ehd': 'AAAA' })).not.toThrow();
  });

  it('leaves other legacy names alone', () => {
    const payload = { ...minimal(), 'maa-ehd': 'not even base64', policy_hash: 5, ver: 2 };
    expect(() => readSgxClaims(payload)).not.toThrow();
  });
});

describe('prototype keys never supply a claim', () => {
  it('an own __proto__ object holding every claim does not make them present', () => {
    const payload = JSON.parse(
      `{"__proto__": {"x-ms-sgx-mrenclave": "${CPP_MRENCLAVE}", "x-ms-sgx-mrsigner": "${CPP_MRSIGNER}",
        "x-ms-sgx-product-id": 1, "x-ms-sgx-svn": 1, "x-ms-sgx-is-debuggable": false}}`,
    ) as Payload;
    expect(claimError(() => readSgxClaims(payload)).message).toContain('missing');
  });

  it('an own __proto__ object cannot supply a contradicting alias or smuggle in optional claims', () => {
    const payload = JSON.parse(`{"__proto__": {"svn": 9, "tee": "x", "x-ms-sgx-tcbidentifier": "forged"}}`) as Payload;
    Object.assign(payload, minimal());
    const claims = readSgxClaims(payload);
    expect(claims.tcbIdentifier).toBeUndefined();
    expect(claims.svn).toBe(1);
  });

  it('claims inherited through a prototype are absent', () => {
    // Object.assign turns an own __proto__ key into the target's real prototype: a caller that copies the
    // parsed payload that way must still not have the claims "found" on it.
    const parsed = JSON.parse(
      `{"__proto__": {"x-ms-sgx-mrenclave": "${CPP_MRENCLAVE}", "x-ms-sgx-mrsigner": "${CPP_MRSIGNER}",
        "x-ms-sgx-product-id": 1, "x-ms-sgx-svn": 1, "x-ms-sgx-is-debuggable": false, "tee": "x"}}`,
    ) as Payload;
    const copied = Object.assign({}, parsed) as Payload;
    expect(copied['x-ms-sgx-mrenclave']).toBe(CPP_MRENCLAVE);
    expect(claimError(() => readSgxClaims(copied)).message).toContain('missing');
    expect(readSgxClaims(Object.assign(copied, minimal()))).toEqual(readSgxClaims(minimal()));
  });
});
