/**
 * The few X.509 and CRL fields SGX verification needs that node:crypto does not expose: a certificate's
 * serial number and raw issuer/subject names (to match CRLs byte for byte), its basic constraints, and
 * DER times. Built on the bounded DER reader in `util/der.ts`; every function throws only `DerError`.
 */
import { DerError, TAG_BOOLEAN, TAG_INTEGER, TAG_SEQUENCE, readChildren, readTlv, type Tlv } from '../util/der.js';

const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;

export function expect(element: Tlv | undefined, tag: number, what: string): Tlv {
  if (element === undefined) throw new DerError(`missing ${what}`, 0);
  if (element.tag !== tag)
    throw new DerError(`${what} has tag 0x${element.tag.toString(16)}, not 0x${tag.toString(16)}`, element.contentStart);
  return element;
}

export function contents(buffer: Uint8Array, element: Tlv): Uint8Array {
  return buffer.subarray(element.contentStart, element.end);
}

/** The whole element, header included. */
export function whole(buffer: Uint8Array, element: Tlv): Uint8Array {
  return buffer.subarray(element.contentStart - element.headerLength, element.end);
}

/** An unsigned INTEGER's magnitude as lower-case hex without leading zero bytes ("00" for zero). */
export function integerHex(buffer: Uint8Array, element: Tlv): string {
  const bytes = contents(buffer, expect(element, TAG_INTEGER, 'INTEGER'));
  if (bytes.length === 0) throw new DerError('empty INTEGER', element.contentStart);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  return Buffer.from(bytes.subarray(start)).toString('hex') || '00';
}

/** A small non-negative INTEGER or ENUMERATED (SVNs, flags): at most 6 bytes. */
export function smallUnsigned(buffer: Uint8Array, element: Tlv, tag = TAG_INTEGER): number {
  const bytes = contents(buffer, expect(element, tag, 'INTEGER'));
  if (bytes.length === 0 || bytes.length > 6 || ((bytes[0] ?? 0) & 0x80) !== 0)
    throw new DerError('not a small non-negative INTEGER', element.contentStart);
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  return value;
}

const UTC = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** RFC 5280 Time: UTCTime (years 1950–2049) or GeneralizedTime, both to the second, in UTC. */
export function readTime(buffer: Uint8Array, element: Tlv): Date {
  const text = Buffer.from(contents(buffer, element)).toString('latin1');
  const match = element.tag === TAG_UTC_TIME ? UTC.exec(text) : element.tag === TAG_GENERALIZED_TIME ? GENERALIZED.exec(text) : null;
  if (match === null) throw new DerError('not an RFC 5280 time', element.contentStart);
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const year = element.tag === TAG_UTC_TIME ? (y < 50 ? 2000 + y : 1900 + y) : y;
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, s));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    throw new DerError('invalid date', element.contentStart);
  return date;
}

export function isTime(element: Tlv | undefined): boolean {
  return element !== undefined && (element.tag === TAG_UTC_TIME || element.tag === TAG_GENERALIZED_TIME);
}

export interface CertificateFields {
  /** Serial number, lower-case hex without leading zeros. */
  readonly serial: string;
  /** The issuer Name, DER (for byte-wise comparison with a CRL's issuer). */
  readonly issuerDer: Uint8Array;
}

/** The TBSCertificate's fields, in order, of one DER certificate filling the buffer. */
function tbsFields(der: Uint8Array): Tlv[] {
  const certificate = expect(readTlv(der, 0), TAG_SEQUENCE, 'Certificate');
  if (certificate.end !== der.length) throw new DerError('trailing bytes after the certificate', certificate.end);
  const [tbs] = readChildren(der, certificate);
  return readChildren(der, expect(tbs, TAG_SEQUENCE, 'TBSCertificate'));
}

export function readCertificateFields(der: Uint8Array): CertificateFields {
  const fields = tbsFields(der);
  // [0] version is present in every v3 certificate; serial, signature and issuer follow.
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serial = expect(fields[offset], TAG_INTEGER, 'serialNumber');
  return {
    serial: integerHex(der, serial),
    issuerDer: whole(der, expect(fields[offset + 2], TAG_SEQUENCE, 'issuer')),
  };
}

export interface BasicConstraints {
  readonly ca: boolean;
  readonly pathLength: number | undefined;
}

/** The contents of a basicConstraints (2.5.29.19) extnValue: SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL }. */
export function readBasicConstraints(value: Uint8Array): BasicConstraints {
  const sequence = expect(readTlv(value, 0), TAG_SEQUENCE, 'BasicConstraints');
  if (sequence.end !== value.length) throw new DerError('trailing bytes after BasicConstraints', sequence.end);
  const items = readChildren(value, sequence);
  let index = 0;
  let ca = false;
  if (items[index]?.tag === TAG_BOOLEAN) {
    const flag = items[index] as Tlv;
    if (flag.length !== 1) throw new DerError('a BOOLEAN is one byte', flag.contentStart);
    ca = value[flag.contentStart] !== 0;
    index += 1;
  }
  const pathLength = items[index] === undefined ? undefined : smallUnsigned(value, items[index] as Tlv);
  if (items.length > index + (pathLength === undefined ? 0 : 1))
    throw new DerError('unexpected BasicConstraints element', sequence.contentStart);
  return { ca, pathLength };
}
