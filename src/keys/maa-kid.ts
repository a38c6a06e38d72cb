/**
 * How MAA names its token-signing keys, and how to hand MAA's certificates to Node safely.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { isStandardBase64, pemCertificate } from '../util/pem.js';

// MAA hashes the PEM text with its C-string terminator: the same 32 bytes go into the report data of the
// enclave quote embedded in the signing certificate, so the kid is tied to what the enclave attested.
const NUL = Buffer.from([0]);

/**
 * The `kid` MAA gives an RSA signing key: standard base64 (with `+ / =`, 44 characters) of
 * SHA-256(SPKI PEM text + one NUL byte). Deterministic, so a local test service gets kids of exactly the
 * shape real tokens carry, and a verifier can check that a certificate really is the key its kid names.
 *
 * A private key is accepted too; its public half is hashed.
 */
export function maaKeyId(publicKey: KeyObject): string {
  if (publicKey.type === 'secret') throw new TypeError('maaKeyId needs an asymmetric key, not a secret key');
  const key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  const pem = key.export({ type: 'spki', format: 'pem' });
  return createHash('sha256').update(pem).update(NUL).digest('base64');
}

/**
 * Text in the standard base64 alphabet: how the key importers tell "not base64 at all" apart from
 * "base64 that is not a certificate" before `certificateToPem` checks the canonical form.
 */
export const STANDARD_BASE64_TEXT = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Wraps one `x5c` entry (standard base64 of a DER certificate) in PEM armour.
 *
 * Always give Node's `X509Certificate` this PEM text, never the DER bytes: MAA's certificates carry an
 * Intel PCK certificate as PEM text inside the quote extension, and Node, handed a DER buffer, goes looking
 * for PEM first and returns that embedded Intel certificate instead of the outer one.
 *
 * Throws a TypeError unless the input is canonical standard base64, so attacker-supplied text can never
 * smuggle extra armour lines (a second `-----BEGIN` block) into the PEM.
 */
export function certificateToPem(base64Der: string): string {
  if (!isStandardBase64(base64Der)) {
    throw new TypeError('certificate is not standard base64 DER');
  }
  return pemCertificate(base64Der);
}
