import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MaaError, deriveEvidenceClaims, readAttestRequest } from '../../src/testing/attestation.js';
import {
  CERTIFICATION_DATA_TYPE,
  HEADER_OFFSET,
  QUOTE_SIGNED_SIZE,
  SGX_FLAGS,
  parseSgxQuote,
  toHex,
  unwrapOpenEnclaveReport,
} from '../../src/sgx/quote.js';
import {
  DEFAULT_MRENCLAVE,
  DEFAULT_MRSIGNER,
  createBindingRuntimeData,
  createOpenEnclaveReport,
  createSgxQuote,
  reportDataFor,
} from '../../src/testing/index.js';

const recorded = readFileSync(new URL('../fixtures/maa/recordings/SimpleAttest-SgxEnclave_Shared/evidence.bin', import.meta.url));
const recordedOe = readFileSync(new URL('../fixtures/maa/recordings/SimpleAttest-OpenEnclave_Shared/evidence.bin', import.meta.url));

describe('createSgxQuote', () => {
  it('rebuilds the recorded Azure quote byte for byte, header (but its QE user data) and report body', () => {
    const real = parseSgxQuote(recorded);
    const built = createSgxQuote({
      mrenclave: toHex(real.body.mrenclave),
      mrsigner: toHex(real.body.mrsigner),
      productId: real.body.isvProdId,
      svn: real.body.isvSvn,
      debug: real.body.isDebuggable,
      reportData: real.body.reportData,
    });
    const userData = { from: HEADER_OFFSET.userData, to: HEADER_OFFSET.userData + 20 };
    expect(Buffer.from(built.subarray(0, userData.from))).toEqual(recorded.subarray(0, userData.from));
    expect(Buffer.from(built.subarray(userData.to, QUOTE_SIGNED_SIZE))).toEqual(recorded.subarray(userData.to, QUOTE_SIGNED_SIZE));
  });

  it('defaults: the default test enclave, release mode, zero report data, version 3', () => {
    const quote = parseSgxQuote(createSgxQuote());
    expect(quote.header).toMatchObject({ version: 3, attestationKeyType: 2, qeSvn: 5, pceSvn: 10 });
    expect(quote.body).toMatchObject({
      isvProdId: 1,
      isvSvn: 1,
      isDebuggable: false,
      flags: SGX_FLAGS.initted | SGX_FLAGS.mode64bit,
      xfrm: 7n,
    });
    expect(toHex(quote.body.mrenclave)).toBe(DEFAULT_MRENCLAVE);
    expect(toHex(quote.body.mrsigner)).toBe(DEFAULT_MRSIGNER);
    expect(toHex(quote.body.reportData)).toBe('00'.repeat(64));
    expect(quote.signatureData.certificationData.type).toBe(CERTIFICATION_DATA_TYPE.pckCertificateChain);
  });

  it.each([3, 4] as const)('version %i: every field round-trips through the strict parser', (version) => {
    const fields = {
      version,
      mrenclave: 'AB'.repeat(32),
      mrsigner: new Uint8Array(32).fill(0xcd),
      productId: 0xfffe,
      svn: 65535,
      debug: true,
      reportData: 'ff'.repeat(10),
      configId: '11'.repeat(64),
      configSvn: 7,
      isvExtProdId: '22'.repeat(16),
      isvFamilyId: '33'.repeat(16),
      miscSelect: 0x12345678,
      xfrm: 0x1fn,
    };
    const quote = parseSgxQuote(createSgxQuote(fields));
    expect(quote.header.version).toBe(version);
    expect(quote.body).toMatchObject({
      isvProdId: 0xfffe,
      isvSvn: 65535,
      isDebuggable: true,
      configSvn: 7,
      miscSelect: 0x12345678,
      xfrm: 0x1fn,
    });
    expect(quote.body.flags & SGX_FLAGS.kss).toBe(SGX_FLAGS.kss);
    expect(toHex(quote.body.mrenclave)).toBe('ab'.repeat(32));
    expect(toHex(quote.body.mrsigner)).toBe('cd'.repeat(32));
    expect(toHex(quote.body.reportData)).toBe('ff'.repeat(10) + '00'.repeat(54));
    expect(toHex(quote.body.configId)).toBe('11'.repeat(64));
    expect(toHex(quote.body.isvExtProdId)).toBe('22'.repeat(16));
    expect(toHex(quote.body.isvFamilyId)).toBe('33'.repeat(16));
  });

  it('the ISV report signature is genuine, and the QE report binds the attestation key as Intel QE does', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const quote = parseSgxQuote(createSgxQuote({ attestationKey: privateKey }));
    const { attestationKey, isvReportSignature, qeReport, qeAuthenticationData } = quote.signatureData;
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
    expect(Buffer.from(attestationKey)).toEqual(
      Buffer.concat([Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]),
    );
    expect(verify('sha256', quote.signedBytes, { key: createPublicKey(privateKey), dsaEncoding: 'ieee-p1363' }, isvReportSignature)).toBe(
      true,
    );
    const bound = createHash('sha256')
      .update(Buffer.concat([attestationKey, qeAuthenticationData]))
      .digest('hex');
    expect(toHex(qeReport.reportData)).toBe(bound + '00'.repeat(32));
  });

  it('runtimeData and initTimeData set the report data and CONFIGID that bind them', () => {
    const quote = parseSgxQuote(createSgxQuote({ runtimeData: 'hello', initTimeData: new Uint8Array([1, 2]) }));
    expect(toHex(quote.body.reportData)).toBe(createHash('sha256').update('hello').digest('hex') + '00'.repeat(32));
    expect(toHex(quote.body.configId)).toBe(
      createHash('sha256')
        .update(Buffer.from([1, 2]))
        .digest('hex') + '00'.repeat(32),
    );
    expect(quote.body.flags & SGX_FLAGS.kss).toBe(SGX_FLAGS.kss);
    expect(parseSgxQuote(createSgxQuote({ configSvn: 1, kss: false })).body.flags & SGX_FLAGS.kss).toBe(0n);
  });

  it.each([
    [{ mrenclave: 'ab' }, 'mrenclave must be 32 bytes'],
    [{ mrsigner: 'zz'.repeat(32) }, 'mrsigner must be hex or bytes'],
    [{ reportData: '00'.repeat(65) }, 'reportData must be at most 64 bytes'],
    [{ svn: 65536 }, 'svn must be an integer from 0 to 65535'],
    [{ productId: -1 }, 'productId must be'],
    [{ productId: 1.5 }, 'productId must be'],
    [{ version: 5 as 3 }, 'version must be 3 or 4'],
    [{ xfrm: 1 as unknown as bigint }, 'xfrm must be a u64'],
    [{ attestationKey: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey }, 'P-256 private key'],
  ])('refuses %o', (options, message) => {
    expect(() => createSgxQuote(options)).toThrow(message);
  });
});

describe('createOpenEnclaveReport', () => {
  it('is the 16-byte header the recorded report has, then the quote', () => {
    const report = createOpenEnclaveReport({ svn: 9 });
    expect(Buffer.from(report.subarray(0, 8))).toEqual(recordedOe.subarray(0, 8));
    expect(parseSgxQuote(unwrapOpenEnclaveReport(report)).body.isvSvn).toBe(9);
  });
});

describe('reportDataFor and createBindingRuntimeData', () => {
  it('reportDataFor: SHA-256 then 32 zero bytes', () => {
    expect(Buffer.from(reportDataFor('abc')).toString('hex')).toBe(createHash('sha256').update('abc').digest('hex') + '00'.repeat(32));
  });

  it('runtime data carries the nonce and only the public half of the key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const fromPrivate = JSON.parse(Buffer.from(createBindingRuntimeData({ nonce: 'n1', publicKey: privateKey })).toString('utf8'));
    const fromPublic = JSON.parse(Buffer.from(createBindingRuntimeData({ nonce: 'n1', publicKey })).toString('utf8'));
    expect(fromPrivate).toEqual(fromPublic);
    expect(fromPublic).toEqual({ nonce: 'n1', jwk: publicKey.export({ format: 'jwk' }) });
    const jwk = privateKey.export({ format: 'jwk' });
    expect(jwk.d).toBeDefined();
    const fromJwk = JSON.parse(
      Buffer.from(createBindingRuntimeData({ nonce: 'n2', publicKey: jwk, nonceField: 'challenge' })).toString('utf8'),
    );
    expect(fromJwk).toEqual({ challenge: 'n2', jwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } });
  });

  it.each([
    [{ nonce: '', publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey }, 'nonce'],
    [{ nonce: 'n', publicKey: { kty: 'EC', crv: 'P-256', x: 'bad' } }, 'not a usable key'],
    [{ nonce: 'n', publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey, nonceField: 'jwk' }, 'nonceField'],
  ])('refuses %o', (options, message) => {
    expect(() => createBindingRuntimeData(options)).toThrow(message);
  });
});

describe('properties', () => {
  const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
  it('any enclave the builder writes, the strict parser and the attest claims read back', () => {
    fc.assert(
      fc.property(
        fc.record({
          version: fc.constantFrom(3 as const, 4 as const),
          mrenclave: bytes(32),
          mrsigner: bytes(32),
          productId: fc.integer({ min: 0, max: 0xffff }),
          svn: fc.integer({ min: 0, max: 0xffff }),
          debug: fc.boolean(),
          reportData: fc.uint8Array({ maxLength: 64 }),
        }),
        fc.boolean(),
        (options, openEnclave) => {
          const evidence = openEnclave ? createOpenEnclaveReport(options) : createSgxQuote(options);
          const request = readAttestRequest(openEnclave ? 'OpenEnclave' : 'SgxEnclave', '2020-10-01', {
            [openEnclave ? 'report' : 'quote']: Buffer.from(evidence).toString('base64url'),
          });
          const { claims } = deriveEvidenceClaims(request);
          const reportData = Buffer.alloc(64);
          Buffer.from(options.reportData).copy(reportData);
          expect(claims).toMatchObject({
            'x-ms-sgx-mrenclave': Buffer.from(options.mrenclave).toString('hex'),
            'x-ms-sgx-mrsigner': Buffer.from(options.mrsigner).toString('hex'),
            'x-ms-sgx-product-id': options.productId,
            'x-ms-sgx-svn': options.svn,
            'x-ms-sgx-is-debuggable': options.debug,
            'x-ms-sgx-report-data': reportData.toString('hex'),
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('corrupted evidence is refused with MAA 400, never another error', () => {
    const good = createSgxQuote();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat({ max: good.length }),
        (edits, cut) => {
          const evidence = Buffer.from(good.subarray(0, cut === 0 ? good.length : cut));
          for (const [at, value] of edits) if (at < evidence.length) evidence[at] = value;
          try {
            deriveEvidenceClaims(readAttestRequest('SgxEnclave', '2022-08-01', { quote: evidence.toString('base64url') }));
          } catch (error) {
            expect(error).toBeInstanceOf(MaaError);
            expect(error).toMatchObject({ status: 400, code: 'InvalidParameter' });
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
