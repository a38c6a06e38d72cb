/** Proof of possession of the attested key: RFC 9421 request signatures, checked on the relying party. */
export {
  verifyRequestSignature,
  checkSignatureOptions,
  checkRequestSignature,
  type RequestProof,
  DEFAULT_REQUIRED_COMPONENTS,
  type SignedRequest,
  type NonceStore,
  type VerifyRequestSignatureOptions,
} from './verify-request.js';
export { REQUEST_COMPONENTS, MAX_SIGNATURE_BASE_LENGTH } from './signature-base.js';
export { createContentDigest, verifyContentDigest, DIGEST_ALGORITHMS, type DigestAlgorithm } from './content-digest.js';
export { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from './algorithms.js';
