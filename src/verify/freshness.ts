import { bindingNonce, checkSingleUse, singleUseKey } from './bind.js';
import type { ResolvedOptions } from './options.js';
import type { VerifiedAttestation } from './result.js';
import type { VerifyOptions } from './verifier.js';

/** Whether a verification consumes state (a challenge nonce, a `jti`): then it is never answered synchronously. */
export function needsFreshness(options: VerifyOptions | undefined): boolean {
  return options?.binding !== undefined || options?.singleUse !== undefined;
}

/**
 * Binding and single use run on every verification, cached or not: they consume state. Both are
 * checked before either consumes, so a token with a nonce but no jti burns no nonce.
 */
export async function consumeFreshness(
  attestation: VerifiedAttestation,
  options: Pick<VerifyOptions, 'binding' | 'singleUse'> | undefined,
  resolved: Pick<ResolvedOptions, 'now' | 'clockTolerance'>,
): Promise<void> {
  const binding = options?.binding;
  const singleUse = options?.singleUse;
  const nonce = binding === undefined ? undefined : bindingNonce(attestation, binding);
  if (singleUse !== undefined) singleUseKey(attestation);
  if (binding !== undefined && nonce !== undefined) await binding.challenges.consume(nonce);
  if (singleUse !== undefined) await checkSingleUse(attestation, singleUse, resolved.now(), resolved.clockTolerance);
}
