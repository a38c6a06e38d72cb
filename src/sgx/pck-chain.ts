/**
 * The PCK certificate chain carried in a quote's certification data (type 5: concatenated PEM), checked
 * offline up to the pinned Intel SGX Root CA key:
 *
 *   Intel SGX PCK Certificate  →  Intel SGX PCK Processor CA | Intel SGX PCK Platform CA  →  Intel SGX Root CA
 *
 * Why by hand and not OpenSSL's path building: node:crypto exposes no chain verifier, and the anchor here is
 * a key, not a certificate (see intel-root.ts). The chain has a fixed shape, so the checks are short:
 * exactly three certificates in this order; each signed by the next and naming it as issuer; the root
 * self-signed with the pinned key; all three valid at the verification time; basic constraints (root and
 * intermediate CAs, the PCK certificate not a CA); the intermediate and the PCK certificate with Intel's
 * subject names. The root certificate's own pathLen is not enforced: one of the genuine Intel roots in
 * MAA's quotes says pathLen 0 yet certifies the PCK CAs, and RFC 5280 (6.1.1 d) leaves a trust anchor's
 * constraints to the relying party; the anchor is the pinned key.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { DerError, findExtension } from '../util/der.js';
import { parseCertificate } from '../util/pem.js';
import { readBasicConstraints, type BasicConstraints } from './der-fields.js';
import { INTEL_SGX_ROOT_CA_SPKI_SHA256, INTEL_SGX_ROOT_CA_SUBJECT, spkiSha256 } from './intel-root.js';

/** Thrown for a chain that does not verify. `step` names the verification step for diagnostics. */
export class SgxVerificationError extends Error {
  override readonly name = 'SgxVerificationError';
  readonly step: SgxVerificationStep;

  constructor(step: SgxVerificationStep, message: string, options?: { cause?: unknown }) {
    super(`${step}: ${message}`, options);
    this.step = step;
  }
}

/**
 * The steps of verifying an SGX quote, in the order they run. The names are stable: diagnostics and
 * `keys:skipped` reasons start with them.
 */
export type SgxVerificationStep =
  | 'quote-format'
  | 'isv-report-signature'
  | 'qe-report-data'
  | 'pck-chain'
  | 'qe-report-signature'
  | 'collateral'
  | 'qe-identity'
  | 'tcb-status'
  | 'revocation';

const INTERMEDIATE_SUBJECTS = {
  processor: 'CN=Intel SGX PCK Processor CA\nO=Intel Corporation\nL=Santa Clara\nST=CA\nC=US',
  platform: 'CN=Intel SGX PCK Platform CA\nO=Intel Corporation\nL=Santa Clara\nST=CA\nC=US',
} as const;
const PCK_SUBJECT = 'CN=Intel SGX PCK Certificate\nO=Intel Corporation\nL=Santa Clara\nST=CA\nC=US';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';

/** More than any genuine chain holds; bounds the parsing work a hostile quote can cause. */
const MAX_CHAIN_CERTIFICATES = 3;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END CERTIFICATE-----/g;

export interface CertificateValidity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface VerifiedPckChain {
  readonly pck: X509Certificate;
  readonly intermediate: X509Certificate;
  readonly root: X509Certificate;
  /** Which Intel CA issued the PCK certificate. */
  readonly issuingCa: 'processor' | 'platform';
  readonly pckValidity: CertificateValidity;
  /** The first notAfter of the three certificates: past it, the chain no longer verifies. */
  readonly validUntil: Date;
}

function fail(message: string, cause?: unknown): never {
  throw new SgxVerificationError('pck-chain', message, cause === undefined ? undefined : { cause });
}

/**
 * Splits concatenated PEM text into DER certificates. Only PEM blocks and whitespace are allowed (plus the
 * NUL terminator Intel's quote library appends), so nothing can hide between the certificates.
 */
export function splitPemChain(text: string, max = MAX_CHAIN_CERTIFICATES): Buffer[] {
  const certificates: Buffer[] = [];
  let last = 0;
  for (const match of text.matchAll(PEM_BLOCK)) {
    if (text.slice(last, match.index).trim() !== '') fail('the chain holds text that is not a PEM certificate');
    if (certificates.length === max) fail(`the chain holds more than ${max} certificates`);
    const base64 = (match[1] ?? '').replace(/\s+/g, '');
    const der = Buffer.from(base64, 'base64');
    if (der.toString('base64') !== base64) fail('a PEM certificate is not canonical base64');
    certificates.push(der);
    last = match.index + match[0].length;
  }
  if (text.slice(last).replace(/\0+$/, '').trim() !== '') fail('the chain holds text that is not a PEM certificate');
  return certificates;
}

export function validityOf(certificate: X509Certificate): CertificateValidity {
  return { notBefore: new Date(certificate.validFrom), notAfter: new Date(certificate.validTo) };
}

function checkValidAt(certificate: X509Certificate, what: string, at: Date): void {
  const { notBefore, notAfter } = validityOf(certificate);
  if (!(notBefore.getTime() <= at.getTime() && at.getTime() <= notAfter.getTime())) {
    fail(`the ${what} certificate is not valid at ${at.toISOString()} (valid ${notBefore.toISOString()} to ${notAfter.toISOString()})`);
  }
}

function basicConstraints(der: Buffer, what: string): BasicConstraints | undefined {
  try {
    const extension = findExtension(der, OID_BASIC_CONSTRAINTS);
    return extension === undefined ? undefined : readBasicConstraints(extension.value);
  } catch (error) {
    if (error instanceof DerError) fail(`the ${what} certificate's basic constraints are malformed: ${error.message}`, error);
    throw error;
  }
}

/** Parses one DER certificate, or returns undefined: `parseCertificate`, for bytes in hand. */
export function parseDerCertificate(der: Buffer): X509Certificate | undefined {
  return parseCertificate(der.toString('base64'));
}

function parse(der: Buffer, what: string): X509Certificate {
  return parseDerCertificate(der) ?? fail(`the ${what} certificate is not an X.509 certificate`);
}

/** Node decodes a certificate's key only when asked, and throws for one it cannot decode. */
export function publicKeyOf(certificate: X509Certificate): KeyObject | undefined {
  try {
    return certificate.publicKey;
  } catch {
    return undefined;
  }
}

/** Whether `child` names `parent` as its issuer and carries a valid signature by `parent`'s key. */
export function isSignedBy(child: X509Certificate, parent: X509Certificate): boolean {
  const key = publicKeyOf(parent);
  try {
    return key !== undefined && child.issuer === parent.subject && child.verify(key);
  } catch {
    return false;
  }
}

function checkSignedBy(child: X509Certificate, parent: X509Certificate, what: string): void {
  if (child.issuer !== parent.subject) fail(`the ${what} certificate's issuer is not the subject of the next certificate`);
  if (!isSignedBy(child, parent)) fail(`the ${what} certificate's signature does not verify with the next certificate's key`);
}

/**
 * Verifies a PCK chain (DER certificates, leaf first) at time `at`, anchored in the root key whose SPKI
 * SHA-256 is `rootSpkiSha256` (Intel's by default; tests pass their own). Throws SgxVerificationError('pck-chain').
 */
export function verifyPckChain(
  chain: readonly Buffer[],
  at: Date,
  rootSpkiSha256: string = INTEL_SGX_ROOT_CA_SPKI_SHA256,
): VerifiedPckChain {
  if (chain.length !== 3) fail(`the chain holds ${chain.length} certificates, not PCK, intermediate CA and root CA`);
  const [pckDer, intermediateDer, rootDer] = chain as [Buffer, Buffer, Buffer];
  const pck = parse(pckDer, 'PCK');
  const intermediate = parse(intermediateDer, 'intermediate CA');
  const root = parse(rootDer, 'root CA');

  const rootKey = publicKeyOf(root);
  if (rootKey === undefined || spkiSha256(rootKey) !== rootSpkiSha256)
    fail('the root certificate does not carry the pinned Intel SGX Root CA key');
  if (root.subject !== INTEL_SGX_ROOT_CA_SUBJECT) fail('the root certificate is not named Intel SGX Root CA');
  checkSignedBy(root, root, 'root CA');
  const issuingCa =
    intermediate.subject === INTERMEDIATE_SUBJECTS.processor
      ? 'processor'
      : intermediate.subject === INTERMEDIATE_SUBJECTS.platform
        ? 'platform'
        : undefined;
  if (issuingCa === undefined) fail('the intermediate certificate is neither the Intel SGX PCK Processor CA nor the Platform CA');
  checkSignedBy(intermediate, root, 'intermediate CA');
  if (pck.subject !== PCK_SUBJECT) fail('the leaf certificate is not named Intel SGX PCK Certificate');
  checkSignedBy(pck, intermediate, 'PCK');

  if (basicConstraints(rootDer, 'root CA')?.ca !== true) fail('the root certificate is not a CA');
  const intermediateConstraints = basicConstraints(intermediateDer, 'intermediate CA');
  if (intermediateConstraints?.ca !== true) fail('the intermediate certificate is not a CA');
  if (basicConstraints(pckDer, 'PCK')?.ca === true) fail('the PCK certificate is a CA');

  checkValidAt(root, 'root CA', at);
  checkValidAt(intermediate, 'intermediate CA', at);
  checkValidAt(pck, 'PCK', at);
  if (publicKeyOf(pck)?.asymmetricKeyType !== 'ec') fail("the PCK certificate's key is not an EC key");
  const validUntil = earliest([pck, intermediate, root].map((certificate) => validityOf(certificate).notAfter));
  return { pck, intermediate, root, issuingCa, pckValidity: validityOf(pck), validUntil };
}

/** The earliest of some dates. */
export function earliest(dates: readonly Date[]): Date {
  return new Date(Math.min(...dates.map((date) => date.getTime())));
}
