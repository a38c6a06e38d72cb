import { expect } from 'vitest';
import { AttestationError } from '../../src/errors.js';
import { decodedPayload } from '../helpers/fixtures.js';

export type Payload = Record<string, unknown>;

/** The decoded payload of a real MAA token, by fixture name. */
export const loadPayload: (name: string) => Payload = decodedPayload;

/** Runs a claim read that must be refused, and returns its ERR_CLAIM_INVALID error. */
export function claimError(read: () => unknown): AttestationError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(AttestationError);
    expect((error as AttestationError).code).toBe('ERR_CLAIM_INVALID');
    return error as AttestationError;
  }
  throw new Error('expected the read to throw');
}
