/**
 * The one way tests read what a call answered: `ACCEPTED`, or the code of the AttestationError it threw.
 * Anything else thrown fails the test: the library's promise is that only AttestationErrors leave it.
 */
import { expect } from 'vitest';
import { AttestationError, type AttestationErrorCode } from '../../src/errors.js';
import type { Verifier, VerifyOptions } from '../../src/verify/verifier.js';

/** What a call that returned (or resolved) is reported as. */
export const ACCEPTED = 'accepted';
export type Outcome = typeof ACCEPTED | AttestationErrorCode;

function codeOfThrown(error: unknown): AttestationErrorCode {
  expect(error, 'only an AttestationError may leave the library').toBeInstanceOf(AttestationError);
  return (error as AttestationError).code;
}

/** `ACCEPTED` when `run` returns, the code of the AttestationError it throws otherwise. */
export function outcome(run: () => unknown): Outcome {
  try {
    run();
    return ACCEPTED;
  } catch (error) {
    return codeOfThrown(error);
  }
}

/** `ACCEPTED` when `run` resolves, the code of the AttestationError it rejects with otherwise. */
export async function asyncOutcome(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    await run();
    return ACCEPTED;
  } catch (error) {
    return codeOfThrown(error);
  }
}

/** What `verifier.verify` answered for this token. */
export function codeOf(verifier: Verifier, token: unknown, options?: VerifyOptions): Promise<Outcome> {
  return asyncOutcome(() => verifier.verify(token, options));
}

/** The AttestationError `run` throws, checked to carry `code` when given; a `run` that returns fails the test. */
export function refusalOf(run: () => unknown, code?: AttestationErrorCode): AttestationError {
  try {
    run();
  } catch (error) {
    const thrown = codeOfThrown(error);
    if (code !== undefined) expect(thrown).toBe(code);
    return error as AttestationError;
  }
  return expect.fail(`expected a refusal${code === undefined ? '' : ` with ${code}`}, but the call returned`);
}

/** The AttestationError `run` rejects with, checked to carry `code` when given. */
export async function asyncRefusalOf(run: () => Promise<unknown>, code?: AttestationErrorCode): Promise<AttestationError> {
  try {
    await run();
  } catch (error) {
    const thrown = codeOfThrown(error);
    if (code !== undefined) expect(thrown).toBe(code);
    return error as AttestationError;
  }
  return expect.fail(`expected a refusal${code === undefined ? '' : ` with ${code}`}, but the call resolved`);
}
