import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { MAA_CERTIFICATE_NOT_AFTER, MAA_CERTIFICATE_NOT_BEFORE, createSelfSignedCertificate } from '../../src/testing/index.js';

const keys = {
  1024: generateKeyPairSync('rsa', { modulusLength: 1024 }),
  2048: generateKeyPairSync('rsa', { modulusLength: 2048 }),
};

// Node 20 only offers validFrom/validTo as text such as "May  1 00:00:00 2019 GMT".
const parseDate = (text: string): number => new Date(text).getTime();

describe('createSelfSignedCertificate', () => {
  for (const bits of [1024, 2048] as const) {
    it(`builds a certificate Node parses and verifies (RSA-${bits})`, () => {
      const { privateKey, publicKey } = keys[bits];
      const cn = 'http://127.0.0.1:12345';
      const cert = createSelfSignedCertificate({ commonName: cn, privateKey });
      const x509 = new X509Certificate(cert.pem);

      expect(x509.subject).toBe(`CN=${cn}`);
      expect(x509.issuer).toBe(`CN=${cn}`);
      expect(x509.serialNumber).toBe('01');
      expect(x509.verify(publicKey)).toBe(true);
      expect(x509.checkIssued(x509)).toBe(true);
      expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(bits);
      expect(x509.publicKey.export({ type: 'spki', format: 'der' })).toEqual(publicKey.export({ type: 'spki', format: 'der' }));
      expect(parseDate(x509.validFrom)).toBe(MAA_CERTIFICATE_NOT_BEFORE.getTime());
      expect(parseDate(x509.validTo)).toBe(MAA_CERTIFICATE_NOT_AFTER.getTime());
      expect(Buffer.from(x509.raw)).toEqual(cert.der);
      expect(cert.base64).toBe(cert.der.toString('base64'));
    });
  }

  it('uses UTCTime before 2050 and GeneralizedTime from 2050 (RFC 5280)', () => {
    const { der } = createSelfSignedCertificate({ commonName: 'x', privateKey: keys[1024].privateKey });
    expect(der.includes(Buffer.from([0x17, 0x0d, ...Buffer.from('190501000000Z')]))).toBe(true);
    expect(der.includes(Buffer.from([0x18, 0x0f, ...Buffer.from('20501231235959Z')]))).toBe(true);
  });

  it('honours serial, validity and extensions', () => {
    const { privateKey, publicKey } = keys[2048];
    const notBefore = new Date('2024-02-29T12:34:56Z');
    const notAfter = new Date('2049-12-31T23:59:59Z');
    const quoteExtension = Buffer.from([0x04, 0x03, 1, 2, 3]);
    const cert = createSelfSignedCertificate({
      commonName: 'https://example.test.attest.azure.net',
      privateKey,
      serialNumber: 0x80n,
      notBefore,
      notAfter,
      extensions: [
        // basicConstraints CA:TRUE, critical
        { oid: '2.5.29.19', critical: true, value: Buffer.from([0x30, 0x03, 0x01, 0x01, 0xff]) },
        // subjectAltName dNSName example.test
        { oid: '2.5.29.17', value: Buffer.from([0x30, 0x0e, 0x82, 0x0c, ...Buffer.from('example.test')]) },
        // Where MAA puts its enclave quote: an OID with multi-byte arcs, unknown to OpenSSL.
        { oid: '1.3.6.1.4.1.311.105.1', value: quoteExtension },
      ],
    });
    const x509 = new X509Certificate(cert.pem);
    expect(x509.serialNumber).toBe('80');
    expect(x509.ca).toBe(true);
    expect(x509.subjectAltName).toBe('DNS:example.test');
    expect(x509.verify(publicKey)).toBe(true);
    expect(parseDate(x509.validFrom)).toBe(notBefore.getTime());
    expect(parseDate(x509.validTo)).toBe(notAfter.getTime());
    const oid = Buffer.from([0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x69, 0x01]);
    expect(cert.der.includes(Buffer.concat([oid, Buffer.from([0x04, quoteExtension.length]), quoteExtension]))).toBe(true);
  });

  it('encodes long names with multi-byte DER lengths', () => {
    const cn = `https://${'a'.repeat(300)}.attest.azure.net`;
    const x509 = new X509Certificate(createSelfSignedCertificate({ commonName: cn, privateKey: keys[1024].privateKey }).pem);
    expect(x509.subject).toBe(`CN=${cn}`);
  });

  it('refuses non-RSA keys', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => createSelfSignedCertificate({ commonName: 'x', privateKey: ec.privateKey })).toThrow(TypeError);
    expect(() => createSelfSignedCertificate({ commonName: 'x', privateKey: keys[1024].publicKey })).toThrow(TypeError);
  });
});
