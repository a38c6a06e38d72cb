/**
 * A minimal DER reader: just enough X.690 to find one extension in an X.509 certificate.
 *
 * Why hand-written: node:crypto's `X509Certificate` exposes no way to read arbitrary extensions, and MAA
 * hides its enclave quote in a private one. Walking Certificate → TBSCertificate → [3] → Extension takes a
 * few dozen lines; an ASN.1 library would add a runtime dependency (and a much larger parser exposed to
 * network data) for that.
 *
 * Everything here parses bytes fetched from the network, so every length is checked against its container
 * before use, loops only move forward through a bounded buffer, and the only error thrown is `DerError`.
 * Only DER is accepted (definite, minimal lengths; low tag numbers): a stricter reader than OpenSSL's can
 * refuse a certificate, but never read it differently from the way Node does.
 */

import { OffsetError } from './offset-error.js';

/** Thrown for any input this reader cannot accept. `offset` is where in the buffer the problem was found. */
export class DerError extends OffsetError {
  override readonly name = 'DerError';
}

/** One tag-length-value element. Offsets are absolute positions in the buffer it was read from. */
export interface Tlv {
  /** The identifier octet, class and constructed bit included (0x30 = SEQUENCE, 0xa3 = [3]). */
  tag: number;
  headerLength: number;
  /** Length of the contents. */
  length: number;
  contentStart: number;
  /** One past the last content byte: where the next sibling starts. */
  end: number;
}

/** Universal tags (X.690) that the readers of certificates, CRLs and SGX extensions use. */
export const TAG_BOOLEAN = 0x01;
export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_OID = 0x06;
export const TAG_SEQUENCE = 0x30;
const TAG_EXTENSIONS = 0xa3; // [3] EXPLICIT, constructed
const CONSTRUCTED = 0x20;

// Four length octets allow contents up to 4 GiB, beyond any certificate; more would only invite overflow.
const MAX_LENGTH_OCTETS = 4;

function byteAt(buffer: Uint8Array, index: number, limit: number): number {
  const value = index < limit ? buffer[index] : undefined;
  if (value === undefined) throw new DerError('truncated element', index);
  return value;
}

/**
 * Reads the element starting at `offset`. Its contents must end at or before `limit` (default: the end of
 * the buffer), so a child can never reach outside its parent.
 */
export function readTlv(buffer: Uint8Array, offset: number, limit: number = buffer.length): Tlv {
  if (!Number.isSafeInteger(limit) || limit < 0 || limit > buffer.length) {
    throw new DerError('limit lies outside the buffer', limit);
  }
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= limit) {
    throw new DerError('no element here', offset);
  }
  const tag = byteAt(buffer, offset, limit);
  // X.509 uses only tag numbers below 31; the multi-byte form would only add a way to be malformed.
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported', offset);

  const first = byteAt(buffer, offset + 1, limit);
  let length: number;
  let headerLength: number;
  if (first < 0x80) {
    length = first;
    headerLength = 2;
  } else {
    const octets = first & 0x7f;
    if (octets === 0) throw new DerError('indefinite length is not DER', offset + 1);
    if (octets > MAX_LENGTH_OCTETS) throw new DerError('length too large', offset + 1);
    length = 0;
    for (let i = 0; i < octets; i += 1) {
      const b = byteAt(buffer, offset + 2 + i, limit);
      if (i === 0 && b === 0) throw new DerError('non-minimal length', offset + 2);
      length = length * 256 + b;
    }
    if (length < 0x80) throw new DerError('non-minimal length', offset + 1);
    headerLength = 2 + octets;
  }

  const contentStart = offset + headerLength;
  const end = contentStart + length;
  if (end > limit) throw new DerError('element extends past its container', offset);
  return { tag, headerLength, length, contentStart, end };
}

/** The elements inside a constructed element, in order. They must exactly fill it. */
export function readChildren(buffer: Uint8Array, parent: Tlv): Tlv[] {
  if ((parent.tag & CONSTRUCTED) === 0) throw new DerError('not a constructed element', parent.contentStart);
  const children: Tlv[] = [];
  // Each element is at least two bytes long, so this walks forward and stops at parent.end.
  for (let position = parent.contentStart; position < parent.end;) {
    const child = readTlv(buffer, position, parent.end);
    children.push(child);
    position = child.end;
  }
  return children;
}

function expectTag(element: Tlv | undefined, tag: number, what: string, at: number): Tlv {
  if (element === undefined) throw new DerError(`missing ${what}`, at);
  if (element.tag !== tag) {
    const found = `found tag 0x${element.tag.toString(16)}`;
    throw new DerError(`expected ${what} (tag 0x${tag.toString(16)}), ${found}`, element.contentStart - element.headerLength);
  }
  return element;
}

// Arcs beyond 2^46 could lose precision on the next shift; no OID in a certificate comes close.
const MAX_ARC = 2 ** 46;

/** Decodes the contents of an OBJECT IDENTIFIER to dotted form, e.g. `1.2.840.113549.1.1.11`. */
export function decodeOid(contents: Uint8Array, at = 0): string {
  if (contents.length === 0) throw new DerError('empty OBJECT IDENTIFIER', at);
  const arcs: number[] = [];
  let value = 0;
  let arcStart = true;
  for (let i = 0; i < contents.length; i += 1) {
    const b = contents[i] ?? 0;
    if (arcStart && b === 0x80) throw new DerError('non-minimal OBJECT IDENTIFIER arc', at + i);
    if (value >= MAX_ARC) throw new DerError('OBJECT IDENTIFIER arc too large', at + i);
    value = value * 128 + (b & 0x7f);
    arcStart = (b & 0x80) === 0;
    if (arcStart) {
      arcs.push(value);
      value = 0;
    }
  }
  if (!arcStart) throw new DerError('truncated OBJECT IDENTIFIER', at + contents.length);
  const [head = 0, ...rest] = arcs;
  // X.690 8.19.4: the first subidentifier packs the first two arcs as 40 * first + second.
  const first = head < 40 ? 0 : head < 80 ? 1 : 2;
  return [first, head - first * 40, ...rest].join('.');
}

/** One X.509 v3 extension, as found in a certificate. */
export interface ExtensionEntry {
  oid: string;
  critical: boolean;
  /** The contents of the extnValue OCTET STRING (a view into the certificate's buffer). */
  value: Uint8Array;
}

/**
 * Lists a DER certificate's extensions, in order. An empty list when the certificate has none.
 * The certificate must be exactly one SEQUENCE { TBSCertificate, AlgorithmIdentifier, BIT STRING }.
 */
export function readExtensions(certificateDer: Uint8Array): ExtensionEntry[] {
  const certificate = expectTag(readTlv(certificateDer, 0), TAG_SEQUENCE, 'Certificate SEQUENCE', 0);
  if (certificate.end !== certificateDer.length) throw new DerError('trailing bytes after the certificate', certificate.end);
  const parts = readChildren(certificateDer, certificate);
  if (parts.length !== 3) throw new DerError(`a Certificate has 3 elements, found ${parts.length}`, certificate.contentStart);
  const tbs = expectTag(parts[0], TAG_SEQUENCE, 'TBSCertificate SEQUENCE', certificate.contentStart);

  const fields = readChildren(certificateDer, tbs);
  const index = fields.findIndex((field) => field.tag === TAG_EXTENSIONS);
  if (index === -1) return [];
  // RFC 5280: extensions come last, once.
  if (index !== fields.length - 1) throw new DerError('extensions are not the last TBSCertificate field', tbs.contentStart);
  const wrapper = fields[index] as Tlv;
  const wrapped = readChildren(certificateDer, wrapper);
  if (wrapped.length !== 1) throw new DerError('[3] must hold exactly one SEQUENCE', wrapper.contentStart);
  const list = expectTag(wrapped[0], TAG_SEQUENCE, 'Extensions SEQUENCE', wrapper.contentStart);

  return readChildren(certificateDer, list).map((element) => {
    const extension = expectTag(element, TAG_SEQUENCE, 'Extension SEQUENCE', element.contentStart);
    const items = readChildren(certificateDer, extension);
    if (items.length !== 2 && items.length !== 3) {
      throw new DerError(`an Extension has 2 or 3 elements, found ${items.length}`, extension.contentStart);
    }
    const oid = expectTag(items[0], TAG_OID, 'extnID OBJECT IDENTIFIER', extension.contentStart);
    let critical = false;
    if (items.length === 3) {
      const flag = expectTag(items[1], TAG_BOOLEAN, 'critical BOOLEAN', oid.end);
      if (flag.length !== 1) throw new DerError('a BOOLEAN is one byte', flag.contentStart);
      critical = byteAt(certificateDer, flag.contentStart, flag.end) !== 0;
    }
    const value = expectTag(items[items.length - 1], TAG_OCTET_STRING, 'extnValue OCTET STRING', extension.contentStart);
    return {
      oid: decodeOid(certificateDer.subarray(oid.contentStart, oid.end), oid.contentStart),
      critical,
      value: certificateDer.subarray(value.contentStart, value.end),
    };
  });
}

/**
 * The extension with this dotted OID, or undefined when the certificate has none. A certificate carrying
 * the same extension twice is refused (RFC 5280 4.2), as the two could say different things.
 */
export function findExtension(certificateDer: Uint8Array, oid: string): ExtensionEntry | undefined {
  const matches = readExtensions(certificateDer).filter((extension) => extension.oid === oid);
  if (matches.length > 1) throw new DerError(`extension ${oid} appears ${matches.length} times`, 0);
  return matches[0];
}
