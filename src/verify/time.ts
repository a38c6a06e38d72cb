import { own } from '../util/own.js';
import { throwRefusal, type Refusal, type Report } from '../util/rules.js';

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

/** The last second a JavaScript Date can hold: a later time cannot be compared or reported. */
export const MAX_NUMERIC_DATE = 8.64e12;

/** A usable NumericDate: a finite number of seconds a Date can hold. */
export function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_NUMERIC_DATE;
}

const notNumericDate = (name: string): Refusal =>
  Object.freeze({
    code: 'ERR_CLAIM_INVALID',
    message: `the ${name} claim must be a number of seconds between 0 and ${MAX_NUMERIC_DATE}`,
    why: 'MAA always sets exp, nbf and iat; a token without an expiry would be a bearer credential for ever',
  });
const EXP_NOT_NUMERIC = notNumericDate('exp');
const NBF_NOT_NUMERIC = notNumericDate('nbf');
const IAT_NOT_NUMERIC = notNumericDate('iat');
const EXPIRED: Refusal = Object.freeze({ code: 'ERR_TOKEN_EXPIRED', message: 'the token has expired' });
const NOT_YET_VALID: Refusal = Object.freeze({ code: 'ERR_TOKEN_NOT_YET_VALID', message: 'the token is not valid yet (nbf)' });
const ISSUED_IN_FUTURE: Refusal = Object.freeze({
  code: 'ERR_TOKEN_NOT_YET_VALID',
  message: 'the token was issued in the future (iat)',
  why: 'check the clock of this machine and of the issuer',
});

/**
 * Step 6, as named rules: all three of `exp`, `nbf`, `iat` are required (MAA always sets them), then each
 * is compared with the clock, `clockTolerance` seconds of skew allowed. A comparison is skipped when its
 * claim is unusable: the numeric-date rule has reported that already. Returns the times when all pass.
 */
export function judgeTimes(
  payload: Readonly<Record<string, unknown>>,
  nowSeconds: number,
  options: TimeOptions,
  report: Report,
): TokenTimes | undefined {
  const exp = own(payload, 'exp');
  const nbf = own(payload, 'nbf');
  const iat = own(payload, 'iat');
  const expUsable = isNumericDate(exp);
  const nbfUsable = isNumericDate(nbf);
  const iatUsable = isNumericDate(iat);
  if (!expUsable) report('exp-numeric-date', EXP_NOT_NUMERIC);
  if (!nbfUsable) report('nbf-numeric-date', NBF_NOT_NUMERIC);
  if (!iatUsable) report('iat-numeric-date', IAT_NOT_NUMERIC);
  const tolerance = options.clockTolerance;
  if (expUsable && exp <= nowSeconds - tolerance) report('not-expired', EXPIRED);
  if (nbfUsable && nbf > nowSeconds + tolerance) report('not-before', NOT_YET_VALID);
  if (iatUsable && iat > nowSeconds + tolerance) report('not-issued-in-future', ISSUED_IN_FUTURE);
  const { maxTokenAge } = options;
  if (iatUsable && maxTokenAge !== undefined && nowSeconds - iat > maxTokenAge + tolerance) {
    report('not-too-old', {
      code: 'ERR_TOKEN_TOO_OLD',
      message: `the token was issued more than ${maxTokenAge} s ago`,
      why: 'maxTokenAgeSeconds bounds how long ago the evidence was appraised',
    });
  }
  return expUsable && nbfUsable && iatUsable ? { issuedAt: iat, notBefore: nbf, expiresAt: exp } : undefined;
}

/** The verifier's reading: throws the first refusal (an AttestationError), returns the times otherwise. */
export function checkTimes(payload: Readonly<Record<string, unknown>>, nowSeconds: number, options: TimeOptions): TokenTimes {
  return judgeTimes(payload, nowSeconds, options, throwRefusal) as TokenTimes;
}
