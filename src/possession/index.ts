/** Proof of possession of the attested key: RFC 9421 request signatures, checked on the relying party. */
export {
  verifyRequestSignature,
  checkRequestSignature,
  type RequestProof,
  DEFAULT_REQUIRED_COMPONENTS,
  type SignedRequest,
  type NonceStore,
  type VerifyRequestSignatureOptions,
} from './verify-request.js';
export type { HeaderFields } from './signature-base.js';
export { createContentDigest, verifyContentDigest } from './content-digest.js';
export { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from './algorithms.js';
