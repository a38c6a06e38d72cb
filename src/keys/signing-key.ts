import type { KeyObject, X509Certificate } from 'node:crypto';
import type { SigningAlgorithm } from '../token/header.js';
import type { MaaEnclaveIdentity } from './maa-quote.js';

/** A public key an issuer publishes, ready for `crypto.verify`. */
export interface SigningKey {
  readonly kid: string;
  readonly key: KeyObject;
  readonly modulusBits: number;
  /** The algorithm the JWK restricts the key to, if it names one. */
  readonly alg: SigningAlgorithm | undefined;
  /** The self-signed certificate the key came from (`x5c[0]`), when it came from one. */
  readonly certificate: X509Certificate | undefined;
  /** MAA's own enclave identity from the certificate's quote, when the issuer pins a signer. */
  readonly enclave?: MaaEnclaveIdentity | undefined;
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
  /**
   * The key published under `kid` in a fresh cached set, without I/O: the synchronous fast path.
   * Undefined when the answer needs `getKey` (cold, stale, unknown or invalid kid).
   */
  peekKey(kid: string): SigningKey | undefined;
  /** Fetches the keys now (a no-op for pinned keys); rejects when the issuer cannot be reached. */
  refresh(): Promise<void>;
  status(): KeyStatus;
}

/** What `verifier.keyStatus()` reports per issuer. */
export interface KeyStatus {
  readonly issuer: string;
  readonly source: 'remote' | 'pinned';
  /** Usable key ids. */
  readonly keyIds: readonly string[];
  /** Published key ids that were skipped as unusable (see the `keys:skipped` diagnostic for why). */
  readonly skippedKeyIds: readonly string[];
  /** When the set in use was fetched; undefined for pinned keys and before the first fetch. */
  readonly fetchedAt: Date | undefined;
  /** `fresh` within keysMaxAge, `stale` within keysMaxStale after that, `expired` beyond, `empty` before any fetch. */
  readonly state: 'fresh' | 'stale' | 'expired' | 'empty' | 'pinned';
  /** The last failed fetch, kept after later successes for diagnosis. */
  readonly lastError: { readonly code: string; readonly message: string; readonly at: Date } | undefined;
  /** Failed fetches since the last success. */
  readonly consecutiveFailures: number;
  /** When a refresh may be tried again after failures. */
  readonly nextAttemptAt: Date | undefined;
}
