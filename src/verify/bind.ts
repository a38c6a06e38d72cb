import { AttestationError, quote } from '../errors.js';
import { own } from '../util/own.js';
import { storeUnavailable, type ReplayStore } from './replay-store.js';
import type { VerifiedAttestation } from './result.js';
import { findChallengeNonce } from './nonce-location.js';
import { checkReportDataBinding } from '../claims/runtime-data.js';

/** Anything that can consume an issued nonce once: a challenge store. */
export interface NonceConsumer {
  /**
   * Resolves once for an issued nonce; ERR_REPLAY on a second use, ERR_BINDING_MISMATCH for unknown or
   * expired ones. `nonce` is the nonce as issued or, from TDX and SEV-SNP `user-data`, `sha512:` and the
   * lower-case hex SHA-512 of it: a consumer of its own must accept both (`createChallengeStore` does).
   */
  consume(nonce: string): Promise<void>;
}

export interface BindingOptions {
  /** The challenge store that issued the nonces (`createChallengeStore`). */
  readonly challenges: NonceConsumer;
  /** The member of JSON runtime data that carries the nonce. Default `nonce`. */
  readonly nonceField?: string;
}

/**
 * The challenge nonce an attestation is bound to, checked without consuming it: runtime data is present;
 * binary runtime data is bound by the report data (SHA-256 in bytes 0..31); it carries a nonce (a JSON
 * member, the nonce's 32 raw bytes as SGX binary runtime data, or — TDX and SEV-SNP `user-data` — its
 * SHA-512, returned as `sha512:<hex>`, which a challenge store consumes like the nonce). Throws
 * ERR_BINDING_MISMATCH otherwise.
 */
export function bindingNonce(attestation: VerifiedAttestation, options: BindingOptions): string {
  // Only binary runtime data needs its report-data check; findChallengeNonce reads (and parses) it itself.
  const binary = attestation.sgx?.enclaveHeldData;
  if (binary !== undefined) checkReportDataBinding(attestation, binary);
  return findChallengeNonce(attestation, options.nonceField).nonce;
}

/**
 * How long past the last instant a token is accepted its `jti` is still remembered: covers the time
 * between the time check and the store's write, and a store whose clock runs slightly ahead.
 */
export const SINGLE_USE_MARGIN_MS = 5_000;

/** The replay-store key of a single-use token, checked without consuming it; ERR_BINDING_MISMATCH without a `jti`. */
export function singleUseKey(attestation: VerifiedAttestation): string {
  const jti = own(attestation.claims, 'jti');
  if (typeof jti !== 'string' || jti === '')
    throw new AttestationError('ERR_BINDING_MISMATCH', 'the token has no jti to make it single-use');
  return `jti:${attestation.issuer} ${jti}`;
}

/**
 * Makes a token single-use across a fleet: its `jti` is recorded in a shared replay store until the last
 * instant a verifier with this clock tolerance would still accept it (`exp + clockToleranceSeconds`, plus
 * {@link SINGLE_USE_MARGIN_MS}), and a second presentation fails with ERR_REPLAY. A token without a `jti`
 * cannot be tracked and is refused rather than let through.
 */
export async function checkSingleUse(
  attestation: VerifiedAttestation,
  store: ReplayStore,
  nowMs: number,
  clockToleranceSeconds: number,
): Promise<void> {
  const key = singleUseKey(attestation);
  const acceptedUntilMs = attestation.expiresAt.getTime() + clockToleranceSeconds * 1000;
  const ttlMs = Math.max(1, acceptedUntilMs - nowMs) + SINGLE_USE_MARGIN_MS;
  let first: unknown;
  try {
    first = await store.once(key, ttlMs);
  } catch (error) {
    throw error instanceof AttestationError ? error : storeUnavailable(error);
  }
  // Only a plain `true` means first use: any other answer from a custom store is not taken as a pass.
  if (first === false) throw new AttestationError('ERR_REPLAY', 'the token was presented before (its jti is single-use)');
  if (first !== true) throw storeUnavailable(undefined, `the replay store answered ${quote(first)} for a single-use token`);
}
