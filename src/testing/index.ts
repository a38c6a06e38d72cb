/**
 * `attestation-gate/testing`: a local Microsoft Azure Attestation instance for the tests of relying parties.
 *
 * ```ts
 * const maa = await createTestAttestationService();
 * const token = maa.mint({ 'x-ms-sgx-svn': 3 });
 * // configure the verifier with maa.issuer, verify token …
 * await maa.close();
 * ```
 */
export {
  createTestAttestationService,
  TestAttestationService,
  type RequestCounters,
  type TestAttestationServiceOptions,
} from './service.js';
export type { AddKeyOptions, TestJwk, TestJwks } from './keys.js';
export type { MintAlgorithm, MintOptions } from './minting.js';
export type { Fault, FaultRoute } from './faults.js';
export {
  ATTEST_API_VERSIONS,
  type AttestApiVersion,
  type EvidenceType,
  type InstancePolicy,
  type InstancePolicyContext,
  type InstancePolicyResult,
} from './attestation.js';
export { MAX_ATTEST_BODY_BYTES } from './attest-route.js';
export {
  DEFAULT_COLLATERAL,
  DEFAULT_LAUNCH_MEASUREMENT,
  DEFAULT_MRENCLAVE,
  DEFAULT_MRTD,
  DEFAULT_MRSIGNER,
  DEFAULT_POLICY_HASH,
  DEFAULT_POLICY_HASHES,
  DEFAULT_POLICY_TEXT,
  DEFAULT_PRODUCT_ID,
  DEFAULT_REPORT_DATA,
  DEFAULT_SVN,
  DEFAULT_TCB_IDENTIFIER,
  LEGACY_CLAIM_ALIASES,
  defaultClaims,
  defaultSgxClaims,
  mergeClaims,
  policyHash,
  runtimeDataClaims,
  userDataFor,
  type DefaultSgxClaims,
  type LegacyPolicyClaims,
  type MintType,
  type RuntimeDataClaims,
  type SgxCollateral,
} from './claims.js';
export {
  MAA_CERTIFICATE_NOT_AFTER,
  MAA_CERTIFICATE_NOT_BEFORE,
  createSelfSignedCertificate,
  type CertificateExtension,
  type SelfSignedCertificate,
  type SelfSignedCertificateOptions,
} from './certificate.js';
export { certificateToPem, maaKeyId } from '../keys/maa-kid.js';
export {
  createBindingRuntimeData,
  createOpenEnclaveReport,
  createSgxQuote,
  createSgxReportBody,
  reportDataFor,
  type BindingRuntimeDataOptions,
  type BytesLike,
  type SgxQuoteOptions,
  type SgxReportOptions,
} from './evidence.js';
