import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TAG_OCTET_STRING, readExtensions, readTlv } from '../../src/util/der.js';
import { MAA_QUOTE_EXTENSION_OID, MAA_QUOTE_EXTENSION_OID_2020 } from '../../src/keys/maa-quote.js';
import {
  CERTIFICATION_DATA_TYPE,
  INTEL_QE_VENDOR_ID,
  QUOTE_MIN_SIZE,
  QuoteFormatError,
  parseSgxQuote,
  toHex,
  unwrapOpenEnclaveReport,
} from '../../src/sgx/quote.js';

const recordings = new URL('../fixtures/maa/recordings/', import.meta.url);
const fixtures = new URL('../fixtures/maa/', import.meta.url);

interface Recording {
  name: string;
  evidence: Uint8Array;
  isOpenEnclave: boolean;
  claims: Record<string, unknown>;
}

function payloadOf(jwt: string): Record<string, unknown> {
  const [, payload] = jwt.trim().split('.');
  return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

function loadRecordings(): Recording[] {
  const out: Recording[] = [];
  for (const entry of readdirSync(recordings, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = new URL(`${entry.name}/`, recordings);
    const files = readdirSync(dir);
    const evidenceFile = files.find((file) => file.startsWith('evidence'));
    const tokenFile = files.find((file) => file.startsWith('token'));
    if (evidenceFile === undefined || tokenFile === undefined) continue;
    out.push({
      name: entry.name,
      evidence: readFileSync(new URL(evidenceFile, dir)),
      isOpenEnclave: entry.name.includes('OpenEnclave'),
      claims: payloadOf(readFileSync(new URL(tokenFile, dir), 'utf8')),
    });
  }
  return out;
}

function certificateQuotes(): { file: string; quote: Uint8Array }[] {
  const out: { file: string; quote: Uint8Array }[] = [];
  const seen = new Set<string>();
  for (const file of readdirSync(fixtures).filter((name) => name.endsWith('.certs.json'))) {
    const body = JSON.parse(readFileSync(new URL(file, fixtures), 'utf8')) as { keys: { x5c?: string[] }[] };
    for (const key of body.keys) {
      const leaf = key.x5c?.[0];
      if (leaf === undefined || seen.has(leaf)) continue;
      seen.add(leaf);
      for (const extension of readExtensions(Buffer.from(leaf, 'base64'))) {
        if (extension.oid === MAA_QUOTE_EXTENSION_OID) out.push({ file, quote: unwrapOpenEnclaveReport(extension.value) });
        if (extension.oid === MAA_QUOTE_EXTENSION_OID_2020) {
          const inner = readTlv(extension.value, 0);
          expect(inner.tag).toBe(TAG_OCTET_STRING);
          out.push({ file, quote: extension.value.subarray(inner.contentStart, inner.end) });
        }
      }
    }
  }
  return out;
}

function formatError(run: () => unknown): QuoteFormatError {
  try {
    run();
  } catch (error) {
    if (error instanceof QuoteFormatError) return error;
    throw error;
  }
  throw new Error('expected a QuoteFormatError');
}

describe('parseSgxQuote on real evidence', () => {
  const all = loadRecordings();

  it('finds every recording', () => {
    expect(all.length).toBeGreaterThanOrEqual(5);
  });

  for (const recording of all) {
    it(`${recording.name}: the report body fields are the claims MAA issued`, () => {
      const quoteBytes = recording.isOpenEnclave ? unwrapOpenEnclaveReport(recording.evidence) : recording.evidence;
      const quote = parseSgxQuote(quoteBytes);
      const { claims } = recording;
      expect(quote.header.version).toBe(3);
      expect(toHex(quote.header.qeVendorId)).toBe(INTEL_QE_VENDOR_ID);
      expect(toHex(quote.body.mrenclave)).toBe(claims['x-ms-sgx-mrenclave']);
      expect(toHex(quote.body.mrsigner)).toBe(claims['x-ms-sgx-mrsigner']);
      expect(quote.body.isvProdId).toBe(claims['x-ms-sgx-product-id']);
      expect(quote.body.isvSvn).toBe(claims['x-ms-sgx-svn']);
      expect(quote.body.isDebuggable).toBe(claims['x-ms-sgx-is-debuggable']);
      expect(toHex(quote.body.reportData)).toBe(claims['x-ms-sgx-report-data']);
      const collateral = claims['x-ms-sgx-collateral'] as { quotehash: string } | undefined;
      if (collateral !== undefined) {
        expect(createHash('sha256').update(recording.evidence).digest('hex')).toBe(collateral.quotehash);
      }
      expect(quote.signatureData.certificationData.type).toBe(CERTIFICATION_DATA_TYPE.pckCertificateChain);
      expect(Buffer.from(quote.signatureData.certificationData.data).toString('latin1')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    });
  }
});

describe('parseSgxQuote on the quotes in MAA signing certificates', () => {
  const quotes = certificateQuotes();

  it('parses every one strictly', () => {
    expect(quotes.length).toBeGreaterThanOrEqual(10);
    for (const { quote } of quotes) {
      const parsed = parseSgxQuote(quote);
      expect(parsed.signatureData.attestationKey.length).toBe(64);
      expect(parsed.signatureData.qeReport.bytes.length).toBe(384);
      expect(parsed.signatureData.certificationData.type).toBe(CERTIFICATION_DATA_TYPE.pckCertificateChain);
    }
  });
});

describe('parseSgxQuote refuses malformed quotes', () => {
  const [sample] = loadRecordings().filter((recording) => !recording.isOpenEnclave);
  const good = Buffer.from(sample!.evidence);

  it('a truncated quote', () => {
    expect(formatError(() => parseSgxQuote(good.subarray(0, QUOTE_MIN_SIZE - 1))).message).toMatch(/truncated/);
    expect(formatError(() => parseSgxQuote(good.subarray(0, good.length - 1))).message).toMatch(/signature data length/);
  });

  it('a trailing byte', () => {
    expect(formatError(() => parseSgxQuote(Buffer.concat([good, Buffer.of(0)]))).message).toMatch(/signature data length/);
  });

  it('another version or key type', () => {
    const v2 = Buffer.from(good);
    v2.writeUInt16LE(2, 0);
    expect(formatError(() => parseSgxQuote(v2)).message).toMatch(/version 2/);
    const keyType = Buffer.from(good);
    keyType.writeUInt16LE(3, 2);
    expect(formatError(() => parseSgxQuote(keyType)).message).toMatch(/key type 3/);
  });

  it('a certification data size that runs past the end', () => {
    const quote = parseSgxQuote(good);
    const certSizeOffset = quote.signatureData.certificationData.data.byteOffset - good.byteOffset - 4;
    const bad = Buffer.from(good);
    bad.writeUInt32LE(quote.signatureData.certificationData.data.length + 1, certSizeOffset);
    expect(formatError(() => parseSgxQuote(bad)).message).toMatch(/certification data needs/);
  });

  it('an oversized input without reading it', () => {
    expect(formatError(() => parseSgxQuote(new Uint8Array(64 * 1024 + 1))).message).toMatch(/over the bound/);
  });

  it('every single-byte truncation throws only QuoteFormatError', () => {
    for (let length = 0; length < good.length; length += 97) {
      expect(() => parseSgxQuote(good.subarray(0, length))).toThrow(QuoteFormatError);
    }
  });
});

describe('unwrapOpenEnclaveReport', () => {
  const [oe] = loadRecordings().filter((recording) => recording.isOpenEnclave);
  const good = Buffer.from(oe!.evidence);

  it('checks version, type and size', () => {
    expect(unwrapOpenEnclaveReport(good).length).toBe(good.length - 16);
    const version = Buffer.from(good);
    version.writeUInt32LE(2, 0);
    expect(formatError(() => unwrapOpenEnclaveReport(version)).message).toMatch(/version 2/);
    const type = Buffer.from(good);
    type.writeUInt32LE(1, 4);
    expect(formatError(() => unwrapOpenEnclaveReport(type)).message).toMatch(/type 1/);
    expect(formatError(() => unwrapOpenEnclaveReport(good.subarray(0, good.length - 1))).message).toMatch(/size/);
    expect(formatError(() => unwrapOpenEnclaveReport(good.subarray(0, 8))).message).toMatch(/shorter/);
  });
});
