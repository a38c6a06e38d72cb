import { constants, verify as cryptoVerify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import { AttestationError } from '../errors.js';
import type { SigningKey } from '../keys/signing-key.js';
import type { SigningAlgorithm } from '../token/header.js';

const DIGEST: Record<SigningAlgorithm, { hash: string; bytes: number; pss: boolean }> = {
  RS256: { hash: 'sha256', bytes: 32, pss: false },
  RS384: { hash: 'sha384', bytes: 48, pss: false },
  RS512: { hash: 'sha512', bytes: 64, pss: false },
  PS256: { hash: 'sha256', bytes: 32, pss: true },
  PS384: { hash: 'sha384', bytes: 48, pss: true },
  PS512: { hash: 'sha512', bytes: 64, pss: true },
};

function signatureInvalid(): AttestationError {
  return new AttestationError('ERR_SIGNATURE_INVALID', 'the token signature does not verify with the issuer key');
}

/**
 * The checks made before any RSA: the key may be restricted to another algorithm (ERR_KEY_INVALID), and an
 * RSA signature is exactly as long as the modulus, so anything else cannot verify (ERR_SIGNATURE_INVALID).
 */
function verifyInput(alg: SigningAlgorithm, key: SigningKey, signature: Uint8Array): KeyObject | VerifyKeyObjectInput {
  if (key.alg !== undefined && key.alg !== alg) {
    throw new AttestationError('ERR_KEY_INVALID', `the signing key is restricted to ${key.alg}, not ${alg}`);
  }
  if (signature.length !== Math.ceil(key.modulusBits / 8)) throw signatureInvalid();
  const digest = DIGEST[alg];
  return digest.pss ? { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digest.bytes } : key.key;
}

/**
 * Step 5 on libuv's thread pool (the callback form of `crypto.verify`): the RSA runs on another core while
 * the event loop checks the claims and serves other requests. The input checks throw synchronously, so
 * their first-failure order is the synchronous one. The promise rejects with ERR_SIGNATURE_INVALID only;
 * `signingInput` and `signature` must not change until it settles (node:crypto reads them on the pool).
 *
 * Not WebCrypto: `subtle.verify` costs more per token (a CryptoKey, a copy of each buffer, promise jobs);
 * the callback form takes the same KeyObject as the synchronous one.
 */
export function startSignatureCheck(
  alg: SigningAlgorithm,
  key: SigningKey,
  signingInput: Uint8Array,
  signature: Uint8Array,
): Promise<void> {
  const input = verifyInput(alg, key, signature);
  return new Promise((resolve, reject) => {
    cryptoVerify(DIGEST[alg].hash, signingInput, input, signature, (error, valid) => {
      if (error === null && valid) resolve();
      else reject(signatureInvalid());
    });
  });
}
