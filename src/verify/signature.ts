import { constants, verify as cryptoVerify } from 'node:crypto';
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

/**
 * Step 5: the signature, with node:crypto's synchronous RSA verify on a cached KeyObject (WebCrypto's
 * asynchronous path costs several times more per token). The algorithm comes from the allowlisted header;
 * a key whose JWK names another algorithm refuses it.
 */
export function verifySignature(alg: SigningAlgorithm, key: SigningKey, signingInput: Buffer, signature: Buffer): void {
  if (key.alg !== undefined && key.alg !== alg) {
    throw new AttestationError('ERR_KEY_INVALID', `the signing key is restricted to ${key.alg}, not ${alg}`);
  }
  const digest = DIGEST[alg];
  // An RSA signature is exactly as long as the modulus; anything else cannot verify.
  const valid =
    signature.length === Math.ceil(key.modulusBits / 8) &&
    cryptoVerify(
      digest.hash,
      signingInput,
      digest.pss ? { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digest.bytes } : key.key,
      signature,
    );
  if (!valid) throw new AttestationError('ERR_SIGNATURE_INVALID', 'the token signature does not verify with the issuer key');
}
