import { expect } from 'vitest';
import { AttestationError } from '../../src/errors.js';
import type { Verifier, VerifyOptions } from '../../src/verify/verifier.js';

/** `accepted` when `run` resolves, or the code of the AttestationError it rejects with (anything else fails the test). */
export async function refusalCode(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(AttestationError);
    return (error as AttestationError).code;
  }
}

/** `accepted`, or the code of the AttestationError the verification was refused with (anything else fails the test). */
export function codeOf(verifier: Verifier, token: unknown, options?: VerifyOptions): Promise<string> {
  return refusalCode(() => verifier.verify(token, options));
}
