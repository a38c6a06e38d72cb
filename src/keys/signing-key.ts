import type { KeyObject, X509Certificate } from 'node:crypto';
import type { SigningAlgorithm } from '../token/header.js';

/** A public key an issuer publishes, ready for `crypto.verify`. */
export interface SigningKey {
  readonly kid: string;
  readonly key: KeyObject;
  readonly modulusBits: number;
  /** The algorithm the JWK restricts the key to, if it names one. */
  readonly alg: SigningAlgorithm | undefined;
  /** The self-signed certificate the key came from (`x5c[0]`), when it came from one. */
  readonly certificate: X509Certificate | undefined;
}

/** One issuer's keys as last published: usable keys by `kid`, and why each unusable one was skipped. */
export interface KeySet {
  readonly keys: ReadonlyMap<string, SigningKey>;
  readonly invalid: ReadonlyMap<string, string>;
}

/**
 * Where the verifier gets an issuer's key for a `kid`. Implementations: a pinned JWKS and the remote
 * metadata source. Errors are AttestationErrors: ERR_KEY_NOT_FOUND, ERR_KEY_INVALID,
 * ERR_METADATA_UNAVAILABLE.
 */
export interface KeySource {
  readonly issuer: string;
  getKey(kid: string): Promise<SigningKey>;
}
