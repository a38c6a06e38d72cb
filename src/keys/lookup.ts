import { AttestationError } from '../errors.js';
import type { KeySet, SigningKey } from './signing-key.js';

/**
 * The usable key for `kid` at `nowMs`, undefined when the set does not name it, ERR_KEY_INVALID when it
 * names an unusable one, or one whose MAA enclave verification has run out since the set was loaded (its
 * PCK chain or the collateral it was checked with expired: a pinned set is loaded once, a fetched one
 * at most every `keysMaxAgeSeconds`).
 */
export function findKey(set: KeySet, kid: string, issuer: string, nowMs: number): SigningKey | undefined {
  const key = set.keys.get(kid);
  if (key !== undefined) {
    if (isCurrent(key, nowMs)) return key;
    const until = key.enclave!.verification.validUntil.toISOString();
    throw new AttestationError(
      'ERR_KEY_INVALID',
      `the MAA enclave verification of the key ${issuer} publishes under this kid expired at ${until}`,
    );
  }
  const reason = set.invalid.get(kid);
  if (reason !== undefined) {
    throw new AttestationError('ERR_KEY_INVALID', `the key ${issuer} publishes under this kid is not usable: ${reason}`);
  }
  return undefined;
}

/** The key for `kid` when it is usable at `nowMs`, for a synchronous cache check; undefined otherwise. */
export function peekKey(set: KeySet | undefined, kid: string, nowMs: number): SigningKey | undefined {
  const key = set?.keys.get(kid);
  return key !== undefined && isCurrent(key, nowMs) ? key : undefined;
}

/** Whether a key's MAA enclave verification (when a signer is pinned) still holds at `nowMs`. */
function isCurrent(key: SigningKey, nowMs: number): boolean {
  return key.enclave === undefined || nowMs <= key.enclave.verification.validUntil.getTime();
}

export function keyNotFound(issuer: string): AttestationError {
  return new AttestationError('ERR_KEY_NOT_FOUND', `${issuer} publishes no key with the token's kid`);
}
