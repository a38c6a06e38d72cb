import { describe, expect, it } from 'vitest';
import { INTEL_SGX_ROOT_CA_SPKI_SHA256, spkiSha256 } from '../../src/sgx/intel-root.js';
import fc from 'fast-check';
import { SgxVerificationError, parseDerCertificate, splitPemChain } from '../../src/sgx/pck-chain.js';
import { parseSgxQuote } from '../../src/sgx/quote.js';
import { verifySgxQuote } from '../../src/sgx/verify-quote.js';
import { makeQuote, makeWorld, pem } from './helpers/pki.js';
import { realCertificateQuotes } from './helpers/real.js';

function stepOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SgxVerificationError) return error.step;
    throw error;
  }
  return 'verified';
}

const REAL = realCertificateQuotes();
const NOW = new Date('2026-12-01T00:00:00Z');

// Offsets of a version-3 quote's signature data (quote.ts): after the 432 signed bytes and the u32 length.
const ISV_SIGNATURE = 436;
const ATTESTATION_KEY = 500;
const QE_REPORT = 564;
const QE_REPORT_SIGNATURE = 948;
const QE_AUTH_DATA = 1014;

describe('the pinned Intel SGX Root CA key', () => {
  it("is the key of Intel's published root certificate (serial 22650CD6…, valid to 2049)", () => {
    // Intel publishes its SGX Root CA certificate (serial 22650CD65A9D3489F383B49552BF501B392706AC, SHA-256
    // fingerprint 44A0196B…74D3); quotes in MAA's certificates (2023) carry exactly that certificate.
    // (Other roots in the quotes reuse that serial and key with other validity and constraints.)
    const published = REAL.map(({ quote }) => verifySgxQuote(quote, { at: NOW }).chain.root).find(
      (root) => root.fingerprint256.replaceAll(':', '') === '44A0196B2B99F889B8E149E95B807A350E7424964399E885A7CBB8CCFAB674D3',
    );
    expect(published).toBeDefined();
    expect(published!.serialNumber.toUpperCase()).toBe('22650CD65A9D3489F383B49552BF501B392706AC');
    expect(published!.validTo).toMatch(/2049/);
    expect(spkiSha256(published!.publicKey)).toBe(INTEL_SGX_ROOT_CA_SPKI_SHA256);
  });

  it('is the key of all three root certificates the real MAA quotes carry', () => {
    const roots = new Map<string, string>();
    for (const { quote } of REAL) {
      const { chain } = verifySgxQuote(quote, { at: NOW });
      roots.set(chain.root.fingerprint256, `${chain.root.validTo}`);
      expect(spkiSha256(chain.root.publicKey)).toBe(INTEL_SGX_ROOT_CA_SPKI_SHA256);
    }
    expect(roots.size).toBeGreaterThanOrEqual(2);
  });
});

describe('verifySgxQuote on every real quote in MAA signing certificates', () => {
  it('finds the real quotes of 2020–2024', () => {
    expect(REAL.length).toBeGreaterThanOrEqual(15);
    const years = new Set(REAL.map(({ file }) => /-(20\d\d)/.exec(file)?.[1] ?? 'recording'));
    for (const year of ['2020', '2022', '2023', '2024']) expect(years).toContain(year);
  });

  for (const { file, kid, quote } of REAL) {
    it(`${file} ${kid}: verifies to Intel's root`, () => {
      const { chain, quote: parsed } = verifySgxQuote(quote, { at: NOW });
      expect(parsed.header.version).toBe(3);
      expect(chain.pck.subject).toMatch(/^CN=Intel SGX PCK Certificate\n/);
      // Processor CA until 2023, Platform CA for the 2024 platforms.
      expect(chain.issuingCa).toBe(file.includes('2024') ? 'platform' : 'processor');
    });
  }

  it('checks validity at the verification time: the 2020 key fails after its PCK certificate expires (2027-05-27)', () => {
    const quote = REAL.find(({ file }) => file.includes('2020'))!.quote;
    expect(stepOf(() => verifySgxQuote(quote, { at: new Date('2027-05-27T00:00:00Z') }))).toBe('verified');
    expect(stepOf(() => verifySgxQuote(quote, { at: new Date('2027-05-28T00:00:00Z') }))).toBe('pck-chain');
    expect(stepOf(() => verifySgxQuote(quote, { at: new Date('2020-05-26T00:00:00Z') }))).toBe('pck-chain');
  });
});

describe('verifySgxQuote refuses tampered real quotes at the step that breaks', () => {
  const original = REAL.find(({ file }) => file.includes('2024'))!.quote;
  const tampered = (at: number) => {
    const copy = Buffer.from(original);
    copy[at] = (copy[at] ?? 0) ^ 0x01;
    return copy;
  };

  it.each([
    ['the report body (MRSIGNER)', 48 + 128, 'isv-report-signature'],
    ['the header', 8, 'isv-report-signature'],
    ['the ISV report signature', ISV_SIGNATURE + 5, 'isv-report-signature'],
    ['the attestation key', ATTESTATION_KEY + 40, 'isv-report-signature'],
    ['the QE report data', QE_REPORT + 320, 'qe-report-data'],
    ['the QE report (MRSIGNER)', QE_REPORT + 128, 'qe-report-signature'],
    ['the QE report signature', QE_REPORT_SIGNATURE + 3, 'qe-report-signature'],
    ['the QE authentication data', QE_AUTH_DATA + 1, 'qe-report-data'],
  ] as const)('%s', (_what, at, step) => {
    expect(stepOf(() => verifySgxQuote(tampered(at), { at: NOW }))).toBe(step);
  });

  it('a byte of the PCK certificate', () => {
    const parsed = parseSgxQuote(original);
    const start = original.length - parsed.signatureData.certificationData.data.length;
    expect(stepOf(() => verifySgxQuote(tampered(start + 200), { at: NOW }))).toBe('pck-chain');
  });

  it('the chain out of order, short, padded, or with text between the certificates', () => {
    const parsed = parseSgxQuote(original);
    const text = Buffer.from(parsed.signatureData.certificationData.data).toString('latin1');
    const [pck, ca, root] = splitPemChain(text).map((der) => pem(der));
    const withChain = (chain: string) => {
      const data = Buffer.from(chain, 'latin1');
      const head = original.subarray(0, original.length - parsed.signatureData.certificationData.data.length);
      const quote = Buffer.concat([head, data]);
      quote.writeUInt32LE(data.length, head.length - 4);
      quote.writeUInt32LE(quote.length - 436, 432);
      return quote;
    };
    expect(stepOf(() => verifySgxQuote(withChain(`${pck}${ca}${root}`), { at: NOW }))).toBe('verified');
    for (const chain of [
      `${ca}${pck}${root}`,
      `${pck}${root}${ca}`,
      `${root}${ca}${pck}`,
      `${pck}${ca}`,
      `${pck}${ca}${root}${root}`,
      `${pck}junk\n${ca}${root}`,
      `${pck}${pck}${ca}`,
    ]) {
      expect(stepOf(() => verifySgxQuote(withChain(chain), { at: NOW }))).toBe('pck-chain');
    }
  });

  it('certification data of another type', () => {
    const parsed = parseSgxQuote(original);
    const copy = Buffer.from(original);
    copy.writeUInt16LE(3, original.length - parsed.signatureData.certificationData.data.length - 6);
    expect(stepOf(() => verifySgxQuote(copy, { at: NOW }))).toBe('pck-chain');
  });

  it('malformed bytes, as quote-format', () => {
    expect(stepOf(() => verifySgxQuote(original.subarray(0, 600), { at: NOW }))).toBe('quote-format');
    expect(stepOf(() => verifySgxQuote(new Uint8Array(0), { at: NOW }))).toBe('quote-format');
  });
});

describe('verifySgxQuote on fabricated quotes', () => {
  const world = makeWorld();

  it('accepts a well-formed quote only under its own root, never under the pinned Intel key', () => {
    const quote = makeQuote(world, { reportData: Buffer.alloc(32, 7) });
    expect(stepOf(() => verifySgxQuote(quote, { at: NOW, rootSpkiSha256: world.root.spkiSha256 }))).toBe('verified');
    const error = (() => {
      try {
        verifySgxQuote(quote, { at: NOW });
      } catch (caught) {
        return caught as SgxVerificationError;
      }
      return undefined;
    })();
    expect(error?.step).toBe('pck-chain');
    expect(error?.message).toMatch(/pinned Intel SGX Root CA key/);
  });

  it('refuses a QE report signed by a key other than the PCK key', () => {
    const other = makeWorld();
    // The chain is the first world's; the QE report is signed by the other world's PCK key.
    const quote = makeQuote(other, {
      reportData: Buffer.alloc(32),
      chainPem: `${pem(world.pck.der)}${pem(world.ca.der)}${pem(world.root.der)}`,
    });
    expect(stepOf(() => verifySgxQuote(quote, { at: NOW, rootSpkiSha256: world.root.spkiSha256 }))).toBe('qe-report-signature');
  });

  it('refuses a chain whose intermediate is not one of the PCK CAs, or whose PCK certificate is a CA', () => {
    const odd = makeWorld({ caName: 'Intel SGX PCK Other CA' });
    expect(
      stepOf(() => verifySgxQuote(makeQuote(odd, { reportData: Buffer.alloc(32) }), { at: NOW, rootSpkiSha256: odd.root.spkiSha256 })),
    ).toBe('pck-chain');
    const platform = makeWorld({ caName: 'Intel SGX PCK Platform CA' });
    const verified = verifySgxQuote(makeQuote(platform, { reportData: Buffer.alloc(32) }), {
      at: NOW,
      rootSpkiSha256: platform.root.spkiSha256,
    });
    expect(verified.chain.issuingCa).toBe('platform');
  });

  it("refuses a QE that is not Intel's, even with a genuine PCK signature and no collateral", () => {
    // The PCK key signs the report of whatever enclave with the PROVISIONKEY attribute asks; on a machine
    // with flexible launch control its owner can run such an enclave. Only the QE's identity says that
    // the attestation key belongs to Intel's Quoting Enclave, which signs only real reports.
    const fake = makeQuote(world, { reportData: Buffer.alloc(32), qeMrsigner: 'ab'.repeat(32) });
    expect(stepOf(() => verifySgxQuote(fake, { at: NOW, rootSpkiSha256: world.root.spkiSha256 }))).toBe('qe-identity');
    // And a quote whose header names another QE vendor (the header as parsed; the ISV signature covers the bytes).
    const parsed = parseSgxQuote(makeQuote(world, { reportData: Buffer.alloc(32) }));
    const otherVendor = { ...parsed, header: { ...parsed.header, qeVendorId: new Uint8Array(16).fill(0x11) } };
    expect(stepOf(() => verifySgxQuote(otherVendor, { at: NOW, rootSpkiSha256: world.root.spkiSha256 }))).toBe('qe-identity');
  });

  it('refuses an expired PCK certificate', () => {
    const expired = makeWorld({ pckNotAfter: new Date('2025-01-01T00:00:00Z') });
    expect(
      stepOf(() =>
        verifySgxQuote(makeQuote(expired, { reportData: Buffer.alloc(32) }), { at: NOW, rootSpkiSha256: expired.root.spkiSha256 }),
      ),
    ).toBe('pck-chain');
  });
});

describe('hostile input', () => {
  const original = Buffer.from(REAL[0]!.quote);

  it('throws nothing but SgxVerificationError, whatever bytes are flipped', () => {
    const flips = fc.array(fc.record({ at: fc.nat({ max: original.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(flips, (changes) => {
        const mutated = Buffer.from(original);
        for (const { at, xor } of changes) mutated[at] = (mutated[at] ?? 0) ^ xor;
        // Either a refusal naming its step, or (a flip in an unsigned, unchecked byte) a verification.
        expect(stepOf(() => verifySgxQuote(mutated, { at: NOW }))).toMatch(
          /^(quote-format|isv-report-signature|qe-report-data|pck-chain|qe-report-signature|verified)$/,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('parses a certificate only when the bytes are exactly one DER certificate', () => {
    const text = Buffer.from(parseSgxQuote(original).signatureData.certificationData.data).toString('latin1');
    const [pck] = splitPemChain(text);
    expect(parseDerCertificate(pck!)?.subject).toMatch(/Intel SGX PCK Certificate/);
    expect(parseDerCertificate(Buffer.concat([pck!, Buffer.from([0])]))).toBeUndefined();
    expect(parseDerCertificate(Buffer.from(text, 'latin1'))).toBeUndefined();
  });
});
