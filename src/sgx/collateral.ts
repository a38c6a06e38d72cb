/**
 * Optional checks against Intel's collateral: the TCB level of the platform that produced a quote, the
 * identity of its Quoting Enclave, and revocation of its PCK certificate and PCK CA. The collateral is
 * what Intel's Provisioning Certification Service (PCS) serves; the user fetches it (this library never
 * contacts Intel) and supplies it as is. Every document's Intel signature is verified, its signing chain
 * anchored in the same root key as the quote's PCK chain.
 *
 * Steps (names as in `SgxVerificationStep`):
 * - `collateral`: a document is malformed, badly signed, expired at the verification time, or missing for
 *   this platform (no TCB info for its FMSPC, no CRL from its PCK CA).
 * - `revocation`: the PCK certificate is on its CA's CRL, or the PCK CA on the root CA's CRL.
 * - `qe-identity`: the quote's QE is not the one Intel's QE identity describes.
 * - `tcb-status`: the platform's or the QE's TCB status is not among the accepted ones.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
// `quote` is this file's name for an SGX quote; the escaping helper goes by another.
import { quote as quoted } from '../errors.js';
import { DerError } from '../util/der.js';
import { isList } from '../util/own.js';
import { crlDer, crlSignedBy, parseCrl, type CertificateRevocationList } from './crl.js';
import { readCertificateFields } from './der-fields.js';
import { spkiSha256 } from './intel-root.js';
import {
  SgxVerificationError,
  isSignedBy,
  parseDerCertificate,
  publicKeyOf,
  splitPemChain,
  validityOf,
  earliest,
  type SgxVerificationStep,
  type VerifiedPckChain,
} from './pck-chain.js';
import { readPckTcb, type PckTcb } from './pck-extension.js';
import { toHex, type SgxQuote } from './quote.js';
import { readSignedJson } from './signed-json.js';
import { verifyP256 } from './verify-quote.js';

/** Intel's collateral, as served by PCS (API v3 or v4). */
export interface IntelSgxCollateral {
  /**
   * TCB info bodies (`GET /sgx/certification/v4/tcb?fmspc=…`, `{"tcbInfo":{…},"signature":"…"}`), exactly as
   * served: one per FMSPC of the platforms to check. The one matching a PCK certificate's FMSPC is used.
   */
  readonly tcbInfos: readonly string[];
  /** The `TCB-Info-Issuer-Chain` response header, URL-decoded: PEM of Intel SGX TCB Signing, then the root. */
  readonly tcbInfoIssuerChain: string;
  /** QE identity body (`GET /sgx/certification/v4/qe/identity`, `{"enclaveIdentity":{…},"signature":"…"}`), as served. */
  readonly qeIdentity: string;
  /** The `SGX-Enclave-Identity-Issuer-Chain` response header, URL-decoded. */
  readonly qeIdentityIssuerChain: string;
  /** PCK CRLs (`GET /sgx/certification/v4/pckcrl?ca=processor|platform`), DER bytes or PEM: one per PCK CA in use. */
  readonly pckCrls: readonly (Uint8Array | string)[];
  /** The Intel SGX Root CA CRL (the CRL distribution point of the root certificate), DER bytes or PEM. */
  readonly rootCaCrl: Uint8Array | string;
  /** TCB statuses accepted, for the platform and the QE. Default `DEFAULT_ACCEPTED_TCB_STATUSES`. `Revoked` is never accepted. */
  readonly acceptedTcbStatuses?: readonly string[];
}

/**
 * Accepted by default: the platform is patched, possibly needing software hardening or configuration the
 * enclave (MAA's) is responsible for. Refused by default: `OutOfDate*` (a microcode or SVN update is
 * missing) and `Revoked`.
 */
export const DEFAULT_ACCEPTED_TCB_STATUSES: readonly string[] = [
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
];

/** What the collateral said about one quote. */
export interface CollateralVerdict {
  /** The platform's TCB status from the TCB info level it matches, e.g. `UpToDate`, `SWHardeningNeeded`. */
  readonly tcbStatus: string;
  readonly tcbDate: string | undefined;
  readonly advisoryIds: readonly string[];
  /** The QE's TCB status from Intel's QE identity. */
  readonly qeTcbStatus: string;
  readonly fmspc: string;
  readonly tcbEvaluationDataNumber: number | undefined;
  /** The PCK certificate and its CA were checked against Intel's CRLs and are not revoked. */
  readonly revocationChecked: true;
  /**
   * The first instant a document this verdict rests on is no longer current: the TCB info's and QE
   * identity's nextUpdate, the CRLs' nextUpdate, the TCB Signing certificates' notAfter.
   */
  readonly validUntil: Date;
}

function fail(step: SgxVerificationStep, message: string, cause?: unknown): never {
  throw new SgxVerificationError(step, message, cause === undefined ? undefined : { cause });
}

const TCB_SIGNING_SUBJECT = 'CN=Intel SGX TCB Signing\nO=Intel Corporation\nL=Santa Clara\nST=CA\nC=US';

/** The Intel SGX TCB Signing key, from its two-certificate chain anchored in the quote's root key. */
function tcbSigningKey(pem: string, root: X509Certificate, at: Date, what: string): { key: KeyObject; certificate: X509Certificate } {
  let certificates: (X509Certificate | undefined)[];
  try {
    certificates = splitPemChain(pem, 2).map(parseDerCertificate);
  } catch (cause) {
    fail('collateral', `the ${what} issuer chain is not two PEM certificates`, cause);
  }
  const [signer, anchor] = certificates;
  if (signer === undefined || anchor === undefined) fail('collateral', `the ${what} issuer chain is not TCB Signing and root certificates`);
  const anchorKey = publicKeyOf(anchor);
  if (anchorKey === undefined || spkiSha256(anchorKey) !== spkiSha256(root.publicKey))
    fail('collateral', `the ${what} issuer chain does not end in the Intel SGX Root CA key`);
  const key = publicKeyOf(signer);
  if (key === undefined || signer.subject !== TCB_SIGNING_SUBJECT || !isSignedBy(signer, anchor)) {
    fail('collateral', `the ${what} signing certificate is not an Intel SGX TCB Signing certificate issued by the root`);
  }
  const { notBefore, notAfter } = validityOf(signer);
  if (!(notBefore <= at && at <= notAfter)) fail('collateral', `the ${what} signing certificate is not valid at ${at.toISOString()}`);
  return { key, certificate: signer };
}

function signedDocument(text: string, member: string, key: KeyObject, what: string): Record<string, unknown> {
  let document: ReturnType<typeof readSignedJson>;
  try {
    document = readSignedJson(text, member);
  } catch (cause) {
    fail('collateral', `the ${what} is not Intel's signed JSON`, cause);
  }
  if (!verifyP256(Buffer.from(document.signedText, 'utf8'), key, document.signature))
    fail('collateral', `Intel's signature on the ${what} does not verify`);
  return document.body;
}

function dateField(body: Record<string, unknown>, name: string, what: string): Date {
  const value = body[name];
  const date = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) fail('collateral', `the ${what} has no valid ${name}`);
  return date;
}

function checkCurrent(body: Record<string, unknown>, at: Date, what: string): void {
  const issued = dateField(body, 'issueDate', what);
  const next = dateField(body, 'nextUpdate', what);
  if (issued > next || at > next) fail('collateral', `the ${what} expired at ${next.toISOString()} (verifying at ${at.toISOString()})`);
}

function hexField(body: Record<string, unknown>, name: string, bytes: number, what: string): Buffer {
  const value = body[name];
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(value))
    fail('collateral', `the ${what} has no valid ${name}`);
  return Buffer.from(value, 'hex');
}

function levels(body: Record<string, unknown>, what: string): Record<string, unknown>[] {
  const list = body.tcbLevels;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    list.length > 1000 ||
    !list.every((level) => typeof level === 'object' && level !== null)
  ) {
    fail('collateral', `the ${what} has no valid tcbLevels`);
  }
  return list as Record<string, unknown>[];
}

function statusOf(level: Record<string, unknown>, what: string): { status: string; date: string | undefined; advisories: string[] } {
  const status = level.tcbStatus;
  if (typeof status !== 'string') fail('collateral', `a ${what} TCB level has no tcbStatus`);
  const advisories = Array.isArray(level.advisoryIDs) ? level.advisoryIDs.filter((id): id is string => typeof id === 'string') : [];
  return { status, date: typeof level.tcbDate === 'string' ? level.tcbDate : undefined, advisories };
}

function svn(value: unknown, what: string): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 0xffff)
    fail('collateral', `a ${what} SVN is not an integer`);
  return value as number;
}

/** The 16 SVN components of a TCB info level, version 3 (`sgxtcbcomponents`) or 2 (`sgxtcbcompNNsvn`). */
function levelComponents(tcb: Record<string, unknown>): number[] {
  if (Array.isArray(tcb.sgxtcbcomponents)) {
    if (tcb.sgxtcbcomponents.length !== 16) fail('collateral', 'a TCB level does not have 16 SGX TCB components');
    return tcb.sgxtcbcomponents.map((component: unknown) => svn((component as Record<string, unknown> | null)?.svn, 'TCB component'));
  }
  return Array.from({ length: 16 }, (_, index) => svn(tcb[`sgxtcbcomp${String(index + 1).padStart(2, '0')}svn`], 'TCB component'));
}

function checkQeIdentity(quote: SgxQuote, body: Record<string, unknown>, at: Date): string {
  const what = 'QE identity';
  // Version 1 (Intel's API v2) named no enclave; from version 2 on it must say it is the QE's.
  if (body.id !== 'QE' && !(body.id === undefined && body.version === 1))
    fail('collateral', `the QE identity is for ${quoted(body.id)}, not the QE`);
  checkCurrent(body, at, what);
  const qe = quote.signatureData.qeReport;
  if (toHex(qe.mrsigner) !== hexField(body, 'mrsigner', 32, what).toString('hex')) fail('qe-identity', "the QE's MRSIGNER is not Intel's");
  if (qe.isvProdId !== body.isvprodid)
    fail('qe-identity', `the QE's ISVPRODID ${qe.isvProdId} is not ${String(body.isvprodid).slice(0, 10)}`);
  const miscselect = hexField(body, 'miscselect', 4, what).readUInt32BE(0);
  const miscselectMask = hexField(body, 'miscselectMask', 4, what).readUInt32BE(0);
  // Intel writes MISCSELECT big-endian in the JSON; the report holds it as a little-endian u32.
  if ((qe.miscSelect & miscselectMask) >>> 0 !== (miscselect & miscselectMask) >>> 0)
    fail('qe-identity', "the QE's MISCSELECT does not match");
  const attributes = hexField(body, 'attributes', 16, what);
  const attributesMask = hexField(body, 'attributesMask', 16, what);
  for (let i = 0; i < 16; i += 1) {
    if (((qe.attributes[i] ?? 0) & (attributesMask[i] ?? 0)) !== ((attributes[i] ?? 0) & (attributesMask[i] ?? 0)))
      fail('qe-identity', "the QE's ATTRIBUTES do not match");
  }
  for (const level of levels(body, what)) {
    const tcb = level.tcb as Record<string, unknown> | undefined;
    if (qe.isvSvn >= svn(tcb?.isvsvn, 'QE identity')) return statusOf(level, what).status;
  }
  fail('tcb-status', `the QE's ISVSVN ${qe.isvSvn} is below every level of Intel's QE identity`);
}

function checkTcbInfo(
  pck: PckTcb,
  infos: readonly Record<string, unknown>[],
  at: Date,
): Omit<CollateralVerdict, 'qeTcbStatus' | 'revocationChecked' | 'validUntil'> & { readonly nextUpdate: Date } {
  const what = 'TCB info';
  const info = infos.find((body) => typeof body.fmspc === 'string' && body.fmspc.toUpperCase() === pck.fmspc);
  if (info === undefined) fail('collateral', `no TCB info is given for the platform's FMSPC ${pck.fmspc}`);
  if (info.id !== undefined && info.id !== 'SGX') fail('collateral', `the TCB info for FMSPC ${pck.fmspc} is not for SGX`);
  checkCurrent(info, at, what);
  if (typeof info.pceId !== 'string' || info.pceId.toUpperCase() !== pck.pceId)
    fail('collateral', `the TCB info's PCE ID is not the platform's ${pck.pceId}`);
  for (const level of levels(info, what)) {
    const tcb = level.tcb as Record<string, unknown> | undefined;
    if (typeof tcb !== 'object' || tcb === null) fail('collateral', 'a TCB level has no tcb');
    const components = levelComponents(tcb);
    if (components.every((component, index) => (pck.cpuSvnComponents[index] ?? -1) >= component) && pck.pceSvn >= svn(tcb.pcesvn, 'PCE')) {
      const { status, date, advisories } = statusOf(level, what);
      const evaluation = info.tcbEvaluationDataNumber;
      return {
        tcbStatus: status,
        tcbDate: date,
        advisoryIds: advisories,
        fmspc: pck.fmspc,
        tcbEvaluationDataNumber: Number.isInteger(evaluation) ? (evaluation as number) : undefined,
        nextUpdate: dateField(info, 'nextUpdate', what),
      };
    }
  }
  fail('tcb-status', "the platform's TCB is below every level of Intel's TCB info");
}

function readCrl(input: Uint8Array | string, what: string): CertificateRevocationList {
  try {
    return parseCrl(crlDer(input));
  } catch (cause) {
    fail('collateral', `the ${what} is not a DER or PEM X.509 CRL`, cause);
  }
}

/** Checks a CRL is the issuer's, signed by it and current; returns whether it lists `serial`. */
function revokes(crl: CertificateRevocationList, issuer: X509Certificate, serial: string, at: Date, what: string): boolean {
  if (!crlSignedBy(crl, issuer.publicKey)) fail('collateral', `the ${what}'s signature does not verify with its issuer's key`);
  // Like TCB info, a CRL is judged by its nextUpdate only: one issued after the verification time lists
  // what is known now, which is what a historical verification should use.
  // RFC 5280 §5.1.2.5 requires nextUpdate: without it a CRL could never be known stale.
  if (crl.nextUpdate === undefined) fail('collateral', `the ${what} has no nextUpdate`);
  if (at > crl.nextUpdate) fail('collateral', `the ${what} expired at ${crl.nextUpdate.toISOString()}`);
  return crl.revokedSerials.has(serial);
}

/**
 * Checks a verified quote against Intel's collateral at time `at`. Throws SgxVerificationError naming the
 * step that failed; returns the TCB statuses when every check passes.
 */
export function verifyCollateral(quote: SgxQuote, chain: VerifiedPckChain, collateral: IntelSgxCollateral, at: Date): CollateralVerdict {
  if (typeof collateral !== 'object' || collateral === null || !isList(collateral.tcbInfos) || !isList(collateral.pckCrls)) {
    fail('collateral', 'the collateral is not { tcbInfos, tcbInfoIssuerChain, qeIdentity, qeIdentityIssuerChain, pckCrls, rootCaCrl }');
  }
  let pck: PckTcb;
  let pckFields: ReturnType<typeof readCertificateFields>;
  let intermediateFields: ReturnType<typeof readCertificateFields>;
  try {
    pck = readPckTcb(chain.pck.raw);
    pckFields = readCertificateFields(chain.pck.raw);
    intermediateFields = readCertificateFields(chain.intermediate.raw);
  } catch (cause) {
    if (cause instanceof DerError) fail('collateral', `the PCK certificate's SGX extension is malformed: ${cause.message}`, cause);
    throw cause;
  }

  // Revocation first: a revoked PCK key's signatures mean nothing, whatever the TCB info says.
  const rootCrl = readCrl(collateral.rootCaCrl, 'root CA CRL');
  if (!Buffer.from(rootCrl.issuerDer).equals(Buffer.from(intermediateFields.issuerDer)))
    fail('collateral', 'the root CA CRL is not issued by the Intel SGX Root CA');
  if (revokes(rootCrl, chain.root, intermediateFields.serial, at, 'root CA CRL'))
    fail('revocation', `the ${chain.issuingCa} CA certificate is revoked by the Intel SGX Root CA`);
  const pckCrl = collateral.pckCrls
    .map((input, index) => readCrl(input, `PCK CRL #${index + 1}`))
    .find((crl) => Buffer.from(crl.issuerDer).equals(Buffer.from(pckFields.issuerDer)));
  if (pckCrl === undefined) fail('collateral', `no PCK CRL is given for the Intel SGX PCK ${chain.issuingCa} CA`);
  if (revokes(pckCrl, chain.intermediate, pckFields.serial, at, 'PCK CRL')) fail('revocation', 'the PCK certificate is revoked');

  const tcbSigner = tcbSigningKey(collateral.tcbInfoIssuerChain, chain.root, at, 'TCB info');
  const qeSigner = tcbSigningKey(collateral.qeIdentityIssuerChain, chain.root, at, 'QE identity');
  const signerSerial = (certificate: X509Certificate) => readCertificateFields(certificate.raw).serial;
  for (const signer of [tcbSigner, qeSigner]) {
    if (rootCrl.revokedSerials.has(signerSerial(signer.certificate)))
      fail('revocation', 'the Intel SGX TCB Signing certificate is revoked');
  }
  const qeIdentity = signedDocument(collateral.qeIdentity, 'enclaveIdentity', qeSigner.key, 'QE identity');
  const infos = collateral.tcbInfos.map((text, index) => signedDocument(text, 'tcbInfo', tcbSigner.key, `TCB info #${index + 1}`));

  const qeTcbStatus = checkQeIdentity(quote, qeIdentity, at);
  const { nextUpdate: tcbInfoNextUpdate, ...tcb } = checkTcbInfo(pck, infos, at);
  const accepted = collateral.acceptedTcbStatuses ?? DEFAULT_ACCEPTED_TCB_STATUSES;
  for (const [whose, status] of [
    ['platform', tcb.tcbStatus],
    ['QE', qeTcbStatus],
  ] as const) {
    if (status === 'Revoked') fail('revocation', `the ${whose} TCB status is Revoked`);
    if (!accepted.includes(status)) fail('tcb-status', `the ${whose} TCB status ${status.slice(0, 40)} is not accepted`);
  }
  const validUntil = earliest([
    tcbInfoNextUpdate,
    dateField(qeIdentity, 'nextUpdate', 'QE identity'),
    rootCrl.nextUpdate!,
    pckCrl.nextUpdate!,
    validityOf(tcbSigner.certificate).notAfter,
    validityOf(qeSigner.certificate).notAfter,
  ]);
  return { ...tcb, qeTcbStatus, revocationChecked: true, validUntil };
}

/** Why `value` is not shaped like `IntelSgxCollateral`, or undefined: for checking options at start-up. */
export function collateralShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'must be an object';
  const c = value as Record<string, unknown>;
  const bytesOrText = (v: unknown) => typeof v === 'string' || v instanceof Uint8Array;
  if (!Array.isArray(c.tcbInfos) || c.tcbInfos.length === 0 || !c.tcbInfos.every((t) => typeof t === 'string'))
    return 'tcbInfos must be a non-empty list of TCB info JSON texts';
  for (const name of ['tcbInfoIssuerChain', 'qeIdentity', 'qeIdentityIssuerChain'] as const)
    if (typeof c[name] !== 'string') return `${name} must be a string`;
  if (!Array.isArray(c.pckCrls) || c.pckCrls.length === 0 || !c.pckCrls.every(bytesOrText))
    return 'pckCrls must be a non-empty list of CRLs (DER bytes or PEM)';
  if (!bytesOrText(c.rootCaCrl)) return 'rootCaCrl must be DER bytes or PEM';
  if (
    c.acceptedTcbStatuses !== undefined &&
    !(Array.isArray(c.acceptedTcbStatuses) && c.acceptedTcbStatuses.every((s) => typeof s === 'string'))
  )
    return 'acceptedTcbStatuses must be a list of strings';
  return undefined;
}
