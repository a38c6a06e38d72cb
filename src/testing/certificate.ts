/**
 * Self-signed X.509 certificates shaped like MAA's token-signing certificates.
 *
 * Why hand-written: node:crypto can parse certificates but cannot create them, and the certificate here is
 * fixed in shape (v3, RSA, sha256WithRSAEncryption, one CN, self-signed). A DER writer for exactly that
 * is about a hundred lines; a certificate library would add a runtime dependency to every install of
 * `attestation-gate` for the sake of its testing kit.
 */
import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { certificateToPem } from '../keys/maa-kid.js';

/** One X.509 v3 extension, its value already DER-encoded (the contents of the extnValue OCTET STRING). */
export interface CertificateExtension {
  /** Dotted OID, e.g. `1.3.6.1.4.1.311.105.1` (where MAA puts its enclave quote). */
  oid: string;
  /** Default false. */
  critical?: boolean;
  /** DER bytes that go inside the extnValue OCTET STRING. */
  value: Buffer;
}

export interface SelfSignedCertificateOptions {
  /** Subject and issuer CN. MAA uses the instance URL, e.g. `https://sharedwus.wus.attest.azure.net`. */
  commonName: string;
  /** RSA private key that signs the certificate; its public half is certified unless `publicKey` is given. */
  privateKey: KeyObject;
  /** RSA public key to certify; defaults to the public half of `privateKey`. */
  publicKey?: KeyObject;
  /** Default 1, as on MAA's certificates. */
  serialNumber?: number | bigint;
  /** Default 2019-05-01T00:00:00Z, as on MAA's certificates. */
  notBefore?: Date;
  /** Default 2050-12-31T23:59:59Z, as on MAA's certificates. */
  notAfter?: Date;
  /** Extra extensions, in this order. None by default. */
  extensions?: readonly CertificateExtension[];
}

export interface SelfSignedCertificate {
  /** The certificate's DER bytes. */
  der: Buffer;
  /** Standard base64 of `der`: what goes into a JWK's `x5c`. */
  base64: string;
  /** PEM text: what to hand to `new X509Certificate()`. */
  pem: string;
}

export const MAA_CERTIFICATE_NOT_BEFORE = new Date('2019-05-01T00:00:00Z');
export const MAA_CERTIFICATE_NOT_AFTER = new Date('2050-12-31T23:59:59Z');

const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const OID_COMMON_NAME = '2.5.4.3';

// --- DER writer (X.690) ---------------------------------------------------------------------------

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) {
    length = Buffer.from([n]);
  } else {
    const bytes: number[] = [];
    for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (tagNumber: number, inner: Buffer): Buffer => tlv(0xa0 | tagNumber, inner);
const derNull = (): Buffer => Buffer.from([0x05, 0x00]);
const derBoolean = (value: boolean): Buffer => Buffer.from([0x01, 0x01, value ? 0xff : 0x00]);
const octetString = (value: Buffer): Buffer => tlv(0x04, value);
const utf8String = (value: string): Buffer => tlv(0x0c, Buffer.from(value, 'utf8'));
// Leading 0x00 = no unused bits in the final byte.
const bitString = (value: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), value]));

function integer(value: bigint): Buffer {
  if (value < 0n) throw new RangeError('only non-negative INTEGERs are needed here');
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  // DER INTEGER is two's complement: a set top bit would read as negative.
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

function objectIdentifier(dotted: string): Buffer {
  if (!/^[0-2](?:\.(?:0|[1-9]\d*))+$/.test(dotted)) throw new TypeError(`not a dotted OID: ${dotted}`);
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  const [first = 0n, second = 0n, ...rest] = arcs;
  if (first < 2n && second > 39n) throw new TypeError(`invalid OID: ${dotted}`);
  const bytes: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    // Base-128, most significant group first, continuation bit on all but the last byte.
    const groups: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) groups.unshift(Number(v & 0x7fn) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

// RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. Fractions of a second are not allowed.
function time(date: Date): Buffer {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid date');
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'));
  if (year < 0 || year > 9999) throw new RangeError('year out of range for X.509');
  return tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}

// --- certificate -----------------------------------------------------------------------------------

/**
 * Builds a self-signed X.509 v3 certificate for an RSA key, signed with sha256WithRSAEncryption, subject =
 * issuer = `CN=<commonName>`. With the defaults it matches MAA's token-signing certificates in everything a
 * relying party looks at (serial 1, validity 2019-05-01 .. 2050-12-31), minus the enclave-quote extension.
 */
export function createSelfSignedCertificate(options: SelfSignedCertificateOptions): SelfSignedCertificate {
  const { privateKey } = options;
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'rsa') {
    throw new TypeError('createSelfSignedCertificate needs an RSA private key');
  }
  const publicKey = options.publicKey ?? createPublicKey(privateKey);
  if (publicKey.asymmetricKeyType !== 'rsa') throw new TypeError('only RSA public keys are supported');

  const signatureAlgorithm = sequence(objectIdentifier(OID_SHA256_WITH_RSA), derNull());
  const name = sequence(set(sequence(objectIdentifier(OID_COMMON_NAME), utf8String(options.commonName))));
  const extensions = options.extensions ?? [];

  const tbs = sequence(
    explicit(0, integer(2n)), // version v3
    integer(BigInt(options.serialNumber ?? 1)),
    signatureAlgorithm,
    name,
    sequence(time(options.notBefore ?? MAA_CERTIFICATE_NOT_BEFORE), time(options.notAfter ?? MAA_CERTIFICATE_NOT_AFTER)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    ...(extensions.length > 0
      ? [
          explicit(
            3,
            sequence(
              ...extensions.map((ext) =>
                sequence(
                  objectIdentifier(ext.oid),
                  // DER forbids encoding a DEFAULT value, so `critical: false` is omitted.
                  ...(ext.critical ? [derBoolean(true)] : []),
                  octetString(ext.value),
                ),
              ),
            ),
          ),
        ]
      : []),
  );

  const signature = sign('sha256', tbs, privateKey);
  const der = sequence(tbs, signatureAlgorithm, bitString(signature));
  const base64 = der.toString('base64');
  return { der, base64, pem: certificateToPem(base64) };
}
