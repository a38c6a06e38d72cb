import { expect } from 'vitest';
import { AttestationError } from '../../src/errors.js';
import type { Verifier, VerifyOptions } from '../../src/verify/verifier.js';

/** `accepted`, or the code of the AttestationError the verification was refused with (anything else fails the test). */
export async function codeOf(verifier: Verifier, token: unknown, options?: VerifyOptions): Promise<string> {
  try {
    await verifier.verify(token, options);
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(AttestationError);
    return (error as AttestationError).code;
  }
}
