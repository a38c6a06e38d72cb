export {
  AttestationError,
  ERROR_STATUS,
  ERROR_TABLE,
  isAttestationError,
  type AnyAttestationError,
  type AttestationErrorCode,
  type BearerError,
  type ErrorDescription,
} from './errors.js';
export { CHANNELS } from './diagnostics.js';
export { createVerifier, type Verifier, type VerifyOptions } from './verify/verifier.js';
export type { SignatureThread } from './verify/signature.js';
export { verifyAttestationToken } from './verify/one-shot.js';
export type { VerifierOptions, IssuerConfig, JsonWebKeySet } from './verify/options.js';
export type { IssuerResolver } from './verify/options.js';
export type { VerifiedAttestation } from './verify/result.js';
export type { SigningAlgorithm } from './token/header.js';
export type { EnclaveReport, KeyReport, KeyStatus } from './keys/signing-key.js';
export type { SgxClaims } from './claims/sgx.js';
export type { SevSnpClaims } from './claims/sevsnp.js';
export type { AzureVmClaims, IsolationTeeClaims } from './claims/azurevm.js';
export type { IsolationTdxClaims, TdxClaims, TdxRtmrs } from './claims/tdx.js';
export {
  compilePolicy,
  evaluatePolicy,
  PolicyDeniedError,
  type CompiledPolicy,
  type AttestationPolicy,
  type SkrPolicy,
  type ShorthandPolicy,
  type PolicyDecision,
  type PolicyFailure,
  type PolicySubject,
  type PolicyForm,
  type ResolvedFlags,
  type AuthorityBlock,
  type ClaimValue,
  type OperatorValues,
  type PolicyCondition,
  type PolicyFlags,
  type PolicyGroup,
  type PolicyOperator,
  type PolicyRule,
} from './policy/index.js';
export {
  createRequestGate,
  nodeGateRequest,
  nodeBodyMayFollow,
  type RequestGate,
  type RequestGateOptions,
  type GateRequest,
  type GateHeaders,
  type GateOutcome,
  type GateAccepted,
  type GateRefused,
  type RefusalListener,
  type NodeRequestLike,
  type NodeGateExtras,
  type RespondOptions,
} from './gate/index.js';
export {
  requireAttestation,
  getAttestation,
  extractToken,
  errorResponse,
  challengeHandler,
  type ChallengeHandlerOptions,
  type RequireAttestationOptions,
  type AttestedRequest,
  type TokenSources,
  type ErrorResponse,
  type ProblemDetails,
  type PossessionOptions,
} from './express/index.js';
export {
  createChallengeStore,
  createMemoryReplayStore,
  createRedisReplayStore,
  type ChallengeStore,
  type ChallengeStoreOptions,
  type Challenge,
  type ReplayStore,
  type MemoryReplayStoreOptions,
  type RedisReplayStoreOptions,
  type RedisClientLike,
  type BindingOptions,
  type NonceConsumer,
} from './binding/index.js';
export { MAA_MRSIGNERS, type MaaEnclaveIdentity, type MaaKeyCheckStep, type SignerPin } from './keys/maa-quote.js';
export { DEFAULT_ACCEPTED_TCB_STATUSES, type IntelSgxCollateral } from './sgx/collateral.js';
export { INTEL_SGX_ROOT_CA_SPKI_SHA256 } from './sgx/intel-root.js';
export { inspectMaaKeys, type InspectOptions, type KeyInspection } from './keys/inspect.js';
export {
  verifyRequestSignature,
  checkRequestSignature,
  createContentDigest,
  verifyContentDigest,
  DEFAULT_REQUIRED_COMPONENTS,
  SIGNATURE_ALGORITHMS,
  type SignedRequest,
  type RequestProof,
  type NonceStore,
  type VerifyRequestSignatureOptions,
  type SignatureAlgorithm as RequestSignatureAlgorithm,
  type HeaderFields,
} from './possession/index.js';
// Types named by the public signatures above, so every option and result can be named by users too
// (checked by test/package/public-types.test.ts).
export type { TokenCacheOptions } from './verify/token-cache.js';
export type { PossessionOptions as GatePossessionOptions } from './gate/types.js';
export type { RequestLike } from './express/index.js';
export type { ResponseLike } from './express/respond.js';
export type { AttestationTypeName, IsolationTeeType } from './claims/catalog.js';
export type { SgxQuote, SgxQuoteHeader, SgxQuoteSignatureData, SgxReportBody, CertificationData } from './sgx/quote.js';
export type { SgxVerificationStep } from './sgx/pck-chain.js';
