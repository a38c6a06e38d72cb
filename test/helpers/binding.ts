import type { BindingOptions } from '../../src/verify/bind.js';
import { consumeFreshness } from '../../src/verify/freshness.js';
import type { VerifiedAttestation } from '../../src/verify/result.js';

/** Binding alone, as `verify` and the request gate consume it: the nonce checked, then used up once. */
export function consumeBinding(attestation: VerifiedAttestation, binding: BindingOptions): Promise<void> {
  return consumeFreshness(attestation, { binding }, { now: Date.now, clockTolerance: 0 });
}
