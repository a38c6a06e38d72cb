import { AttestationError } from '../errors.js';
import type { KeySet, SigningKey } from './signing-key.js';

/** The usable key for `kid`, undefined when the set does not name it, ERR_KEY_INVALID when it names an unusable one. */
export function findKey(set: KeySet, kid: string, issuer: string): SigningKey | undefined {
  const key = set.keys.get(kid);
  if (key !== undefined) return key;
  const reason = set.invalid.get(kid);
  if (reason !== undefined) {
    throw new AttestationError('ERR_KEY_INVALID', `the key ${issuer} publishes under this kid is not usable: ${reason}`);
  }
  return undefined;
}

export function keyNotFound(issuer: string): AttestationError {
  return new AttestationError('ERR_KEY_NOT_FOUND', `${issuer} publishes no key with the token's kid`);
}
