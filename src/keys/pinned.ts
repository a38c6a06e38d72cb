import { importKeySet, type ImportOptions } from './import.js';
import { findKey, keyNotFound, peekKey } from './lookup.js';
import { reportKeySet, type KeySet, type KeySource, type KeyStatus, type SigningKey } from './signing-key.js';

/** Keys from a JWKS given in the configuration (air-gapped relying parties; recorded certificates in tests). */
export class PinnedKeySource implements KeySource {
  readonly issuer: string;
  readonly keySet: KeySet;
  readonly #now: () => number;

  constructor(issuer: string, jwks: unknown, options: Omit<ImportOptions, 'errorCode'>) {
    this.issuer = issuer;
    this.#now = options.verificationTime ?? Date.now;
    // Thrown at construction: a pinned set with no usable key is a configuration error.
    this.keySet = importKeySet(jwks, issuer, { ...options, errorCode: 'ERR_CONFIG_INVALID' });
  }

  async getKey(kid: string): Promise<SigningKey> {
    const key = findKey(this.keySet, kid, this.issuer, this.#now());
    if (key === undefined) throw keyNotFound(this.issuer);
    return key;
  }

  peekKey(kid: string): SigningKey | undefined {
    return peekKey(this.keySet, kid, this.#now());
  }

  async refresh(): Promise<void> {}

  status(): KeyStatus {
    return {
      issuer: this.issuer,
      source: 'pinned',
      keyIds: [...this.keySet.keys.keys()],
      skippedKeyIds: [...this.keySet.invalid.keys()],
      fetchedAt: undefined,
      state: 'pinned',
      lastError: undefined,
      consecutiveFailures: 0,
      nextAttemptAt: undefined,
      ...reportKeySet(this.keySet),
    };
  }
}
