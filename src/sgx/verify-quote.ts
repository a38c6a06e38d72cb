/**
 * Verifies an SGX DCAP quote offline, from nothing but the quote and the pinned Intel root key:
 *
 * 1. `quote-format`: parsed strictly and bounded (quote.ts).
 * 2. `isv-report-signature`: the attestation key signed header ‖ report body.
 * 3. `qe-report-data`: the Quoting Enclave's report data is SHA-256(attestation key ‖ QE authentication
 *    data) followed by 32 zero bytes, so the QE vouches for that attestation key.
 * 4. `pck-chain`: the PCK certificate chain in the certification data verifies up to Intel's root.
 * 5. `qe-report-signature`: the PCK key (held by the platform's Provisioning Certification Enclave) signed
 *    the QE report.
 * 6. `qe-identity`: that QE is Intel's: Intel's QE vendor id in the header, and a QE report with Intel's
 *    MRSIGNER and ISVPRODID 1, not debuggable. Without it the chain proves little: the PCE signs the report
 *    of any enclave with the PROVISIONKEY attribute, which the owner of a machine with flexible launch
 *    control can run, and such a "QE" would sign any ISV report it likes. (Collateral's QE identity checks
 *    the same fields and Intel's current TCB levels on top.)
 *
 * With Intel's collateral supplied (collateral.ts) the TCB level, the QE identity and revocation are
 * checked too; without it they are not, and the result says so.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { CERTIFICATION_DATA_TYPE, INTEL_QE_VENDOR_ID, QuoteFormatError, parseSgxQuote, toHex, type SgxQuote } from './quote.js';
import { SgxVerificationError, splitPemChain, verifyPckChain, type VerifiedPckChain } from './pck-chain.js';

/**
 * Intel's Quoting Enclave: the MRSIGNER of Intel's enclave-signing key and the QE's product id, as Intel's
 * published QE identity (PCS `/sgx/certification/v4/qe/identity`, `mrsigner`, `isvprodid`) states them and
 * as the QE report of every real quote in MAA's certificates (2020–2024) carries them.
 */
export const INTEL_QE_MRSIGNER = '8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff';
export const INTEL_QE_PRODUCT_ID = 1;

export interface QuoteVerificationOptions {
  /** The time certificates must be valid at. */
  readonly at: Date;
  /** SPKI SHA-256 of the trusted root key. Default: Intel's (`INTEL_SGX_ROOT_CA_SPKI_SHA256`). For tests. */
  readonly rootSpkiSha256?: string;
}

export interface VerifiedSgxQuote {
  readonly quote: SgxQuote;
  readonly chain: VerifiedPckChain;
}

/** An ECDSA P-256 public key from the quote's raw x ‖ y form. */
function p256KeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 64) throw new TypeError('a raw P-256 key is 64 bytes');
  const x = Buffer.from(raw.subarray(0, 32)).toString('base64url');
  const y = Buffer.from(raw.subarray(32)).toString('base64url');
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' });
}

/** ECDSA P-256 / SHA-256 over `data` with a raw r ‖ s signature, as SGX writes them. */
export function verifyP256(data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  try {
    return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** Parses (if given bytes) and verifies a quote; throws SgxVerificationError naming the failed step. */
export function verifySgxQuote(input: Uint8Array | SgxQuote, options: QuoteVerificationOptions): VerifiedSgxQuote {
  let quote: SgxQuote;
  if (input instanceof Uint8Array) {
    try {
      quote = parseSgxQuote(input);
    } catch (error) {
      if (error instanceof QuoteFormatError) throw new SgxVerificationError('quote-format', error.message, { cause: error });
      throw error;
    }
  } else {
    quote = input;
  }
  const { signatureData } = quote;

  let attestationKey: KeyObject;
  try {
    attestationKey = p256KeyFromRaw(signatureData.attestationKey);
  } catch (cause) {
    throw new SgxVerificationError('isv-report-signature', 'the attestation key is not a P-256 public key', { cause });
  }
  if (!verifyP256(quote.signedBytes, attestationKey, signatureData.isvReportSignature)) {
    throw new SgxVerificationError('isv-report-signature', 'the ISV report signature does not verify with the attestation key');
  }

  const expected = createHash('sha256').update(signatureData.attestationKey).update(signatureData.qeAuthenticationData).digest();
  const reportData = signatureData.qeReport.reportData;
  if (!expected.equals(reportData.subarray(0, 32)) || reportData.subarray(32).some((byte) => byte !== 0)) {
    throw new SgxVerificationError('qe-report-data', 'the QE report data does not bind the attestation key and the QE authentication data');
  }

  const { certificationData } = signatureData;
  if (certificationData.type !== CERTIFICATION_DATA_TYPE.pckCertificateChain) {
    throw new SgxVerificationError(
      'pck-chain',
      `certification data of type ${certificationData.type} is not a PCK certificate chain (type 5)`,
    );
  }
  const text = Buffer.from(certificationData.data.buffer, certificationData.data.byteOffset, certificationData.data.byteLength).toString(
    'latin1',
  );
  const chain = verifyPckChain(splitPemChain(text), options.at, options.rootSpkiSha256);

  if (!verifyP256(signatureData.qeReport.bytes, chain.pck.publicKey, signatureData.qeReportSignature)) {
    throw new SgxVerificationError('qe-report-signature', "the QE report signature does not verify with the PCK certificate's key");
  }

  const qe = signatureData.qeReport;
  if (toHex(quote.header.qeVendorId) !== INTEL_QE_VENDOR_ID)
    throw new SgxVerificationError('qe-identity', "the quote's QE vendor is not Intel");
  if (toHex(qe.mrsigner) !== INTEL_QE_MRSIGNER || qe.isvProdId !== INTEL_QE_PRODUCT_ID || qe.isDebuggable) {
    throw new SgxVerificationError('qe-identity', "the quoting enclave is not Intel's (its MRSIGNER, ISVPRODID 1, not debuggable)");
  }
  return { quote, chain };
}
