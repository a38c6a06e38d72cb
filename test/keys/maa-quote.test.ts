import { readdirSync } from 'node:fs';
import { X509Certificate, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AttestationError } from '../../src/errors.js';
import { findExtension } from '../../src/util/der.js';
import { certificateToPem, maaKeyId } from '../../src/keys/maa-kid.js';
import {
  MAA_MRSIGNERS,
  MAA_QUOTE_EXTENSION_OID,
  MAA_QUOTE_EXTENSION_OID_2020,
  checkQuoteBindsKey,
  checkSignerPin,
  readMaaEnclaveIdentity,
  type MaaEnclaveIdentity,
} from '../../src/keys/maa-quote.js';
import { createSelfSignedCertificate } from '../../src/testing/certificate.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { ACCEPTED, outcome as outcomeOf, refusalOf } from '../helpers/outcome.js';

interface Jwks {
  keys: { kid: string; x5c?: string[] }[];
}

const CERTS_FILES = readdirSync(new URL('../fixtures/maa/', import.meta.url))
  .filter((name) => name.endsWith('.certs.json'))
  .sort();

/** Every `/certs` fixture with its self-signed (single-certificate) keys and its chain keys. */
const FIXTURES = CERTS_FILES.map((file) => {
  const { keys } = fixtureJson<Jwks>(file);
  return {
    file,
    signing: keys.filter((k) => k.x5c?.length === 1).map((k) => ({ kid: k.kid, certificate: k.x5c?.[0] ?? '' })),
    chains: keys.filter((k) => (k.x5c?.length ?? 0) > 1).map((k) => ({ kid: k.kid, x5c: k.x5c ?? [] })),
  };
});
const WITH_SIGNING_KEYS = FIXTURES.filter((f) => f.signing.length > 0);

// When each fixture was served, from the date in its name (`-2020`, `-2022-03`, ...).
function servedOn(file: string): Date {
  const match = /-(20\d\d)(?:-(\d\d))?[-.]/.exec(file);
  if (!match) throw new Error(`no date in fixture name ${file}`);
  return new Date(Date.UTC(Number(match[1]), Number(match[2] ?? '1') - 1, 1));
}
const MRSIGNER_CHANGE = new Date('2021-07-01T00:00:00Z');

const publicKeyOf = (certificate: string): KeyObject => new X509Certificate(certificateToPem(certificate)).publicKey;

function signingCertificate(file: string, kid: string): string {
  const found = FIXTURES.find((f) => f.file === file)?.signing.find((k) => k.kid === kid);
  if (!found) throw new Error(`no signing key ${kid} in ${file}`);
  return found.certificate;
}

const CERT_2022 = signingCertificate('cpp-sgx-shared-wus-2022.certs.json', 'XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=');
const CERT_2020 = signingCertificate('azsamples-uks-2020.certs.json', 'KQFAHrk1xALKHBD4b4u7TCvCJ1Mw0MlYZe+rxdePOtg=');
const CERT_2024 = signingCertificate('faasm-sgx-custom-eus2-2024.certs.json', 'J0pAPdfXXHqWWimgrH853wMIdh5/fLe1z6uSXYPXCa0=');

const keyInvalid = (run: () => unknown): AttestationError => refusalOf(run, 'ERR_KEY_INVALID');

/** The extnValue contents of a real certificate's quote extension. */
function quoteExtension(certificate: string, oid: string): Buffer {
  const value = findExtension(Buffer.from(certificate, 'base64'), oid)?.value;
  if (!value) throw new Error(`no ${oid}`);
  return Buffer.from(value);
}

let privateKey: KeyObject;
beforeAll(() => {
  ({ privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
});

/** A self-signed certificate for a fresh key, carrying the given extensions. */
function certificateWith(...extensions: { oid: string; value: Buffer }[]): string {
  return createSelfSignedCertificate({ commonName: 'https://example.wus.attest.azure.net', privateKey, extensions }).base64;
}

describe('readMaaEnclaveIdentity on every real MAA signing certificate', () => {
  it('finds signing certificates in the fixtures', () => {
    expect(WITH_SIGNING_KEYS.length).toBeGreaterThanOrEqual(13);
  });

  for (const { file, signing } of WITH_SIGNING_KEYS) {
    describe(file, () => {
      const identities = () => signing.map(({ kid, certificate }) => ({ kid, certificate, identity: readMaaEnclaveIdentity(certificate) }));

      it('binds each key and kid through the report data', () => {
        for (const { kid, certificate, identity } of identities()) {
          expect(checkQuoteBindsKey(identity, publicKeyOf(certificate), kid)).toBeUndefined();
          expect(Buffer.from(identity.reportData.slice(0, 64), 'hex').toString('base64')).toBe(kid);
          // MAA leaves the second half of the report data empty.
          expect(identity.reportData.slice(64)).toBe('0'.repeat(64));
        }
      });

      it('names the MRSIGNER MAA used at the time', () => {
        const expected = servedOn(file) < MRSIGNER_CHANGE ? MAA_MRSIGNERS.before2021 : MAA_MRSIGNERS.since2021;
        for (const { identity } of identities()) expect(identity.mrsigner).toBe(expected);
      });

      it('reports a plausible identity, the same for every signing key of the fixture', () => {
        const all = identities().map(({ identity }) => identity);
        for (const identity of all) {
          expect(identity.mrenclave).toMatch(/^[0-9a-f]{64}$/);
          expect(identity.mrenclave).not.toBe('0'.repeat(64));
          expect(identity.mrenclave).not.toBe(identity.mrsigner);
          expect(identity.reportData).toMatch(/^[0-9a-f]{128}$/);
          expect(identity.productId).toBe(1);
          expect(identity.svn).toBeGreaterThanOrEqual(1);
          expect(identity.extensionOid).toBe(
            servedOn(file).getUTCFullYear() === 2020 ? MAA_QUOTE_EXTENSION_OID_2020 : MAA_QUOTE_EXTENSION_OID,
          );
        }
        // Only the report data (the key's hash) differs between the keys of one fixture.
        const [first] = all;
        for (const identity of all) expect({ ...identity, reportData: '' }).toEqual({ ...first, reportData: '' });
      });
    });
  }

  // What the fixtures show, pinned so a parser change that misreads an offset cannot pass unnoticed.
  it.each([
    [
      'azsamples-uks-2020.certs.json',
      'KQFAHrk1xALKHBD4b4u7TCvCJ1Mw0MlYZe+rxdePOtg=',
      '600f7ba9e063e3e35f414ca38f445e9b0641ea4b1a724a5f4dd6bca1b326e371',
      MAA_MRSIGNERS.before2021,
      true,
    ],
    [
      'cpp-sgx-shared-wus-2022.certs.json',
      'XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=',
      'b3cdb7c6d8da25088334d8864c06794f0cd7f505708abe44cc074c1e6ae0e283',
      MAA_MRSIGNERS.since2021,
      true,
    ],
    [
      'cpp-sgx-runtimebinary-shared-wus-2022-03-oldkey.certs.json',
      'rPtBGRWTlPmzs5u35L0QRD9WdymeKPRxteTeTlwN0Ec=',
      'ced9027d359a8758f7fa8a27d47a7f1d29feb4efb54d75b2f72dfae43040b737',
      MAA_MRSIGNERS.since2021,
      true,
    ],
    [
      'cpp-sgx-runtimebinary-shared-wus-2022-03-oldkey.certs.json',
      '15N2MHoj9iAdkF/c5nRE3J2HB8JG6Vue3Uzvu3K/Ses=',
      'ced9027d359a8758f7fa8a27d47a7f1d29feb4efb54d75b2f72dfae43040b737',
      MAA_MRSIGNERS.since2021,
      true,
    ],
    [
      'faasm-sgx-custom-eus2-2024.certs.json',
      'J0pAPdfXXHqWWimgrH853wMIdh5/fLe1z6uSXYPXCa0=',
      '67a9771f50e391bbecd3430e03d7d5bbda4fae82ce4ee7acfbae37595656bbc1',
      MAA_MRSIGNERS.since2021,
      false,
    ],
    [
      'faasm-sgx-custom-eus2-2024.certs.json',
      'frVjcejaF7GhoPNgEN9FdDQp7/Iwlpl/Ug8/TMh/3eg=',
      '67a9771f50e391bbecd3430e03d7d5bbda4fae82ce4ee7acfbae37595656bbc1',
      MAA_MRSIGNERS.since2021,
      false,
    ],
  ] as const)('%s %s: MRENCLAVE %s', (file, kid, mrenclave, mrsigner, isDebuggable) => {
    expect(readMaaEnclaveIdentity(signingCertificate(file, kid))).toEqual({
      mrenclave,
      mrsigner,
      productId: 1,
      svn: 1,
      isDebuggable,
      reportData: `${Buffer.from(kid, 'base64').toString('hex')}${'0'.repeat(64)}`,
      extensionOid: file.includes('2020') ? MAA_QUOTE_EXTENSION_OID_2020 : MAA_QUOTE_EXTENSION_OID,
    });
  });
});

describe('readMaaEnclaveIdentity refuses certificates without a quote', () => {
  it('refuses every certificate of the "Microsoft Azure Attestation 20xx" chains', () => {
    const chains = FIXTURES.flatMap((f) => f.chains);
    expect(chains.length).toBeGreaterThan(0);
    for (const { x5c } of chains) {
      expect(x5c).toHaveLength(3);
      expect(new X509Certificate(certificateToPem(x5c[0] ?? '')).subject).toMatch(/CN=Microsoft Azure Attestation 20\d\d/);
      for (const certificate of x5c) {
        expect(keyInvalid(() => readMaaEnclaveIdentity(certificate)).message).toMatch(/no MAA enclave quote extension/);
      }
    }
  });

  it('refuses a certificate made by createSelfSignedCertificate', () => {
    const { base64 } = createSelfSignedCertificate({ commonName: 'https://example.wus.attest.azure.net', privateKey });
    expect(keyInvalid(() => readMaaEnclaveIdentity(base64)).message).toMatch(/no MAA enclave quote extension/);
  });

  it('refuses text that is not canonical base64 DER', () => {
    for (const text of ['', 'not base64!', `${CERT_2022}\n`, ` ${CERT_2022}`, CERT_2022.slice(0, -1), 'AAAA', 'MA==']) {
      expect(() => readMaaEnclaveIdentity(text)).toThrow(AttestationError);
    }
    expect(() => readMaaEnclaveIdentity(42 as unknown as string)).toThrow(AttestationError);
  });
});

/** A mutator that edits the extension value in place. */
const patch =
  (edit: (value: Buffer) => void) =>
  (value: Buffer): Buffer => {
    edit(value);
    return value;
  };

describe('readMaaEnclaveIdentity on crafted quote extensions', () => {
  const value2022 = (): Buffer => quoteExtension(CERT_2022, MAA_QUOTE_EXTENSION_OID);
  const value2020 = (): Buffer => quoteExtension(CERT_2020, MAA_QUOTE_EXTENSION_OID_2020);

  it('reads a copied quote in a certificate for another key, and reports that it does not bind that key', () => {
    const certificate = certificateWith({ oid: MAA_QUOTE_EXTENSION_OID, value: value2022() });
    const identity = readMaaEnclaveIdentity(certificate);
    expect(identity.mrsigner).toBe(MAA_MRSIGNERS.since2021);
    const key = publicKeyOf(certificate);
    expect(checkQuoteBindsKey(identity, key, maaKeyId(key))).toMatch(/report data does not hash/);
  });

  it('reads the 2020 layout: an OCTET STRING holding the bare quote', () => {
    const identity = readMaaEnclaveIdentity(certificateWith({ oid: MAA_QUOTE_EXTENSION_OID_2020, value: value2020() }));
    expect(identity.mrsigner).toBe(MAA_MRSIGNERS.before2021);
    expect(identity.extensionOid).toBe(MAA_QUOTE_EXTENSION_OID_2020);
  });

  it('refuses a certificate carrying both quote extensions, or one twice', () => {
    const both = certificateWith(
      { oid: MAA_QUOTE_EXTENSION_OID, value: value2022() },
      { oid: MAA_QUOTE_EXTENSION_OID_2020, value: value2020() },
    );
    expect(keyInvalid(() => readMaaEnclaveIdentity(both)).message).toMatch(/more than one/);
    const twice = certificateWith(
      { oid: MAA_QUOTE_EXTENSION_OID, value: value2022() },
      { oid: MAA_QUOTE_EXTENSION_OID, value: value2022() },
    );
    expect(keyInvalid(() => readMaaEnclaveIdentity(twice)).message).toMatch(/more than one/);
  });

  it.each([
    ['an empty extension', () => Buffer.alloc(0), /shorter than its header/],
    ['Open Enclave header version 2', patch((v) => v.writeUInt32LE(2, 0)), /Open Enclave report version 2/],
    ['a local (not remote) report', patch((v) => v.writeUInt32LE(1, 4)), /type 1/],
    ['a header size one too large', patch((v) => v.writeUInt32LE(v.readUInt32LE(8) + 1, 8)), /header size \d+ does not match/],
    ['a header size above 4 GiB', patch((v) => v.writeUInt32LE(1, 12)), /header size \d+ does not match/],
    ['quote version 4', patch((v) => v.writeUInt16LE(4, 16)), /version 4/],
    [
      'signature data longer than the quote',
      patch((v) => v.writeUInt32LE(v.readUInt32LE(16 + 432) + 1, 16 + 432)),
      /signature data length \d+ does not match/,
    ],
    ['signature length 0xffffffff', patch((v) => v.writeUInt32LE(0xffffffff, 16 + 432)), /signature data length 4294967295 does not match/],
    [
      'a quote cut after the report body',
      (v: Buffer) => {
        const cut = Buffer.from(v.subarray(0, 16 + 432));
        cut.writeUInt32LE(432, 8);
        return cut;
      },
      /truncated/,
    ],
  ] as const)('refuses %s (2021 layout)', (_what, mutate, message) => {
    const value = mutate(value2022());
    expect(keyInvalid(() => readMaaEnclaveIdentity(certificateWith({ oid: MAA_QUOTE_EXTENSION_OID, value }))).message).toMatch(message);
  });

  it.each([
    ['the bare quote, not wrapped in an OCTET STRING', (v: Buffer) => v.subarray(4), /not a single OCTET STRING|malformed/],
    ['an OCTET STRING followed by more bytes', (v: Buffer) => Buffer.concat([v, Buffer.from([0])]), /not a single OCTET STRING/],
    ['a SEQUENCE instead of an OCTET STRING', patch((v) => v.writeUInt8(0x30, 0)), /not a single OCTET STRING/],
    ['an OCTET STRING whose length runs past the extension', patch((v) => v.writeUInt16BE(v.readUInt16BE(2) + 1, 2)), /malformed/],
    ['the 2021 layout under the 2020 OID', () => value2022(), /malformed|not a single OCTET STRING/],
  ] as const)('refuses %s (2020 layout)', (_what, mutate, message) => {
    const value = mutate(value2020());
    expect(keyInvalid(() => readMaaEnclaveIdentity(certificateWith({ oid: MAA_QUOTE_EXTENSION_OID_2020, value }))).message).toMatch(
      message,
    );
  });

  it('refuses the quote cut short at every 37th byte, even with the headers rewritten to agree', () => {
    // Truncating the certificate only tests the DER walk; this reaches the quote's own bounds checks.
    const full2022 = value2022();
    for (let end = 16; end < full2022.length; end += 37) {
      const value = Buffer.from(full2022.subarray(0, end));
      value.writeUInt32LE(end - 16, 8);
      expect(keyInvalid(() => readMaaEnclaveIdentity(certificateWith({ oid: MAA_QUOTE_EXTENSION_OID, value }))).message).toMatch(
        /truncated|signature data length \d+ does not match/,
      );
    }
    const full2020 = value2020();
    for (let end = 4; end < full2020.length; end += 37) {
      const quoteBytes = full2020.subarray(4, end);
      const value = Buffer.concat([Buffer.from([0x04, 0x82, quoteBytes.length >> 8, quoteBytes.length & 0xff]), quoteBytes]);
      expect(() => readMaaEnclaveIdentity(certificateWith({ oid: MAA_QUOTE_EXTENSION_OID_2020, value }))).toThrow(AttestationError);
    }
  });

  it('reads the DEBUG attribute from bit 1 of ATTRIBUTES.FLAGS', () => {
    const value = quoteExtension(CERT_2024, MAA_QUOTE_EXTENSION_OID);
    const flagsAt = 16 + 48 + 48;
    expect(value.readUInt32LE(flagsAt)).toBe(0x05); // INIT | MODE64BIT
    expect(readMaaEnclaveIdentity(certificateWith({ oid: MAA_QUOTE_EXTENSION_OID, value })).isDebuggable).toBe(false);
    value.writeUInt32LE(0x07, flagsAt);
    expect(readMaaEnclaveIdentity(certificateWith({ oid: MAA_QUOTE_EXTENSION_OID, value })).isDebuggable).toBe(true);
  });
});

describe('readMaaEnclaveIdentity on damaged certificates', () => {
  /** ACCEPTED or ERR_KEY_INVALID: any other error fails the test. */
  const outcome = (certificate: string): string => {
    const answer = outcomeOf(() => readMaaEnclaveIdentity(certificate));
    expect([ACCEPTED, 'ERR_KEY_INVALID']).toContain(answer);
    return answer;
  };

  for (const [name, certificate] of [
    ['2020', CERT_2020],
    ['2022', CERT_2022],
    ['2024', CERT_2024],
  ] as const) {
    it(`refuses the ${name} certificate truncated at every 97th byte`, () => {
      const der = Buffer.from(certificate, 'base64');
      let variants = 0;
      for (let end = 0; end < der.length; end += 97) {
        expect(outcome(der.subarray(0, end).toString('base64'))).toBe('ERR_KEY_INVALID');
        variants += 1;
      }
      expect(variants).toBeGreaterThan(40);
    });

    it(`throws nothing but ERR_KEY_INVALID with random bytes of the ${name} certificate flipped`, () => {
      const der = Buffer.from(certificate, 'base64');
      const flips = fc.array(fc.record({ at: fc.nat({ max: der.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }), {
        minLength: 1,
        maxLength: 8,
      });
      fc.assert(
        fc.property(flips, (changes) => {
          const mutated = Buffer.from(der);
          for (const { at, xor } of changes) mutated[at] = (mutated[at] ?? 0) ^ xor;
          outcome(mutated.toString('base64'));
        }),
        { numRuns: 150 },
      );
    });
  }

  it('throws nothing but ERR_KEY_INVALID with the quote headers and lengths damaged', () => {
    // Flips in the DER walk and in the OE and quote headers, where every length and version is read.
    const der = Buffer.from(CERT_2022, 'base64');
    const extension = findExtension(der, MAA_QUOTE_EXTENSION_OID)?.value;
    const start = (extension?.byteOffset ?? 0) - der.byteOffset;
    const hot = [...Array.from({ length: 80 }, (_, i) => start - 20 + i), ...Array.from({ length: 8 }, (_, i) => start + 16 + 432 + i)];
    const flips = fc.array(fc.record({ at: fc.constantFrom(...hot), xor: fc.integer({ min: 1, max: 255 }) }), {
      minLength: 1,
      maxLength: 3,
    });
    fc.assert(
      fc.property(flips, (changes) => {
        const mutated = Buffer.from(der);
        for (const { at, xor } of changes) mutated[at] = (mutated[at] ?? 0) ^ xor;
        outcome(mutated.toString('base64'));
      }),
      { numRuns: 300 },
    );
  });

  it('throws nothing but ERR_KEY_INVALID on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), (bytes) => {
        outcome(Buffer.from(bytes).toString('base64'));
      }),
      { numRuns: 300 },
    );
  });
});

describe('checkQuoteBindsKey', () => {
  it('refuses a kid that is not the hash of the key', () => {
    const identity = readMaaEnclaveIdentity(CERT_2022);
    const key = publicKeyOf(CERT_2022);
    expect(checkQuoteBindsKey(identity, key, 'XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=')).toBeUndefined();
    // The same hash in base64url, as the chain keys' kids are written, is still a different kid.
    expect(checkQuoteBindsKey(identity, key, 'XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE')).toMatch(/kid/);
    expect(checkQuoteBindsKey(identity, key, maaKeyId(publicKeyOf(CERT_2024)))).toMatch(/kid/);
  });

  it("refuses another certificate's key", () => {
    const identity = readMaaEnclaveIdentity(CERT_2022);
    const other = publicKeyOf(CERT_2024);
    expect(checkQuoteBindsKey(identity, other, maaKeyId(other))).toMatch(/report data/);
  });

  it('compares report data case-insensitively', () => {
    const identity = readMaaEnclaveIdentity(CERT_2022);
    const upper: MaaEnclaveIdentity = { ...identity, reportData: identity.reportData.toUpperCase() };
    expect(checkQuoteBindsKey(upper, publicKeyOf(CERT_2022), 'XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=')).toBeUndefined();
  });
});

describe('checkSignerPin', () => {
  const current = (): MaaEnclaveIdentity => readMaaEnclaveIdentity(CERT_2024); // not debuggable
  const debuggable = (): MaaEnclaveIdentity => readMaaEnclaveIdentity(CERT_2022);

  it('accepts the right MRSIGNER, in any case, and an empty pin', () => {
    expect(checkSignerPin(current(), { mrsigner: [MAA_MRSIGNERS.since2021] })).toBeUndefined();
    expect(checkSignerPin(current(), { mrsigner: [MAA_MRSIGNERS.before2021, MAA_MRSIGNERS.since2021.toUpperCase()] })).toBeUndefined();
    expect(checkSignerPin(current(), { mrsigner: Object.values(MAA_MRSIGNERS), minSvn: 1 })).toBeUndefined();
    expect(checkSignerPin(current(), {})).toBeUndefined();
  });

  it('refuses a wrong MRSIGNER, and accepts nothing from an empty list', () => {
    expect(checkSignerPin(current(), { mrsigner: [MAA_MRSIGNERS.before2021] })).toMatch(/MRSIGNER 74ba5fba/);
    expect(checkSignerPin(readMaaEnclaveIdentity(CERT_2020), { mrsigner: [MAA_MRSIGNERS.since2021], allowDebug: true })).toMatch(
      /MRSIGNER 5e5410aa/,
    );
    expect(checkSignerPin(current(), { mrsigner: [] })).toMatch(/MRSIGNER/);
  });

  it('checks MRENCLAVE when pinned', () => {
    const identity = current();
    expect(checkSignerPin(identity, { mrenclave: [identity.mrenclave.toUpperCase()] })).toBeUndefined();
    expect(checkSignerPin(identity, { mrenclave: ['b3cdb7c6d8da25088334d8864c06794f0cd7f505708abe44cc074c1e6ae0e283'] })).toMatch(
      /MRENCLAVE/,
    );
  });

  it('refuses a low SVN', () => {
    expect(checkSignerPin(current(), { minSvn: 1 })).toBeUndefined();
    expect(checkSignerPin(current(), { minSvn: 2 })).toMatch(/SVN 1 is below the minimum 2/);
    expect(checkSignerPin(current(), { minSvn: Number.NaN })).toMatch(/SVN/);
  });

  it('refuses a debuggable MAA enclave unless allowDebug is set (real 2022 certificates are debuggable)', () => {
    expect(debuggable().isDebuggable).toBe(true);
    expect(checkSignerPin(debuggable(), { mrsigner: [MAA_MRSIGNERS.since2021] })).toMatch(/debuggable/);
    expect(checkSignerPin(debuggable(), { mrsigner: [MAA_MRSIGNERS.since2021], allowDebug: false })).toMatch(/debuggable/);
    expect(checkSignerPin(debuggable(), { mrsigner: [MAA_MRSIGNERS.since2021], allowDebug: true })).toBeUndefined();
  });
});
