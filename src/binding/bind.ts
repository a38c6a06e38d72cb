import { AttestationError, quote } from '../errors.js';
import { own } from '../util/own.js';
import { storeUnavailable, type ReplayStore } from './replay-store.js';
import type { VerifiedAttestation } from '../verify/result.js';
import { findChallengeNonce } from './nonce-location.js';
import { checkReportDataBinding, readRuntimeData } from './runtime-data.js';

/** Anything that can consume an issued nonce once: a challenge store. */
export interface NonceConsumer {
  /** Resolves once for an issued nonce; ERR_REPLAY on a second use, ERR_BINDING_MISMATCH for unknown or expired ones. */
  consume(nonce: string): Promise<void>;
}

export interface BindingOptions {
  /** The challenge store that issued the nonces (`createChallengeStore`). */
  readonly challenges: NonceConsumer;
  /** The member of JSON runtime data (or of guest attestation's client payload) that carries the nonce. Default `nonce`. */
  readonly nonceField?: string;
}

/**
 * Binds an attestation to a challenge this relying party issued: the TEE put the nonce in the data it
 * sent to MAA, so the token cannot predate the challenge. Checks, failing closed: binary runtime data is
 * bound by the report data (SHA-256 in bytes 0..31); the token carries a nonce where its flow puts it
 * (see nonce-location.ts: SGX runtime data, guest attestation's client payload, TDX/SNP user-data); and
 * that nonce is consumed, once.
 */
export async function checkBinding(attestation: VerifiedAttestation, options: BindingOptions): Promise<void> {
  const runtime = readRuntimeData(attestation);
  if (runtime?.bytes !== undefined) checkReportDataBinding(attestation, runtime.bytes);
  await options.challenges.consume(findChallengeNonce(attestation, options.nonceField).nonce);
}

/**
 * Makes a token single-use across a fleet: its `jti` is recorded in a shared replay store until the token
 * expires, and a second presentation fails with ERR_REPLAY. A token without a `jti` cannot be tracked and
 * is refused rather than let through.
 */
export async function checkSingleUse(attestation: VerifiedAttestation, store: ReplayStore, nowMs: number): Promise<void> {
  const jti = own(attestation.claims, 'jti');
  if (typeof jti !== 'string' || jti === '') throw new AttestationError('ERR_BINDING_MISMATCH', 'the token has no jti to make it single-use');
  const ttlMs = Math.max(1, attestation.expiresAt.getTime() - nowMs);
  let first: unknown;
  try {
    first = await store.once(`jti:${attestation.issuer} ${jti}`, ttlMs);
  } catch (error) {
    throw error instanceof AttestationError ? error : storeUnavailable(error);
  }
  // Only a plain `true` means first use: any other answer from a custom store is not taken as a pass.
  if (first === false) throw new AttestationError('ERR_REPLAY', 'the token was presented before (its jti is single-use)');
  if (first !== true) throw storeUnavailable(undefined, `the replay store answered ${quote(first)} for a single-use token`);
}
