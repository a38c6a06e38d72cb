/**
 * Evidence builders: SGX DCAP quotes and Open Enclave reports with chosen measurements, byte for byte in
 * the layout `src/sgx/quote.ts` states, so a test can act as the enclave and attest against the local MAA
 * instance (with Microsoft's SDK or any other client).
 *
 * The signature section is a placeholder a real verifier refuses: the ISV report signature is genuine
 * (by a fresh P-256 attestation key, and the QE report's report data binds that key as Intel's QE does),
 * but the QE report and its signature are not the Quoting Enclave's and the PCK certificate chain is a
 * placeholder text, not certificates. The local instance does not check signatures; MAA would refuse them.
 */
import { KeyObject, createPublicKey, generateKeyPairSync, sign, type JsonWebKey } from 'node:crypto';
import {
  ATTESTATION_KEY_TYPE_ECDSA_P256,
  CERTIFICATION_DATA_TYPE,
  ECDSA_PUBLIC_KEY_SIZE,
  ECDSA_SIGNATURE_SIZE,
  HEADER_OFFSET,
  INTEL_QE_VENDOR_ID,
  OE_REPORT_HEADER_SIZE,
  OE_REPORT_HEADER_VERSION,
  OE_REPORT_TYPE_SGX_REMOTE,
  QUOTE_HEADER_SIZE,
  QUOTE_SIGNED_SIZE,
  QUOTE_VERSION_3,
  QUOTE_VERSION_4,
  REPORT_BODY_OFFSET,
  REPORT_BODY_SIZE,
  SGX_FLAGS,
  TEE_TYPE_SGX,
} from '../sgx/quote.js';
import { DEFAULT_MRENCLAVE, DEFAULT_MRSIGNER, DEFAULT_PRODUCT_ID, DEFAULT_SVN, reportDataFor } from './claims.js';

export { reportDataFor };

/** Bytes, or their hex spelling (upper or lower case). */
export type BytesLike = Uint8Array | string;

/** Fields of the enclave's report body. Unset byte fields are zero. */
export interface SgxReportOptions {
  /** MRENCLAVE, 32 bytes. Default `DEFAULT_MRENCLAVE`. */
  mrenclave?: BytesLike;
  /** MRSIGNER, 32 bytes. Default `DEFAULT_MRSIGNER`. */
  mrsigner?: BytesLike;
  /** ISVPRODID, u16. Default `DEFAULT_PRODUCT_ID`. */
  productId?: number;
  /** ISVSVN, u16. Default `DEFAULT_SVN`. */
  svn?: number;
  /** Set the DEBUG attribute: a debug enclave, whose memory the host can read. Default false. */
  debug?: boolean;
  /**
   * REPORTDATA: up to 64 bytes, zero-padded to 64. Default: `reportDataFor(runtimeData)` when
   * `runtimeData` is given, else 64 zero bytes.
   */
  reportData?: BytesLike;
  /** The runtime data the quote binds (SHA-256 in the first half of REPORTDATA); ignored when `reportData` is given. */
  runtimeData?: Uint8Array | string;
  /**
   * CONFIGID, up to 64 bytes zero-padded. Default: SHA-256 of `initTimeData` and 32 zero bytes when it is
   * given, else zero. A non-zero CONFIGID, CONFIGSVN, ISVEXTPRODID or ISVFAMILYID sets the KSS attribute
   * unless `kss` says otherwise.
   */
  configId?: BytesLike;
  /** The init-time data CONFIGID binds; ignored when `configId` is given. */
  initTimeData?: Uint8Array | string;
  /** CONFIGSVN, u16. Default 0. */
  configSvn?: number;
  /** ISVEXTPRODID, 16 bytes. */
  isvExtProdId?: BytesLike;
  /** ISVFAMILYID, 16 bytes. */
  isvFamilyId?: BytesLike;
  /** Set the KSS (Key Separation and Sharing) attribute, under which MAA issues the four fields above. */
  kss?: boolean;
  /** CPUSVN, 16 bytes. Default: the value of the recorded Azure quotes. */
  cpuSvn?: BytesLike;
  /** MISCSELECT, u32. Default 0. */
  miscSelect?: number;
  /** ATTRIBUTES.XFRM, u64. Default 7 (x87, SSE, AVX), as the recorded Azure quotes. */
  xfrm?: bigint;
}

/** Options of `createSgxQuote`: the report body, and the quote header. */
export interface SgxQuoteOptions extends SgxReportOptions {
  /** Quote format version, 3 or 4. Default 3, what Azure's DCAP quote provider produces. */
  version?: 3 | 4;
  /** QE SVN in the header. Default 5, as the recorded quotes. */
  qeSvn?: number;
  /** PCE SVN in the header. Default 10, as the recorded quotes. */
  pceSvn?: number;
  /** The attestation key that signs header ‖ report body (a P-256 private key). Default: a fresh key. */
  attestationKey?: KeyObject;
}

// From the recorded Azure quotes (test/fixtures/maa/recordings), so built quotes look like real ones.
const RECORDED_CPU_SVN = '11110305ff8006000000000000000000';
const DEFAULT_QE_SVN = 5;
const DEFAULT_PCE_SVN = 10;
const DEFAULT_XFRM = 7n;
const QE_AUTHENTICATION_DATA_SIZE = 32;
/** Placeholder certification data: where the PCK certificate chain (PEM) would be. */
const PLACEHOLDER_CERTIFICATION = Buffer.from('attestation-gate test quote: no PCK certificate chain\0', 'utf8');

function bytesOf(value: BytesLike, name: string, maxLength: number, exact: boolean): Buffer {
  let bytes: Buffer;
  if (typeof value === 'string') {
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(value)) throw new TypeError(`${name} must be hex or bytes`);
    bytes = Buffer.from(value, 'hex');
  } else if (value instanceof Uint8Array) {
    bytes = Buffer.from(value);
  } else {
    throw new TypeError(`${name} must be hex or bytes`);
  }
  if (exact ? bytes.length !== maxLength : bytes.length > maxLength) {
    throw new RangeError(`${name} must be ${exact ? '' : 'at most '}${maxLength} bytes, not ${bytes.length}`);
  }
  return bytes;
}

function uint(value: number | undefined, name: string, fallback: number, max: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < 0 || result > max) throw new RangeError(`${name} must be an integer from 0 to ${max}`);
  return result;
}

/** Builds the 384-byte SGX report body (sgx_report_body_t) of an enclave. */
export function createSgxReportBody(options: SgxReportOptions = {}): Uint8Array {
  const body = Buffer.alloc(REPORT_BODY_SIZE);
  const at = REPORT_BODY_OFFSET;
  const put = (value: BytesLike | undefined, name: string, offset: number, size: number, exact = false): boolean => {
    if (value === undefined) return false;
    const bytes = bytesOf(value, name, size, exact);
    bytes.copy(body, offset);
    return bytes.some((byte) => byte !== 0);
  };
  put(options.cpuSvn ?? RECORDED_CPU_SVN, 'cpuSvn', at.cpuSvn, 16, true);
  body.writeUInt32LE(uint(options.miscSelect, 'miscSelect', 0, 0xffff_ffff), at.miscSelect);
  put(options.mrenclave ?? DEFAULT_MRENCLAVE, 'mrenclave', at.mrenclave, 32, true);
  put(options.mrsigner ?? DEFAULT_MRSIGNER, 'mrsigner', at.mrsigner, 32, true);
  body.writeUInt16LE(uint(options.productId, 'productId', DEFAULT_PRODUCT_ID, 0xffff), at.isvProdId);
  body.writeUInt16LE(uint(options.svn, 'svn', DEFAULT_SVN, 0xffff), at.isvSvn);
  const configSvn = uint(options.configSvn, 'configSvn', 0, 0xffff);
  body.writeUInt16LE(configSvn, at.configSvn);
  const reportData = options.reportData ?? (options.runtimeData === undefined ? undefined : reportDataFor(options.runtimeData));
  put(reportData, 'reportData', at.reportData, 64);
  const configId = options.configId ?? (options.initTimeData === undefined ? undefined : reportDataFor(options.initTimeData));
  const kssFields = [
    put(configId, 'configId', at.configId, 64),
    put(options.isvExtProdId, 'isvExtProdId', at.isvExtProdId, 16, true),
    put(options.isvFamilyId, 'isvFamilyId', at.isvFamilyId, 16, true),
    configSvn !== 0,
  ];
  let flags = SGX_FLAGS.initted | SGX_FLAGS.mode64bit;
  if (options.debug === true) flags |= SGX_FLAGS.debug;
  if (options.kss ?? kssFields.some(Boolean)) flags |= SGX_FLAGS.kss;
  body.writeBigUInt64LE(flags, at.attributes);
  const xfrm = options.xfrm ?? DEFAULT_XFRM;
  if (typeof xfrm !== 'bigint' || xfrm < 0n || xfrm > 0xffff_ffff_ffff_ffffn) throw new RangeError('xfrm must be a u64 bigint');
  body.writeBigUInt64LE(xfrm, at.attributes + 8);
  return body;
}

function quoteHeader(version: 3 | 4, qeSvn: number, pceSvn: number): Buffer {
  const header = Buffer.alloc(QUOTE_HEADER_SIZE);
  header.writeUInt16LE(version, HEADER_OFFSET.version);
  header.writeUInt16LE(ATTESTATION_KEY_TYPE_ECDSA_P256, HEADER_OFFSET.attestationKeyType);
  header.writeUInt32LE(TEE_TYPE_SGX, HEADER_OFFSET.teeType);
  header.writeUInt16LE(qeSvn, HEADER_OFFSET.qeSvn);
  header.writeUInt16LE(pceSvn, HEADER_OFFSET.pceSvn);
  Buffer.from(INTEL_QE_VENDOR_ID, 'hex').copy(header, HEADER_OFFSET.qeVendorId);
  return header;
}

function certificationData(type: number, data: Uint8Array): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt16LE(type, 0);
  head.writeUInt32LE(data.length, 2);
  return Buffer.concat([head, data]);
}

/** The P-256 public key as x ‖ y, 64 bytes (how a quote carries the attestation key). */
function rawPublicKey(privateKey: KeyObject): Buffer {
  const { x, y } = createPublicKey(privateKey).export({ format: 'jwk' });
  return Buffer.concat([Buffer.from(x ?? '', 'base64url'), Buffer.from(y ?? '', 'base64url')]);
}

/** Quoting Enclave section: QE report (binding the attestation key), placeholder signature, auth data, certification data. */
function qeSection(attestationKey: Buffer): Buffer {
  const authenticationData = Buffer.alloc(QE_AUTHENTICATION_DATA_SIZE);
  // As Intel's QE: REPORTDATA = SHA-256(attestation key ‖ QE authentication data), then 32 zero bytes.
  const qeReport = Buffer.from(
    createSgxReportBody({
      mrenclave: '00'.repeat(32),
      mrsigner: '00'.repeat(32),
      productId: 1,
      svn: DEFAULT_QE_SVN,
      reportData: reportDataFor(Buffer.concat([attestationKey, authenticationData])),
    }),
  );
  const authSize = Buffer.alloc(2);
  authSize.writeUInt16LE(authenticationData.length);
  return Buffer.concat([
    qeReport,
    Buffer.alloc(ECDSA_SIGNATURE_SIZE), // QE report signature by the PCK key: a placeholder
    authSize,
    authenticationData,
    certificationData(CERTIFICATION_DATA_TYPE.pckCertificateChain, PLACEHOLDER_CERTIFICATION),
  ]);
}

/**
 * Builds an SGX ECDSA (DCAP) quote, version 3 or 4, of an enclave with the given measurements: what an
 * enclave's quote provider returns, ready to post to `/attest/SgxEnclave` (see the module comment for
 * what its signature section holds).
 */
export function createSgxQuote(options: SgxQuoteOptions = {}): Uint8Array {
  const version = options.version ?? QUOTE_VERSION_3;
  if (version !== QUOTE_VERSION_3 && version !== QUOTE_VERSION_4) throw new RangeError('version must be 3 or 4');
  const key = options.attestationKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  if (key.type !== 'private' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError('attestationKey must be a P-256 private key');
  }
  const signed = Buffer.concat([
    quoteHeader(version, uint(options.qeSvn, 'qeSvn', DEFAULT_QE_SVN, 0xffff), uint(options.pceSvn, 'pceSvn', DEFAULT_PCE_SVN, 0xffff)),
    createSgxReportBody(options),
  ]);
  const isvSignature = sign('sha256', signed, { key, dsaEncoding: 'ieee-p1363' });
  const attestationKey = rawPublicKey(key);
  const qe = qeSection(attestationKey);
  const signatureData = Buffer.concat([
    isvSignature,
    attestationKey,
    version === QUOTE_VERSION_3 ? qe : certificationData(CERTIFICATION_DATA_TYPE.qeReportCertificationData, qe),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(signatureData.length);
  if (signed.length !== QUOTE_SIGNED_SIZE || attestationKey.length !== ECDSA_PUBLIC_KEY_SIZE) throw new Error('quote layout mismatch');
  return Buffer.concat([signed, length, signatureData]);
}

/**
 * Builds an Open Enclave report ("SGX remote" evidence): the 16-byte header and `createSgxQuote(options)`,
 * ready to post to `/attest/OpenEnclave`.
 */
export function createOpenEnclaveReport(options: SgxQuoteOptions = {}): Uint8Array {
  const quote = createSgxQuote(options);
  const header = Buffer.alloc(OE_REPORT_HEADER_SIZE);
  header.writeUInt32LE(OE_REPORT_HEADER_VERSION, 0);
  header.writeUInt32LE(OE_REPORT_TYPE_SGX_REMOTE, 4);
  header.writeBigUInt64LE(BigInt(quote.length), 8);
  return Buffer.concat([header, quote]);
}

/** Options of `createBindingRuntimeData`. */
export interface BindingRuntimeDataOptions {
  /** The challenge nonce the relying party issued (`createChallengeStore().issue()`). */
  nonce: string;
  /** The enclave's public key (a private key gives its public half), or a public JWK. */
  publicKey: KeyObject | JsonWebKey;
  /** The JSON member that carries the nonce; the relying party's `binding.nonceField`. Default `nonce`. */
  nonceField?: string;
}

/**
 * Runtime data that binds an attestation to a relying party's challenge and to the enclave's key, as the
 * binding feature reads it: the UTF-8 JSON text `{"<nonceField>": nonce, "jwk": <public JWK>}`. Send it
 * as Binary runtime data (it then appears as `x-ms-sgx-ehd`, and `attestation.runtimeKey` is the key) and
 * build the quote with `runtimeData` set to it, so the report data binds it.
 */
export function createBindingRuntimeData(options: BindingRuntimeDataOptions): Uint8Array {
  const { nonce, publicKey } = options;
  const nonceField = options.nonceField ?? 'nonce';
  if (typeof nonce !== 'string' || nonce === '') throw new TypeError('nonce must be a non-empty string');
  if (typeof nonceField !== 'string' || nonceField === '' || nonceField === 'jwk')
    throw new TypeError('nonceField must be a name other than "jwk"');
  let key: KeyObject;
  try {
    key =
      publicKey instanceof KeyObject
        ? publicKey.type === 'private'
          ? createPublicKey(publicKey)
          : publicKey
        : createPublicKey({ key: publicOnly(publicKey), format: 'jwk' });
  } catch (error) {
    throw new TypeError(`publicKey is not a usable key: ${(error as Error).message}`);
  }
  if (key.type === 'secret') throw new TypeError('publicKey must be an asymmetric key');
  return Buffer.from(JSON.stringify({ [nonceField]: nonce, jwk: key.export({ format: 'jwk' }) }), 'utf8');
}

// A JWK with private members must not leak them into runtime data the whole world can read in the token.
function publicOnly(jwk: JsonWebKey): JsonWebKey {
  const { kty, crv, x, y, n, e } = jwk;
  return kty === 'RSA' ? { kty, n, e } : { kty, crv, x, ...(y === undefined ? {} : { y }) };
}
