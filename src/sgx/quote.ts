/**
 * The byte layout of Intel SGX ECDSA (DCAP) quotes and Open Enclave reports, stated once, and a strict
 * parser for them. Everything here reads bytes an attacker may have written (a signing certificate on the
 * metadata path, an attest request to the local MAA instance), so every length is checked against its
 * container before use, the parser only moves forward through a bounded buffer, and the only error it
 * throws is `QuoteFormatError`; callers turn that into their own stable codes.
 *
 * Why hand-written: no maintained npm package parses DCAP quotes (Intel's and Microsoft's parsers are C and
 * C++); the layout is a few fixed-size structures.
 *
 * Layout (Intel SGX ECDSA Quote Library API, "Quote Format"; little-endian):
 *
 * - Quote header, 48 bytes: version u16 (3, or 4), attestation key type u16 (2 = ECDSA-256 with P-256),
 *   reserved u32 in version 3 / TEE type u32 in version 4 (0 = SGX), QE SVN u16, PCE SVN u16,
 *   QE vendor id [16], user data [20].
 * - ISV enclave report body, 384 bytes (sgx_report_body_t).
 * - Signature data length u32, then the signature data:
 *   - version 3: ISV report signature [64] (ECDSA r‖s over header ‖ report body), attestation public key
 *     [64] (P-256 x‖y), QE report body [384], QE report signature [64] (by the PCK key over the QE report
 *     body), QE authentication data (size u16, data), certification data (type u16, size u32, data;
 *     type 5 = the PCK certificate chain as concatenated PEM).
 *   - version 4: ISV report signature [64], attestation public key [64], then certification data of type 6
 *     whose data is: QE report body [384], QE report signature [64], QE authentication data (size u16,
 *     data), and the nested certification data (type u16, size u32, data).
 * - An Open Enclave report ("SGX remote" evidence, and the quote extension of MAA's signing certificates
 *   since 2021) is a 16-byte header (version u32 = 1, report type u32 = 2, size u64 of what follows) and
 *   then the quote.
 */

import { OffsetError } from '../util/offset-error.js';

/** Thrown for any input this parser cannot accept. `offset` is where in the buffer the problem was found. */
export class QuoteFormatError extends OffsetError {
  override readonly name = 'QuoteFormatError';
}

/** Sizes of the fixed structures, in bytes. */
export const QUOTE_HEADER_SIZE = 48;
export const REPORT_BODY_SIZE = 384;
export const ECDSA_SIGNATURE_SIZE = 64;
export const ECDSA_PUBLIC_KEY_SIZE = 64;
/** Header and report body: the bytes the ISV report signature covers. */
export const QUOTE_SIGNED_SIZE = QUOTE_HEADER_SIZE + REPORT_BODY_SIZE;
/** The least a quote can be: header, report body, and the u32 signature-data length. */
export const QUOTE_MIN_SIZE = QUOTE_SIGNED_SIZE + 4;
/**
 * The most this parser reads. Real quotes are 4–6 KiB (almost all of it the PEM chain); the bound keeps a
 * hostile length field from making anything downstream allocate or hash without limit.
 */
export const QUOTE_MAX_SIZE = 64 * 1024;

/** Quote header fields. */
export const QUOTE_VERSION_3 = 3;
export const QUOTE_VERSION_4 = 4;
/** ECDSA-256-with-P-256 curve: the only attestation key type DCAP uses for SGX. */
export const ATTESTATION_KEY_TYPE_ECDSA_P256 = 2;
/** TEE type (version 4 header): SGX. TDX is 0x81 and has a different report body. */
export const TEE_TYPE_SGX = 0x00000000;
/** Intel's QE vendor id. */
export const INTEL_QE_VENDOR_ID = '939a7233f79c4ca9940a0db3957f0607';

/** Offsets inside the 48-byte quote header. */
export const HEADER_OFFSET = {
  version: 0,
  attestationKeyType: 2,
  teeType: 4,
  qeSvn: 8,
  pceSvn: 10,
  qeVendorId: 12,
  userData: 28,
} as const;

/** Offsets inside the 384-byte report body (sgx_report_body_t). */
export const REPORT_BODY_OFFSET = {
  cpuSvn: 0, // [16]
  miscSelect: 16, // u32
  isvExtProdId: 32, // [16]
  attributes: 48, // [16]: flags u64, then xfrm u64
  mrenclave: 64, // [32]
  mrsigner: 128, // [32]
  configId: 192, // [64]
  isvProdId: 256, // u16
  isvSvn: 258, // u16
  configSvn: 260, // u16
  isvFamilyId: 304, // [16]
  reportData: 320, // [64]
} as const;

/** Bits of ATTRIBUTES.FLAGS (the low u64 of the attributes). */
export const SGX_FLAGS = {
  initted: 0x1n,
  debug: 0x2n,
  mode64bit: 0x4n,
  provisionKey: 0x10n,
  einitTokenKey: 0x20n,
  kss: 0x80n,
} as const;

/** Certification data types (Intel's `sgx_ql_certification_data_type`). */
export const CERTIFICATION_DATA_TYPE = {
  /** Concatenated PEM: PCK certificate, its intermediate CA, the root CA. */
  pckCertificateChain: 5,
  /** Version 4: QE report certification data, wrapping the QE report and nested certification data. */
  qeReportCertificationData: 6,
} as const;

/** Open Enclave report header. */
export const OE_REPORT_HEADER_SIZE = 16;
export const OE_REPORT_HEADER_VERSION = 1;
/** `OE_REPORT_TYPE_SGX_REMOTE`: the evidence after the header is an SGX quote. */
export const OE_REPORT_TYPE_SGX_REMOTE = 2;

/** The fields of an SGX report body. Byte arrays are views into the parsed buffer. */
export interface SgxReportBody {
  /** The 384 bytes themselves (what a QE report signature covers). */
  readonly bytes: Uint8Array;
  readonly cpuSvn: Uint8Array;
  readonly miscSelect: number;
  readonly isvExtProdId: Uint8Array;
  /** All 16 attribute bytes (flags, then xfrm). */
  readonly attributes: Uint8Array;
  /** ATTRIBUTES.FLAGS as a u64. */
  readonly flags: bigint;
  /** ATTRIBUTES.XFRM as a u64. */
  readonly xfrm: bigint;
  /** The DEBUG bit of the flags: the enclave's memory can be read by a debugger on its host. */
  readonly isDebuggable: boolean;
  readonly mrenclave: Uint8Array;
  readonly mrsigner: Uint8Array;
  readonly configId: Uint8Array;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly configSvn: number;
  readonly isvFamilyId: Uint8Array;
  readonly reportData: Uint8Array;
}

export interface SgxQuoteHeader {
  readonly version: number;
  readonly attestationKeyType: number;
  /** Version 4 only; 0 (reserved) in version 3. */
  readonly teeType: number;
  readonly qeSvn: number;
  readonly pceSvn: number;
  readonly qeVendorId: Uint8Array;
  readonly userData: Uint8Array;
}

export interface CertificationData {
  readonly type: number;
  readonly data: Uint8Array;
}

export interface SgxQuoteSignatureData {
  /** ECDSA P-256 r‖s by the attestation key over `signedBytes` (header ‖ report body). */
  readonly isvReportSignature: Uint8Array;
  /** The attestation public key, P-256 x‖y (no 0x04 prefix). */
  readonly attestationKey: Uint8Array;
  /** The Quoting Enclave's report; its report data binds the attestation key and the authentication data. */
  readonly qeReport: SgxReportBody;
  /** ECDSA P-256 r‖s by the PCK certificate's key over the QE report body. */
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthenticationData: Uint8Array;
  /** The innermost certification data (for version 4, the one nested in the type-6 wrapper). */
  readonly certificationData: CertificationData;
}

export interface SgxQuote {
  /** The whole quote, exactly as long as its structures say. */
  readonly bytes: Uint8Array;
  readonly header: SgxQuoteHeader;
  readonly body: SgxReportBody;
  /** Header ‖ report body: what the ISV report signature covers. */
  readonly signedBytes: Uint8Array;
  readonly signatureData: SgxQuoteSignatureData;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A forward-only reader over a bounded buffer; every read checks the bytes are there. */
class Reader {
  private readonly data: DataView;
  position = 0;

  constructor(
    readonly bytes: Uint8Array,
    private readonly base: number,
  ) {
    this.data = view(bytes);
  }

  get remaining(): number {
    return this.bytes.length - this.position;
  }

  take(length: number, what: string): Uint8Array {
    if (length > this.remaining) {
      throw new QuoteFormatError(`${what} needs ${length} bytes, ${this.remaining} remain`, this.base + this.position);
    }
    const slice = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return slice;
  }

  u16(what: string): number {
    const at = this.position;
    this.take(2, what);
    return this.data.getUint16(at, true);
  }

  u32(what: string): number {
    const at = this.position;
    this.take(4, what);
    return this.data.getUint32(at, true);
  }

  /** The absolute offset of the next byte, for error messages. */
  get offset(): number {
    return this.base + this.position;
  }
}

/** Reads a 384-byte SGX report body. */
function parseReportBody(bytes: Uint8Array): SgxReportBody {
  if (bytes.length !== REPORT_BODY_SIZE) {
    throw new QuoteFormatError(`an SGX report body is ${REPORT_BODY_SIZE} bytes, not ${bytes.length}`, 0);
  }
  const data = view(bytes);
  const at = REPORT_BODY_OFFSET;
  const flags = data.getBigUint64(at.attributes, true);
  return {
    bytes,
    cpuSvn: bytes.subarray(at.cpuSvn, at.cpuSvn + 16),
    miscSelect: data.getUint32(at.miscSelect, true),
    isvExtProdId: bytes.subarray(at.isvExtProdId, at.isvExtProdId + 16),
    attributes: bytes.subarray(at.attributes, at.attributes + 16),
    flags,
    xfrm: data.getBigUint64(at.attributes + 8, true),
    isDebuggable: (flags & SGX_FLAGS.debug) !== 0n,
    mrenclave: bytes.subarray(at.mrenclave, at.mrenclave + 32),
    mrsigner: bytes.subarray(at.mrsigner, at.mrsigner + 32),
    configId: bytes.subarray(at.configId, at.configId + 64),
    isvProdId: data.getUint16(at.isvProdId, true),
    isvSvn: data.getUint16(at.isvSvn, true),
    configSvn: data.getUint16(at.configSvn, true),
    isvFamilyId: bytes.subarray(at.isvFamilyId, at.isvFamilyId + 16),
    reportData: bytes.subarray(at.reportData, at.reportData + 64),
  };
}

function readCertificationData(reader: Reader): CertificationData {
  const type = reader.u16('certification data type');
  const size = reader.u32('certification data size');
  return { type, data: reader.take(size, 'certification data') };
}

function readQeSection(reader: Reader, base: number): Omit<SgxQuoteSignatureData, 'isvReportSignature' | 'attestationKey'> {
  const qeReport = parseReportBody(reader.take(REPORT_BODY_SIZE, 'QE report'));
  const qeReportSignature = reader.take(ECDSA_SIGNATURE_SIZE, 'QE report signature');
  const authSize = reader.u16('QE authentication data size');
  const qeAuthenticationData = reader.take(authSize, 'QE authentication data');
  const certificationData = readCertificationData(reader);
  if (reader.remaining !== 0) {
    throw new QuoteFormatError(`${reader.remaining} bytes follow the certification data`, base + reader.position);
  }
  return { qeReport, qeReportSignature, qeAuthenticationData, certificationData };
}

function parseSignatureData(bytes: Uint8Array, version: number, base: number): SgxQuoteSignatureData {
  const reader = new Reader(bytes, base);
  const isvReportSignature = reader.take(ECDSA_SIGNATURE_SIZE, 'ISV report signature');
  const attestationKey = reader.take(ECDSA_PUBLIC_KEY_SIZE, 'attestation key');
  if (version === QUOTE_VERSION_3) {
    return { isvReportSignature, attestationKey, ...readQeSection(reader, base) };
  }
  // Version 4: the QE section is the data of a type-6 certification data wrapper.
  const outer = readCertificationData(reader);
  if (outer.type !== CERTIFICATION_DATA_TYPE.qeReportCertificationData) {
    throw new QuoteFormatError(`version 4 certification data is of type ${outer.type}, not 6`, base + 128);
  }
  if (reader.remaining !== 0) {
    throw new QuoteFormatError(`${reader.remaining} bytes follow the certification data`, reader.offset);
  }
  const inner = new Reader(outer.data, base + 128 + 6);
  return { isvReportSignature, attestationKey, ...readQeSection(inner, base + 128 + 6) };
}

/**
 * Parses an SGX ECDSA quote (version 3, or version 4 with TEE type SGX), strictly: every structure must be
 * complete, the signature data must end exactly where the quote ends (no trailing bytes), and the attestation
 * key type must be ECDSA P-256. The quote's signatures are NOT checked here.
 */
export function parseSgxQuote(bytes: Uint8Array): SgxQuote {
  if (bytes.length > QUOTE_MAX_SIZE) throw new QuoteFormatError(`a quote of ${bytes.length} bytes is over the bound`, 0);
  if (bytes.length < QUOTE_MIN_SIZE) throw new QuoteFormatError(`a quote of ${bytes.length} bytes is truncated`, 0);
  const data = view(bytes);
  const version = data.getUint16(HEADER_OFFSET.version, true);
  if (version !== QUOTE_VERSION_3 && version !== QUOTE_VERSION_4) {
    throw new QuoteFormatError(`unsupported SGX quote version ${version}`, HEADER_OFFSET.version);
  }
  const attestationKeyType = data.getUint16(HEADER_OFFSET.attestationKeyType, true);
  if (attestationKeyType !== ATTESTATION_KEY_TYPE_ECDSA_P256) {
    throw new QuoteFormatError(`attestation key type ${attestationKeyType} is not ECDSA P-256`, HEADER_OFFSET.attestationKeyType);
  }
  const teeType = data.getUint32(HEADER_OFFSET.teeType, true);
  if (version === QUOTE_VERSION_4 && teeType !== TEE_TYPE_SGX) {
    throw new QuoteFormatError(`TEE type 0x${teeType.toString(16)} is not SGX`, HEADER_OFFSET.teeType);
  }
  const header: SgxQuoteHeader = {
    version,
    attestationKeyType,
    teeType: version === QUOTE_VERSION_4 ? teeType : 0,
    qeSvn: data.getUint16(HEADER_OFFSET.qeSvn, true),
    pceSvn: data.getUint16(HEADER_OFFSET.pceSvn, true),
    qeVendorId: bytes.subarray(HEADER_OFFSET.qeVendorId, HEADER_OFFSET.qeVendorId + 16),
    userData: bytes.subarray(HEADER_OFFSET.userData, HEADER_OFFSET.userData + 20),
  };
  const signatureLength = data.getUint32(QUOTE_SIGNED_SIZE, true);
  if (signatureLength !== bytes.length - QUOTE_MIN_SIZE) {
    throw new QuoteFormatError(
      `signature data length ${signatureLength} does not match the ${bytes.length - QUOTE_MIN_SIZE} bytes that follow`,
      QUOTE_SIGNED_SIZE,
    );
  }
  return {
    bytes,
    header,
    body: parseReportBody(bytes.subarray(QUOTE_HEADER_SIZE, QUOTE_SIGNED_SIZE)),
    signedBytes: bytes.subarray(0, QUOTE_SIGNED_SIZE),
    signatureData: parseSignatureData(bytes.subarray(QUOTE_MIN_SIZE), version, QUOTE_MIN_SIZE),
  };
}

/**
 * Strips an Open Enclave report header and checks that it describes what follows: version 1, report type
 * "SGX remote", and a size equal to the bytes after the header. Returns the quote bytes (not yet parsed).
 */
export function unwrapOpenEnclaveReport(bytes: Uint8Array): Uint8Array {
  if (bytes.length < OE_REPORT_HEADER_SIZE) {
    throw new QuoteFormatError(`an Open Enclave report of ${bytes.length} bytes is shorter than its header`, 0);
  }
  const data = view(bytes);
  const version = data.getUint32(0, true);
  if (version !== OE_REPORT_HEADER_VERSION) throw new QuoteFormatError(`unsupported Open Enclave report version ${version}`, 0);
  const type = data.getUint32(4, true);
  if (type !== OE_REPORT_TYPE_SGX_REMOTE) {
    throw new QuoteFormatError(`Open Enclave report type ${type} is not an SGX remote quote`, 4);
  }
  const size = data.getBigUint64(8, true);
  if (size !== BigInt(bytes.length - OE_REPORT_HEADER_SIZE)) {
    throw new QuoteFormatError(
      `Open Enclave report header size ${size} does not match the ${bytes.length - OE_REPORT_HEADER_SIZE} bytes that follow`,
      8,
    );
  }
  return bytes.subarray(OE_REPORT_HEADER_SIZE);
}

/** Hex of a byte view, lower case (the form MAA's claims use). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
