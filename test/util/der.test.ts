import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DerError, decodeOid, findExtension, readChildren, readExtensions, readTlv } from '../../src/util/der.js';
import { createSelfSignedCertificate } from '../../src/testing/certificate.js';
import { fixtureJson } from '../helpers/fixtures.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function derError(run: () => unknown): DerError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DerError);
    return error as DerError;
  }
  throw new Error('expected a DerError');
}

function firstCertificate(file: string, chainLength: number): Buffer {
  const { keys } = fixtureJson<{ keys: { x5c?: string[] }[] }>(file);
  const key = keys.find((k) => k.x5c?.length === chainLength);
  return Buffer.from(key?.x5c?.[0] ?? '', 'base64');
}

let privateKey: KeyObject;
beforeAll(() => {
  // 1024 bits keeps key generation quick; the size does not matter to a DER reader.
  ({ privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 }));
});

describe('readTlv', () => {
  it('reads short-form lengths', () => {
    expect(readTlv(hex('30 03 02 01 05'), 0)).toEqual({ tag: 0x30, headerLength: 2, length: 3, contentStart: 2, end: 5 });
    expect(readTlv(hex('30 03 02 01 05'), 2)).toEqual({ tag: 0x02, headerLength: 2, length: 1, contentStart: 4, end: 5 });
    expect(readTlv(hex('05 00'), 0)).toEqual({ tag: 0x05, headerLength: 2, length: 0, contentStart: 2, end: 2 });
  });

  it('reads long-form lengths', () => {
    const one = Buffer.concat([hex('04 81 80'), Buffer.alloc(0x80)]);
    expect(readTlv(one, 0)).toEqual({ tag: 0x04, headerLength: 3, length: 0x80, contentStart: 3, end: 0x83 });
    const two = Buffer.concat([hex('04 82 01 00'), Buffer.alloc(0x100)]);
    expect(readTlv(two, 0)).toEqual({ tag: 0x04, headerLength: 4, length: 0x100, contentStart: 4, end: 0x104 });
  });

  it('refuses what DER does not allow', () => {
    expect(derError(() => readTlv(hex('30 80 00 00'), 0)).message).toMatch(/indefinite/);
    expect(derError(() => readTlv(Buffer.concat([hex('04 81 05'), Buffer.alloc(5)]), 0)).message).toMatch(/non-minimal/);
    expect(derError(() => readTlv(Buffer.concat([hex('04 82 00 80'), Buffer.alloc(0x80)]), 0)).message).toMatch(/non-minimal/);
    expect(derError(() => readTlv(hex('04 85 01 00 00 00 00'), 0)).message).toMatch(/too large/);
    expect(derError(() => readTlv(hex('1f 01 00'), 0)).message).toMatch(/high tag/);
  });

  it('refuses elements that run past the buffer or their container', () => {
    expect(derError(() => readTlv(hex('30'), 0)).message).toMatch(/truncated/);
    expect(derError(() => readTlv(hex('04 82 01'), 0)).message).toMatch(/truncated/);
    expect(derError(() => readTlv(hex('04 05 00'), 0)).message).toMatch(/past its container/);
    expect(derError(() => readTlv(hex('30 04 04 03 00 00'), 2, 4)).message).toMatch(/past its container/);
    // A 4-byte length near 4 GiB must not wrap around or allocate.
    expect(derError(() => readTlv(hex('04 84 ff ff ff ff 00'), 0)).message).toMatch(/past its container/);
  });

  it('refuses offsets and limits outside the buffer', () => {
    const buffer = hex('05 00');
    for (const offset of [-1, 2, 3, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(derError(() => readTlv(buffer, offset)).message).toMatch(/no element/);
    }
    expect(derError(() => readTlv(buffer, 0, 3)).message).toMatch(/limit/);
    expect(derError(() => readTlv(buffer, 0, -1)).message).toMatch(/limit/);
  });

  it('reports where the problem is', () => {
    expect(derError(() => readTlv(hex('00 00 30 80'), 2)).offset).toBe(3);
  });
});

describe('readChildren', () => {
  it('lists the elements of a constructed element', () => {
    // The trailing 0xff lies outside the SEQUENCE and must not be read as a child.
    const buffer = hex('30 05 02 01 01 05 00 ff');
    const children = readChildren(buffer, readTlv(buffer, 0));
    expect(children.map((c) => c.tag)).toEqual([0x02, 0x05]);
    expect(children.map((c) => [c.contentStart, c.end])).toEqual([
      [4, 5],
      [7, 7],
    ]);
  });

  it('refuses a child that overruns its parent, and primitive parents', () => {
    const overrun = hex('30 03 04 03 00 00 00');
    expect(() => readChildren(overrun, readTlv(overrun, 0))).toThrow(DerError);
    const primitive = hex('04 02 05 00');
    expect(derError(() => readChildren(primitive, readTlv(primitive, 0))).message).toMatch(/constructed/);
  });
});

describe('decodeOid', () => {
  it.each([
    ['2a864886f70d01010b', '1.2.840.113549.1.1.11'],
    ['551d13', '2.5.29.19'],
    ['2b0601040182376901', '1.3.6.1.4.1.311.105.1'],
    ['2a864886f7140a0101', '1.2.840.113556.10.1.1'],
    ['8837', '2.999'],
    ['00', '0.0'],
    ['27', '0.39'],
    ['28', '1.0'],
    ['4f', '1.39'],
    ['50', '2.0'],
  ])('decodes %s as %s', (encoded, dotted) => {
    expect(decodeOid(hex(encoded))).toBe(dotted);
  });

  it('refuses empty, truncated, non-minimal and oversized identifiers', () => {
    expect(derError(() => decodeOid(hex(''))).message).toMatch(/empty/);
    expect(derError(() => decodeOid(hex('2a 86'))).message).toMatch(/truncated/);
    expect(derError(() => decodeOid(hex('2a 80 01'))).message).toMatch(/non-minimal/);
    expect(derError(() => decodeOid(hex('2a ff ff ff ff ff ff ff ff 7f'))).message).toMatch(/too large/);
  });
});

describe('readExtensions', () => {
  it('lists the extensions of a real 2022 MAA signing certificate', () => {
    const der = firstCertificate('cpp-sgx-shared-wus-2022.certs.json', 1);
    const extensions = readExtensions(der);
    expect(extensions.map((e) => e.oid)).toEqual(['2.5.29.19', '2.5.29.14', '2.5.29.35', '1.3.6.1.4.1.311.105.1']);
    expect(extensions.every((e) => !e.critical)).toBe(true);
    expect(Buffer.from(extensions[0]?.value ?? []).toString('hex')).toBe('3000');
    expect(extensions[3]?.value.length).toBe(4616);
  });

  it('reads the critical flag (2020 certificate: critical Key Usage)', () => {
    const extensions = readExtensions(firstCertificate('azsamples-uks-2020.certs.json', 1));
    expect(extensions.map((e) => `${e.oid}${e.critical ? '!' : ''}`)).toEqual([
      '2.5.29.19',
      '1.2.840.113556.10.1.1',
      '1.2.840.113556.10.1.2',
      '2.5.29.14',
      '2.5.29.35',
      '2.5.29.15!',
    ]);
  });

  it('parses the Microsoft chain certificates too', () => {
    const { keys } = fixtureJson<{ keys: { x5c?: string[] }[] }>('cpp-sgx-shared-wus-2022.certs.json');
    const chain = keys.find((k) => k.x5c?.length === 3)?.x5c ?? [];
    expect(chain).toHaveLength(3);
    for (const certificate of chain) {
      expect(readExtensions(Buffer.from(certificate, 'base64')).map((e) => e.oid)).toContain('2.5.29.19');
    }
  });

  it('round-trips extensions written by createSelfSignedCertificate', () => {
    const { der } = createSelfSignedCertificate({
      commonName: 'https://example.wus.attest.azure.net',
      privateKey,
      extensions: [
        { oid: '1.3.6.1.4.1.311.105.1', value: Buffer.from('quote bytes') },
        { oid: '2.5.29.19', critical: true, value: hex('3000') },
      ],
    });
    expect(readExtensions(der).map((e) => ({ ...e, value: Buffer.from(e.value).toString('utf8') }))).toEqual([
      { oid: '1.3.6.1.4.1.311.105.1', critical: false, value: 'quote bytes' },
      { oid: '2.5.29.19', critical: true, value: '0\u0000' },
    ]);
  });

  it('returns no extensions for a certificate without any', () => {
    const { der } = createSelfSignedCertificate({ commonName: 'x', privateKey });
    expect(readExtensions(der)).toEqual([]);
    expect(findExtension(der, '1.3.6.1.4.1.311.105.1')).toBeUndefined();
  });

  it('refuses trailing bytes and truncation', () => {
    const der = firstCertificate('cpp-sgx-shared-wus-2022.certs.json', 1);
    expect(derError(() => readExtensions(Buffer.concat([der, hex('00')]))).message).toMatch(/trailing/);
    expect(derError(() => readExtensions(der.subarray(0, der.length - 1))).message).toMatch(/past its container/);
    expect(() => readExtensions(hex(''))).toThrow(DerError);
  });

  it('refuses a Certificate that is not SEQUENCE { tbs, algorithm, signature }', () => {
    expect(derError(() => readExtensions(hex('31 00'))).message).toMatch(/Certificate SEQUENCE/);
    expect(derError(() => readExtensions(hex('30 02 05 00'))).message).toMatch(/3 elements/);
    expect(derError(() => readExtensions(hex('30 06 05 00 05 00 05 00'))).message).toMatch(/TBSCertificate/);
  });
});

describe('findExtension', () => {
  it('finds one extension by OID', () => {
    const der = firstCertificate('cpp-sgx-shared-wus-2022.certs.json', 1);
    expect(findExtension(der, '1.3.6.1.4.1.311.105.1')?.value.length).toBe(4616);
    expect(findExtension(der, '1.2.840.113556.10.1.1')).toBeUndefined();
  });

  it('refuses a certificate carrying the extension twice', () => {
    const { der } = createSelfSignedCertificate({
      commonName: 'x',
      privateKey,
      extensions: [
        { oid: '1.3.6.1.4.1.311.105.1', value: Buffer.from('a') },
        { oid: '1.3.6.1.4.1.311.105.1', value: Buffer.from('b') },
      ],
    });
    expect(derError(() => findExtension(der, '1.3.6.1.4.1.311.105.1')).message).toMatch(/2 times/);
  });
});

describe('fuzzing', () => {
  const isDerError = (run: () => unknown): boolean => {
    try {
      run();
      return true;
    } catch (error) {
      return error instanceof DerError;
    }
  };

  it('throws only DerError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => isDerError(() => readExtensions(bytes))),
      { numRuns: 500 },
    );
  });

  it('throws only DerError on arbitrary bytes wrapped in a plausible SEQUENCE header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const header = bytes.length < 0x80 ? [0x30, bytes.length] : [0x30, 0x81, bytes.length];
        const framed = Buffer.concat([Buffer.from(header), bytes]);
        return isDerError(() => readExtensions(framed));
      }),
      { numRuns: 300 },
    );
  });

  it('throws only DerError on a real certificate with bytes flipped', () => {
    const der = firstCertificate('cpp-sgx-shared-wus-2022.certs.json', 1);
    // The structure sits in the first ~600 bytes; flips there reach every branch of the walk.
    const flips = fc.array(fc.record({ at: fc.nat({ max: 600 }), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(flips, (changes) => {
        const mutated = Buffer.from(der);
        for (const { at, xor } of changes) mutated[at] = (mutated[at] ?? 0) ^ xor;
        return isDerError(() => readExtensions(mutated));
      }),
      { numRuns: 400 },
    );
  });

  it('throws only DerError on arbitrary OID contents', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => isDerError(() => decodeOid(bytes))),
      { numRuns: 500 },
    );
  });
});
