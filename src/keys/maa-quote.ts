/**
 * MAA's own enclave identity, read from the SGX quote embedded in each of its token-signing certificates,
 * and (with a signer pin) verified offline up to Intel's SGX root: the quote's signatures, its QE report
 * and its PCK certificate chain (src/sgx), then the binding of the certificate's key and the pin.
 *
 * Layouts, as found in real MAA certificates (2020–2024):
 *
 * - Extension `1.3.6.1.4.1.311.105.1` (every certificate seen from May 2021 on): extnValue contents = an
 *   Open Enclave report (16-byte header, then the quote).
 * - Extension `1.2.840.113556.10.1.1` (the 2020 format): extnValue contents = a DER OCTET STRING whose
 *   contents are the quote itself, with no Open Enclave header.
 *
 * The quote is an SGX ECDSA (DCAP) quote of version 3; its layout is stated once, in `sgx/quote.ts`.
 */
import type { KeyObject } from 'node:crypto';
import { AttestationError, quote } from '../errors.js';
import { verifyCollateral, type CollateralVerdict, type IntelSgxCollateral } from '../sgx/collateral.js';
import { SgxVerificationError, earliest, type CertificateValidity, type SgxVerificationStep } from '../sgx/pck-chain.js';
import { verifySgxQuote } from '../sgx/verify-quote.js';
import { QUOTE_VERSION_3, QuoteFormatError, parseSgxQuote, toHex, unwrapOpenEnclaveReport, type SgxQuote } from '../sgx/quote.js';
import { DerError, TAG_OCTET_STRING, readExtensions, readTlv } from '../util/der.js';
import { maaKeyId } from './maa-kid.js';

/** Extension carrying the quote in current certificates (every one seen from 2022 to 2024). */
export const MAA_QUOTE_EXTENSION_OID = '1.3.6.1.4.1.311.105.1';
/** Extension carrying the quote in the 2020 certificate format. */
export const MAA_QUOTE_EXTENSION_OID_2020 = '1.2.840.113556.10.1.1';

/**
 * The MRSIGNER values MAA's own enclave has been seen with. It changed once, in 2021: pinning one value
 * alone breaks when it changes again, so pin a list and expect to update it.
 */
export const MAA_MRSIGNERS = {
  /** In every certificate seen from November 2021 to 2024. */
  since2021: '74ba5fba208571cf99e1f7158e6536a05bbb6ce7807eef8f6a97f64a7af64b83',
  /**
   * In the 2020-format certificate (UK South, May 2020), and still in a May 2021 certificate that already
   * carries the quote under the current extension OID: the OID and the signer did not change together.
   */
  before2021: '5e5410aaf99a32e32df2a97d579e65f8310f274816ec4f34cedeeb1be410a526',
} as const;

/** The identity MAA's enclave reported in the quote inside a signing certificate. Hex is lower case. */
export interface MaaEnclaveIdentity {
  /** MRENCLAVE: the measurement of the enclave's code and initial data (64 hex). Changes with each MAA build. */
  mrenclave: string;
  /** MRSIGNER: the hash of the key that signed the enclave (64 hex). */
  mrsigner: string;
  /** ISVPRODID. */
  productId: number;
  /** ISVSVN: the enclave's security version. */
  svn: number;
  /** The SGX DEBUG attribute: the enclave's memory can be read by a debugger on its host. */
  isDebuggable: boolean;
  /** All 64 bytes of report data (128 hex). The first 32 should be the SHA-256 that also makes the `kid`. */
  reportData: string;
  /** Which extension carried the quote: `MAA_QUOTE_EXTENSION_OID` or `MAA_QUOTE_EXTENSION_OID_2020`. */
  extensionOid: string;
}

function invalid(message: string, cause?: unknown): AttestationError {
  return new AttestationError('ERR_KEY_INVALID', message, cause === undefined ? undefined : { cause });
}

/** Unwraps the 2020 format: the extnValue holds one DER OCTET STRING, and it holds the quote. */
function unwrapOctetString(value: Uint8Array): Uint8Array {
  const inner = readTlv(value, 0);
  if (inner.tag !== TAG_OCTET_STRING || inner.end !== value.length) {
    throw invalid('2020-format MAA enclave quote extension is not a single OCTET STRING');
  }
  return value.subarray(inner.contentStart, inner.end);
}

function identityOf(quote: SgxQuote, extensionOid: string): MaaEnclaveIdentity {
  const { body } = quote;
  return {
    mrenclave: toHex(body.mrenclave),
    mrsigner: toHex(body.mrsigner),
    productId: body.isvProdId,
    svn: body.isvSvn,
    isDebuggable: body.isDebuggable,
    reportData: toHex(body.reportData),
    extensionOid,
  };
}

function decodeBase64Der(certificateBase64Der: string): Buffer {
  // Buffer.from skips characters that are not base64, so only a round trip proves the text was canonical.
  const der = Buffer.from(certificateBase64Der, 'base64');
  if (der.length === 0 || der.toString('base64') !== certificateBase64Der) {
    throw invalid('certificate is not standard base64 DER');
  }
  return der;
}

/** The parsed quote of an MAA signing certificate, with the extension that carried it. */
export interface MaaCertificateQuote {
  readonly quote: SgxQuote;
  readonly identity: MaaEnclaveIdentity;
}

/**
 * Reads the quote in an MAA signing certificate (one `x5c` entry: standard base64 of a DER certificate),
 * in either the 2021 or the 2020 format, parsed strictly (quote version 3). Nothing is verified here.
 *
 * Throws `AttestationError('ERR_KEY_INVALID')` when the certificate carries no quote (the "Microsoft Azure
 * Attestation 20xx" chain certificates, any certificate not made by MAA) or anything in it is malformed.
 * Never throws anything else, whatever the input.
 */
export function readMaaCertificateQuote(certificateBase64Der: string): MaaCertificateQuote {
  if (typeof certificateBase64Der !== 'string') throw invalid('certificate is not a string');
  const der = decodeBase64Der(certificateBase64Der);
  try {
    const found = readExtensions(der).filter(
      (extension) => extension.oid === MAA_QUOTE_EXTENSION_OID || extension.oid === MAA_QUOTE_EXTENSION_OID_2020,
    );
    const [extension] = found;
    if (extension === undefined) throw invalid('certificate carries no MAA enclave quote extension');
    // Two quotes could name two enclaves; there is no rule for which to believe.
    if (found.length > 1) throw invalid('certificate carries more than one MAA enclave quote extension');
    const quoteBytes =
      extension.oid === MAA_QUOTE_EXTENSION_OID ? unwrapOpenEnclaveReport(extension.value) : unwrapOctetString(extension.value);
    // MAA's enclave is attested by DCAP's quoting library in its version-3 format, the only one it has
    // produced; checked before parsing so a version-4 reading of version-3 bytes is never attempted.
    const version = quoteBytes.length >= 2 ? (quoteBytes[0] ?? 0) | ((quoteBytes[1] ?? 0) << 8) : undefined;
    if (version !== undefined && version !== QUOTE_VERSION_3)
      throw invalid(`unsupported SGX quote version ${version} in an MAA certificate`);
    const quote = parseSgxQuote(quoteBytes);
    return { quote, identity: identityOf(quote, extension.oid) };
  } catch (error) {
    if (error instanceof DerError) throw invalid(`certificate DER is malformed: ${error.message}`, error);
    if (error instanceof QuoteFormatError) throw invalid(`MAA enclave quote is malformed: ${error.message}`, error);
    throw error;
  }
}

/** MAA's enclave identity from one `x5c` entry, without verifying anything (see `readMaaCertificateQuote`). */
export function readMaaEnclaveIdentity(certificateBase64Der: string): MaaEnclaveIdentity {
  return readMaaCertificateQuote(certificateBase64Der).identity;
}

/**
 * Checks that the quote vouches for this key: report data bytes 0..31 must be SHA-256 of the key's SPKI PEM
 * text plus one NUL byte, and `kid` must be the standard base64 of that same hash (as MAA names its keys).
 * Returns why not, or undefined when both hold.
 */
export function checkQuoteBindsKey(identity: MaaEnclaveIdentity, publicKey: KeyObject, kid: string): string | undefined {
  const expectedKid = maaKeyId(publicKey);
  const expectedHash = Buffer.from(expectedKid, 'base64').toString('hex');
  if (identity.reportData.slice(0, 64).toLowerCase() !== expectedHash) {
    return "the MAA enclave quote's report data does not hash the certificate's public key";
  }
  if (kid !== expectedKid) return `kid ${quote(kid)} is not the hash of the certificate's public key`;
  return undefined;
}

/** What a relying party requires of the MAA enclave behind a signing key. Absent fields are not checked. */
export interface SignerPin {
  /** Accepted MRSIGNER values (hex, any case). An empty list accepts none. See `MAA_MRSIGNERS`. */
  mrsigner?: readonly string[];
  /** Accepted MRENCLAVE values (hex, any case). An empty list accepts none. MAA rebuilds often: pin with care. */
  mrenclave?: readonly string[];
  /** Lowest accepted ISVSVN. */
  minSvn?: number;
  /**
   * Accept a debuggable MAA enclave. Default false. Note: the certificates MAA served from 2020 to mid-2022
   * carry the DEBUG attribute (every such certificate in the fixtures); those from October 2022 on do not.
   */
  allowDebug?: boolean;
  /**
   * Intel's collateral for the platforms MAA runs on, fetched by you from Intel's Provisioning Certification
   * Service (this library never contacts Intel). With it, each key's quote also gets its TCB level, its
   * Quoting Enclave identity and revocation checked; without it they are NOT checked (`keyStatus()` says so).
   */
  collateral?: IntelSgxCollateral;
}

function listed(value: string, allowed: readonly string[]): boolean {
  return allowed.some((entry) => entry.toLowerCase() === value.toLowerCase());
}

/** Returns why the identity does not satisfy the pin, or undefined when it does. */
export function checkSignerPin(identity: MaaEnclaveIdentity, pin: SignerPin): string | undefined {
  if (pin.mrsigner !== undefined && !listed(identity.mrsigner, pin.mrsigner)) {
    return `MAA enclave MRSIGNER ${identity.mrsigner} is not among the ${pin.mrsigner.length} pinned values`;
  }
  if (pin.mrenclave !== undefined && !listed(identity.mrenclave, pin.mrenclave)) {
    return `MAA enclave MRENCLAVE ${identity.mrenclave} is not among the ${pin.mrenclave.length} pinned values`;
  }
  if (pin.minSvn !== undefined && !(identity.svn >= pin.minSvn)) {
    return `MAA enclave SVN ${identity.svn} is below the minimum ${pin.minSvn}`;
  }
  if (identity.isDebuggable && pin.allowDebug !== true) {
    return 'MAA enclave is debuggable (SGX DEBUG attribute set) and allowDebug is not set';
  }
  return undefined;
}

/** What was verified about the MAA enclave behind a signing key. */
export interface MaaEnclaveVerification {
  /** The quote's ISV and QE report signatures and its PCK chain verified up to the pinned Intel SGX Root CA key. */
  readonly verifiedToIntelRoot: true;
  /** The time the PCK chain was checked at (the verifier's `now` when the keys were loaded). */
  readonly verifiedAt: Date;
  /** Which Intel CA issued the platform's PCK certificate. */
  readonly pckIssuingCa: 'processor' | 'platform';
  readonly pckValidity: CertificateValidity;
  /** TCB level, QE identity and revocation from Intel's collateral; undefined when none was supplied: NOT checked. */
  readonly collateral: CollateralVerdict | undefined;
  /**
   * Until when this verification holds: the first notAfter of the PCK chain, and with collateral the
   * first nextUpdate or notAfter of what it rests on. Past it the key is not used (ERR_KEY_INVALID).
   */
  readonly validUntil: Date;
}

/** An MAA enclave identity whose quote verified, with what was verified. */
export interface VerifiedMaaEnclave extends MaaEnclaveIdentity {
  readonly verification: MaaEnclaveVerification;
}

/** Every step a signing key's certificate goes through with a signer pin, in order. */
export type MaaKeyCheckStep = 'quote-extension' | SgxVerificationStep | 'key-binding' | 'signer-pin';

/** Why a key failed, naming the step. */
export interface MaaKeyCheckFailure {
  readonly step: MaaKeyCheckStep;
  readonly reason: string;
}

export interface MaaKeyCheckOptions {
  /** The time certificates must be valid at. */
  readonly at: Date;
  readonly collateral?: IntelSgxCollateral | undefined;
  /** Trusted root key (SPKI SHA-256). Default Intel's; for tests. */
  readonly rootSpkiSha256?: string;
}

/**
 * Verifies the MAA enclave behind one signing key: reads the quote from `x5c[0]`, verifies it to Intel's
 * root (and against the collateral, if any), checks it binds this key and `kid`, and, given a pin, that the
 * enclave matches it. Returns the verified identity, or the first failing step and why. Never throws.
 */
export function verifyMaaSigningCertificate(
  certificateBase64Der: string,
  publicKey: KeyObject,
  kid: string,
  pin: SignerPin | undefined,
  options: MaaKeyCheckOptions,
): VerifiedMaaEnclave | MaaKeyCheckFailure {
  let read: MaaCertificateQuote;
  try {
    read = readMaaCertificateQuote(certificateBase64Der);
  } catch (error) {
    return { step: 'quote-extension', reason: `quote-extension: ${error instanceof Error ? error.message : 'unreadable quote extension'}` };
  }
  let verification: MaaEnclaveVerification;
  try {
    const { chain } = verifySgxQuote(read.quote, { at: options.at, rootSpkiSha256: options.rootSpkiSha256 });
    const collateral = options.collateral === undefined ? undefined : verifyCollateral(read.quote, chain, options.collateral, options.at);
    verification = {
      verifiedToIntelRoot: true,
      verifiedAt: options.at,
      pckIssuingCa: chain.issuingCa,
      pckValidity: chain.pckValidity,
      collateral,
      validUntil: collateral === undefined ? chain.validUntil : earliest([chain.validUntil, collateral.validUntil]),
    };
  } catch (error) {
    if (error instanceof SgxVerificationError) return { step: error.step, reason: error.message };
    return { step: 'quote-format', reason: 'the quote could not be verified' };
  }
  const unbound = checkQuoteBindsKey(read.identity, publicKey, kid);
  if (unbound !== undefined) return { step: 'key-binding', reason: `key-binding: ${unbound}` };
  const unpinned = pin === undefined ? undefined : checkSignerPin(read.identity, pin);
  if (unpinned !== undefined) return { step: 'signer-pin', reason: `signer-pin: ${unpinned}` };
  return { ...read.identity, verification };
}
