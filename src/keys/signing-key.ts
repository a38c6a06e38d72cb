import type { KeyObject, X509Certificate } from 'node:crypto';
import type { SigningAlgorithm } from '../token/header.js';
import type { VerifiedMaaEnclave } from './maa-quote.js';

/** A public key an issuer publishes, ready for `crypto.verify`. */
export interface SigningKey {
  readonly kid: string;
  readonly key: KeyObject;
  readonly modulusBits: number;
  /** The algorithm the JWK restricts the key to, if it names one. */
  readonly alg: SigningAlgorithm | undefined;
  /** The self-signed certificate the key came from (`x5c[0]`), when it came from one. */
  readonly certificate: X509Certificate | undefined;
  /** MAA's own enclave identity from the certificate's quote, verified to Intel's root, when the issuer pins a signer. */
  readonly enclave?: VerifiedMaaEnclave | undefined;
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
  /** `fresh` within keysMaxAgeSeconds, `stale` within keysMaxStaleSeconds after that, `expired` beyond, `empty` before any fetch. */
  readonly state: 'fresh' | 'stale' | 'expired' | 'empty' | 'pinned';
  /** The last failed fetch, kept after later successes for diagnosis. */
  readonly lastError: { readonly code: string; readonly message: string; readonly at: Date } | undefined;
  /** Failed fetches since the last success. */
  readonly consecutiveFailures: number;
  /** When a refresh may be tried again after failures. */
  readonly nextAttemptAt: Date | undefined;
  /** Per usable key: its size and, with a signer pin, what was verified about the MAA enclave behind it. */
  readonly keys: readonly KeyReport[];
  /** Per skipped key: why. Enclave-quote failures start with the step that failed (`pck-chain: …`). */
  readonly skippedKeys: readonly { readonly kid: string; readonly reason: string }[];
}

/** What is known about one usable key. */
export interface KeyReport {
  readonly kid: string;
  readonly modulusBits: number;
  /** Undefined when the issuer pins no signer: then the key's quote was not read, let alone verified. */
  readonly enclave: EnclaveReport | undefined;
}

/** What was verified about the MAA enclave behind a key (hex lower case). */
export interface EnclaveReport {
  /** The quote's signatures and PCK chain verified up to the pinned Intel SGX Root CA key. */
  readonly verifiedToIntelRoot: boolean;
  readonly mrsigner: string;
  readonly mrenclave: string;
  readonly productId: number;
  readonly svn: number;
  readonly isDebuggable: boolean;
  /** The extension OID that carried the quote (2020 or current format). */
  readonly extensionOid: string;
  /** The Intel CA that issued the platform's PCK certificate. */
  readonly pckIssuingCa: 'processor' | 'platform';
  readonly pckNotBefore: Date;
  readonly pckNotAfter: Date;
  /** The time the chain was checked at. */
  readonly verifiedAt: Date;
  /** From Intel's collateral, when supplied; `not-checked` otherwise. */
  readonly tcbStatus: string;
  readonly qeTcbStatus: string;
  readonly revocation: 'checked' | 'not-checked';
}

/** The status report of one key. */
export function reportKey(key: SigningKey): KeyReport {
  const enclave = key.enclave;
  if (enclave === undefined) return { kid: key.kid, modulusBits: key.modulusBits, enclave: undefined };
  const { verification } = enclave;
  return {
    kid: key.kid,
    modulusBits: key.modulusBits,
    enclave: {
      verifiedToIntelRoot: verification.verifiedToIntelRoot,
      mrsigner: enclave.mrsigner,
      mrenclave: enclave.mrenclave,
      productId: enclave.productId,
      svn: enclave.svn,
      isDebuggable: enclave.isDebuggable,
      extensionOid: enclave.extensionOid,
      pckIssuingCa: verification.pckIssuingCa,
      pckNotBefore: verification.pckValidity.notBefore,
      pckNotAfter: verification.pckValidity.notAfter,
      verifiedAt: verification.verifiedAt,
      tcbStatus: verification.collateral?.tcbStatus ?? 'not-checked',
      qeTcbStatus: verification.collateral?.qeTcbStatus ?? 'not-checked',
      revocation: verification.collateral === undefined ? 'not-checked' : 'checked',
    },
  };
}

/** `keys` and `skippedKeys` of a status report, from a key set. */
export function reportKeySet(set: KeySet | undefined): Pick<KeyStatus, 'keys' | 'skippedKeys'> {
  if (set === undefined) return { keys: [], skippedKeys: [] };
  return { keys: [...set.keys.values()].map(reportKey), skippedKeys: [...set.invalid].map(([kid, reason]) => ({ kid, reason })) };
}
