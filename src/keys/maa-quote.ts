/**
 * MAA's own enclave identity, read from the SGX quote embedded in each of its token-signing certificates.
 *
 * What this does NOT do: verify the quote's ECDSA signature or its Intel PCK chain (that needs Intel's
 * collateral: TCB info, QE identity, CRLs). The identity read here is only as trustworthy as the channel
 * the certificate came over, i.e. TLS to the issuer's `/certs`. What it does give a relying party: a key
 * whose quote does not bind it, or that names an unexpected or debug MAA enclave, can be refused without
 * further ado, and the MAA enclave behind a key can be logged and pinned.
 *
 * Layouts, as found in real MAA certificates (2020–2024):
 *
 * - Extension `1.3.6.1.4.1.311.105.1` (all seen 2022–2024): extnValue contents = a 16-byte Open Enclave
 *   report header (version u32 LE = 1, type u32 LE = 2 "SGX remote", size u64 LE = bytes that follow), then
 *   the quote.
 * - Extension `1.2.840.113556.10.1.1` (the 2020 format): extnValue contents = a DER OCTET STRING whose
 *   contents are the quote itself, with no Open Enclave header.
 *
 * The quote is an SGX ECDSA quote v3: a 48-byte header (version u16 LE = 3, attestation key type u16,
 * reserved u32, QE SVN u16, PCE SVN u16, QE vendor id[16], user data[20]), the 384-byte report body of the
 * MAA enclave, then signature data length u32 LE and the signature data.
 */
import type { KeyObject } from 'node:crypto';
import { AttestationError, quote } from '../errors.js';
import { DerError, TAG_OCTET_STRING, readExtensions, readTlv } from './der.js';
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
  /** In every certificate seen from 2022 to 2024 (the change is dated July 2021). */
  since2021: '74ba5fba208571cf99e1f7158e6536a05bbb6ce7807eef8f6a97f64a7af64b83',
  /** In the 2020-format certificate (UK South, May 2020). */
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

const OE_HEADER_SIZE = 16;
const OE_HEADER_VERSION = 1;
const OE_REPORT_TYPE_SGX_REMOTE = 2;

const QUOTE_VERSION = 3;
const QUOTE_HEADER_SIZE = 48;
const REPORT_BODY_SIZE = 384;
// Header, report body and the u32 signature-data length: the least a quote can be.
const QUOTE_MIN_SIZE = QUOTE_HEADER_SIZE + REPORT_BODY_SIZE + 4;

// Offsets inside the report body (Intel SGX sgx_report_body_t).
const ATTRIBUTES_FLAGS = 48;
const MRENCLAVE = 64;
const MRSIGNER = 128;
const ISV_PROD_ID = 256;
const ISV_SVN = 258;
const REPORT_DATA = 320;
const SGX_FLAGS_DEBUG = 0x2;

function invalid(message: string, cause?: unknown): AttestationError {
  return new AttestationError('ERR_KEY_INVALID', message, cause === undefined ? undefined : { cause });
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function hex(bytes: Uint8Array, start: number, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('hex');
}

/** Strips the Open Enclave header (2021 format) and checks that it describes what follows. */
function unwrapOpenEnclave(value: Uint8Array): Uint8Array {
  if (value.length < OE_HEADER_SIZE) throw invalid('MAA enclave quote extension is shorter than its Open Enclave header');
  const header = view(value);
  const version = header.getUint32(0, true);
  const type = header.getUint32(4, true);
  const sizeLow = header.getUint32(8, true);
  const sizeHigh = header.getUint32(12, true);
  if (version !== OE_HEADER_VERSION) throw invalid(`unsupported Open Enclave report header version ${version}`);
  if (type !== OE_REPORT_TYPE_SGX_REMOTE) throw invalid(`Open Enclave report type ${type} is not an SGX remote quote`);
  if (sizeHigh !== 0 || sizeLow !== value.length - OE_HEADER_SIZE) {
    throw invalid('Open Enclave report header size does not match the extension length');
  }
  return value.subarray(OE_HEADER_SIZE);
}

/** Unwraps the 2020 format: the extnValue holds one DER OCTET STRING, and it holds the quote. */
function unwrapOctetString(value: Uint8Array): Uint8Array {
  const inner = readTlv(value, 0);
  if (inner.tag !== TAG_OCTET_STRING || inner.end !== value.length) {
    throw invalid('2020-format MAA enclave quote extension is not a single OCTET STRING');
  }
  return value.subarray(inner.contentStart, inner.end);
}

function parseQuote(quoteBytes: Uint8Array, extensionOid: string): MaaEnclaveIdentity {
  if (quoteBytes.length < QUOTE_MIN_SIZE) throw invalid(`MAA enclave quote is truncated (${quoteBytes.length} bytes)`);
  const data = view(quoteBytes);
  const version = data.getUint16(0, true);
  if (version !== QUOTE_VERSION) throw invalid(`unsupported SGX quote version ${version}`);
  const signatureLength = data.getUint32(QUOTE_HEADER_SIZE + REPORT_BODY_SIZE, true);
  if (signatureLength > quoteBytes.length - QUOTE_MIN_SIZE) {
    throw invalid('SGX quote signature data runs past the end of the quote');
  }

  const body = quoteBytes.subarray(QUOTE_HEADER_SIZE, QUOTE_HEADER_SIZE + REPORT_BODY_SIZE);
  const report = view(body);
  // ATTRIBUTES.FLAGS is a u64; DEBUG sits in its low byte.
  const flags = report.getUint32(ATTRIBUTES_FLAGS, true);
  return {
    mrenclave: hex(body, MRENCLAVE, 32),
    mrsigner: hex(body, MRSIGNER, 32),
    productId: report.getUint16(ISV_PROD_ID, true),
    svn: report.getUint16(ISV_SVN, true),
    isDebuggable: (flags & SGX_FLAGS_DEBUG) !== 0,
    reportData: hex(body, REPORT_DATA, 64),
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

/**
 * Reads MAA's enclave identity from one `x5c` entry (standard base64 of a DER certificate): the quote in
 * the certificate's MAA extension, in either the 2021 or the 2020 format.
 *
 * Throws `AttestationError('ERR_KEY_INVALID')` when the certificate carries no quote (the "Microsoft Azure
 * Attestation 20xx" chain certificates, any certificate not made by MAA) or anything in it is malformed.
 * Never throws anything else, whatever the input.
 */
export function readMaaEnclaveIdentity(certificateBase64Der: string): MaaEnclaveIdentity {
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
      extension.oid === MAA_QUOTE_EXTENSION_OID ? unwrapOpenEnclave(extension.value) : unwrapOctetString(extension.value);
    return parseQuote(quoteBytes, extension.oid);
  } catch (error) {
    if (error instanceof DerError) throw invalid(`certificate DER is malformed: ${error.message}`, error);
    throw error;
  }
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
   * Accept a debuggable MAA enclave. Default false. Note: the certificates MAA served in 2020–2022 all carry
   * the DEBUG attribute (seen in every such certificate in the fixtures); those from 2024 do not.
   */
  allowDebug?: boolean;
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
