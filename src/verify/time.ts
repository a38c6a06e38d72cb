import { AttestationError } from '../errors.js';
import { own } from '../util/own.js';

export interface TimeOptions {
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. */
  readonly clockTolerance: number;
  /** Seconds since `iat` after which a token is refused, however long its `exp`. */
  readonly maxTokenAge: number | undefined;
}

export interface TokenTimes {
  readonly issuedAt: number;
  readonly notBefore: number;
  readonly expiresAt: number;
}

/**
 * Step 6. All three of `exp`, `nbf`, `iat` are required: MAA always sets them, and a token without an
 * expiry would be a bearer credential for ever.
 */
export function checkTimes(payload: Readonly<Record<string, unknown>>, nowSeconds: number, options: TimeOptions): TokenTimes {
  const expiresAt = numericDate(payload, 'exp');
  const notBefore = numericDate(payload, 'nbf');
  const issuedAt = numericDate(payload, 'iat');
  const tolerance = options.clockTolerance;
  if (expiresAt <= nowSeconds - tolerance) {
    throw new AttestationError('ERR_TOKEN_EXPIRED', 'the token has expired');
  }
  if (notBefore > nowSeconds + tolerance) {
    throw new AttestationError('ERR_TOKEN_NOT_YET_VALID', 'the token is not valid yet (nbf)');
  }
  if (issuedAt > nowSeconds + tolerance) {
    throw new AttestationError('ERR_TOKEN_NOT_YET_VALID', 'the token was issued in the future (iat)');
  }
  if (options.maxTokenAge !== undefined && nowSeconds - issuedAt > options.maxTokenAge + tolerance) {
    throw new AttestationError('ERR_TOKEN_TOO_OLD', `the token was issued more than ${options.maxTokenAge} s ago`);
  }
  return { issuedAt, notBefore, expiresAt };
}

/** The last second a JavaScript Date can hold: a later time cannot be compared or reported. */
export const MAX_NUMERIC_DATE = 8.64e12;

function numericDate(payload: Readonly<Record<string, unknown>>, name: string): number {
  const value = own(payload, name);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_NUMERIC_DATE) {
    throw new AttestationError('ERR_CLAIM_INVALID', `the ${name} claim must be a number of seconds between 0 and ${MAX_NUMERIC_DATE}`);
  }
  return value;
}
