/**
 * A reader for the X.509 CRLs Intel publishes (RFC 5280 5.1): issuer, this/next update, revoked serial
 * numbers, and the signed bytes. Why by hand: node:crypto has no CRL API (only TLS contexts take CRLs), and
 * the fields needed are few; the signature is checked with `crypto.verify` over the exact TBSCertList bytes.
 *
 * CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
 * TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature AlgorithmIdentifier, issuer Name, thisUpdate Time,
 *   nextUpdate Time OPTIONAL, revokedCertificates SEQUENCE OF SEQUENCE { userCertificate INTEGER, revocationDate Time,
 *   crlEntryExtensions Extensions OPTIONAL } OPTIONAL, crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 */
import { verify, type KeyObject } from 'node:crypto';
import { DerError, TAG_BIT_STRING, TAG_INTEGER, TAG_OID, TAG_SEQUENCE, decodeOid, readChildren, readTlv } from '../util/der.js';
import { contents, expect, integerHex, isTime, readTime, whole } from './der-fields.js';

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
/** Far beyond Intel's CRLs (a few KiB); bounds the work one CRL can cause. */
export const MAX_CRL_BYTES = 4 * 1024 * 1024;

export interface CertificateRevocationList {
  readonly issuerDer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** Revoked serial numbers, lower-case hex without leading zeros. */
  readonly revokedSerials: ReadonlySet<string>;
  readonly tbs: Uint8Array;
  readonly signature: Uint8Array;
}

/** DER bytes, or PEM text (`-----BEGIN X509 CRL-----`). */
export function crlDer(input: Uint8Array | string): Uint8Array {
  if (typeof input !== 'string') return input;
  const match = /^\s*-----BEGIN X509 CRL-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END X509 CRL-----\s*$/.exec(input);
  if (match === null) throw new DerError('not a PEM X509 CRL', 0);
  return Buffer.from((match[1] ?? '').replace(/\s+/g, ''), 'base64');
}

export function parseCrl(der: Uint8Array): CertificateRevocationList {
  if (der.length > MAX_CRL_BYTES) throw new DerError('the CRL is over the size bound', 0);
  const list = expect(readTlv(der, 0), TAG_SEQUENCE, 'CertificateList');
  if (list.end !== der.length) throw new DerError('trailing bytes after the CRL', list.end);
  const [tbsElement, algorithm, signatureValue, extra] = readChildren(der, list);
  if (extra !== undefined) throw new DerError('a CertificateList has 3 elements', list.contentStart);
  const tbs = expect(tbsElement, TAG_SEQUENCE, 'TBSCertList');
  const [algorithmOid] = readChildren(der, expect(algorithm, TAG_SEQUENCE, 'signatureAlgorithm'));
  const oid = decodeOid(contents(der, expect(algorithmOid, TAG_OID, 'signature algorithm')));
  if (oid !== ECDSA_WITH_SHA256)
    throw new DerError(`CRL signature algorithm ${oid} is not ecdsa-with-SHA256`, algorithm?.contentStart ?? 0);
  const bits = contents(der, expect(signatureValue, TAG_BIT_STRING, 'signatureValue'));
  if (bits[0] !== 0) throw new DerError('the CRL signature has unused bits', signatureValue?.contentStart ?? 0);

  const fields = readChildren(der, tbs);
  let index = fields[0]?.tag === TAG_INTEGER ? 1 : 0;
  expect(fields[index], TAG_SEQUENCE, 'TBSCertList signature');
  index += 1;
  const issuerDer = whole(der, expect(fields[index], TAG_SEQUENCE, 'issuer'));
  index += 1;
  const thisUpdateElement = fields[index];
  if (thisUpdateElement === undefined || !isTime(thisUpdateElement)) throw new DerError('the CRL has no thisUpdate', tbs.contentStart);
  const thisUpdate = readTime(der, thisUpdateElement);
  index += 1;
  let nextUpdate: Date | undefined;
  if (isTime(fields[index])) {
    nextUpdate = readTime(der, fields[index] as NonNullable<(typeof fields)[number]>);
    index += 1;
  }
  const revokedSerials = new Set<string>();
  if (fields[index]?.tag === TAG_SEQUENCE) {
    for (const entry of readChildren(der, fields[index] as NonNullable<(typeof fields)[number]>)) {
      const [serial] = readChildren(der, expect(entry, TAG_SEQUENCE, 'revoked certificate'));
      revokedSerials.add(integerHex(der, expect(serial, TAG_INTEGER, 'userCertificate')));
    }
    index += 1;
  }
  if (fields[index] !== undefined && fields[index]?.tag !== 0xa0)
    throw new DerError('unexpected TBSCertList field', fields[index]?.contentStart ?? 0);
  return { issuerDer, thisUpdate, nextUpdate, revokedSerials, tbs: whole(der, tbs), signature: bits.subarray(1) };
}

/** Whether the CRL's signature verifies with `key` (ECDSA, DER-encoded signature). */
export function crlSignedBy(crl: CertificateRevocationList, key: KeyObject): boolean {
  try {
    return verify('sha256', crl.tbs, key, crl.signature);
  } catch {
    return false;
  }
}
