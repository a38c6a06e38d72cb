import { constants, verify as cryptoVerify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import { AttestationError, quote } from '../errors.js';
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
 * Where a new token's RSA runs (`VerifyOptions.signatureThread`):
 * - `'thread-pool'`: on libuv's thread pool (the callback form of `crypto.verify`), while the calling
 *   thread checks the claims and serves other work. A server's choice: its event loop has other
 *   requests to answer meanwhile. Every adapter and the request gate ask for it.
 * - `'caller'`: synchronously on the calling thread. On a machine measured for this library, one
 *   verification at a time, handing RSA to the pool and waking up for its answer took 55 µs of wall
 *   time and 50 µs of CPU more than the 25 µs RSA itself: a caller with nothing else to do loses
 *   more than it gains.
 * - `'auto'` (the default): `'thread-pool'` while another verification's RSA is on the pool (a server
 *   already overlapping), else `'caller'`.
 */
export type SignatureThread = 'auto' | 'thread-pool' | 'caller';

export const SIGNATURE_THREADS: readonly SignatureThread[] = ['auto', 'thread-pool', 'caller'];

/** RSA checks started on the pool and not yet answered. */
let onPool = 0;

/** True when this call's RSA should go to the thread pool; ERR_CONFIG_INVALID for a value that names no thread. */
export function usesThreadPool(thread: SignatureThread | undefined): boolean {
  if (thread === 'thread-pool') return true;
  if (thread === undefined || thread === 'auto') return onPool > 0;
  if (thread === 'caller') return false;
  throw new AttestationError('ERR_CONFIG_INVALID', `signatureThread must be one of ${SIGNATURE_THREADS.join(', ')}, not ${quote(thread)}`);
}

/**
 * Step 5 on the calling thread. The input checks come first, as on the pool, so both report the
 * same first failure.
 */
export function checkSignature(alg: SigningAlgorithm, key: SigningKey, signingInput: Uint8Array, signature: Uint8Array): void {
  const input = verifyInput(alg, key, signature);
  if (!cryptoVerify(DIGEST[alg].hash, signingInput, input, signature)) throw signatureInvalid();
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
  onPool++;
  return new Promise((resolve, reject) => {
    cryptoVerify(DIGEST[alg].hash, signingInput, input, signature, (error, valid) => {
      onPool--;
      if (error === null && valid) resolve();
      else reject(signatureInvalid());
    });
  });
}
