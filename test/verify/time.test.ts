import { describe, expect, it } from 'vitest';
import { checkTimes, judgeTimes, MAX_NUMERIC_DATE, type TimeOptions } from '../../src/verify/time.js';
import { ACCEPTED, outcome } from '../helpers/outcome.js';

const NOW = 1_700_000_000;
const OPTIONS: TimeOptions = { clockTolerance: 30, maxTokenAge: undefined };
const valid = { iat: NOW - 60, nbf: NOW - 60, exp: NOW + 3600 };
const codeOf = (payload: Record<string, unknown>, options: TimeOptions = OPTIONS, now = NOW): string =>
  outcome(() => checkTimes(payload, now, options));

describe('checkTimes: the bounds of a NumericDate', () => {
  it('0 and MAX_NUMERIC_DATE are times; -1, MAX_NUMERIC_DATE + 1 and non-numbers are not', () => {
    expect(codeOf({ ...valid, iat: 0, nbf: 0 })).toBe(ACCEPTED);
    expect(codeOf({ ...valid, exp: MAX_NUMERIC_DATE })).toBe(ACCEPTED);
    // exp 0 is a time, long past: expired, not malformed.
    expect(codeOf({ ...valid, exp: 0 })).toBe('ERR_TOKEN_EXPIRED');
    for (const bad of [-1, MAX_NUMERIC_DATE + 1, Number.MAX_VALUE, '1700000000', null, true, [NOW], undefined]) {
      expect(codeOf({ ...valid, exp: bad }), String(bad)).toBe('ERR_CLAIM_INVALID');
      expect(codeOf({ ...valid, iat: bad }), String(bad)).toBe('ERR_CLAIM_INVALID');
    }
  });
});

describe('checkTimes: tolerance and age at their edges', () => {
  it('exp is expired at now - tolerance, not a second before', () => {
    expect(codeOf({ ...valid, exp: NOW - 30 })).toBe('ERR_TOKEN_EXPIRED');
    expect(codeOf({ ...valid, exp: NOW - 29 })).toBe(ACCEPTED);
  });

  it('nbf and iat may lie tolerance seconds ahead, not one more', () => {
    expect(codeOf({ ...valid, nbf: NOW + 30 })).toBe(ACCEPTED);
    expect(codeOf({ ...valid, nbf: NOW + 31 })).toBe('ERR_TOKEN_NOT_YET_VALID');
    expect(codeOf({ ...valid, iat: NOW + 30, nbf: NOW })).toBe(ACCEPTED);
    expect(codeOf({ ...valid, iat: NOW + 31, nbf: NOW })).toBe('ERR_TOKEN_NOT_YET_VALID');
  });

  it('maxTokenAge allows exactly maxTokenAge + tolerance seconds since iat', () => {
    const options = { clockTolerance: 30, maxTokenAge: 600 };
    expect(codeOf({ ...valid, iat: NOW - 630, nbf: NOW - 630 }, options)).toBe(ACCEPTED);
    expect(codeOf({ ...valid, iat: NOW - 631, nbf: NOW - 631 }, options)).toBe('ERR_TOKEN_TOO_OLD');
    expect(codeOf({ ...valid, iat: NOW - 631, nbf: NOW - 631 })).toBe(ACCEPTED);
  });
});

describe('judgeTimes: every rule reported, by name', () => {
  it('lists each failed rule; a comparison is skipped when its claim is not a time', () => {
    const found: [string, string][] = [];
    const times = judgeTimes(
      { exp: 'soon', nbf: NOW + 999, iat: NOW + 999 },
      NOW,
      { clockTolerance: 0, maxTokenAge: 10 },
      (rule, refusal) => void found.push([rule, refusal.code]),
    );
    expect(times).toBeUndefined();
    expect(found).toEqual([
      ['exp-numeric-date', 'ERR_CLAIM_INVALID'],
      ['not-before', 'ERR_TOKEN_NOT_YET_VALID'],
      ['not-issued-in-future', 'ERR_TOKEN_NOT_YET_VALID'],
    ]);
    expect(codeOf({ exp: 'soon', nbf: NOW + 999, iat: NOW + 999 })).toBe('ERR_CLAIM_INVALID');
  });

  it('returns the times when every rule passes', () => {
    expect(judgeTimes(valid, NOW, OPTIONS, () => expect.fail('no rule may fail'))).toEqual({
      issuedAt: valid.iat,
      notBefore: valid.nbf,
      expiresAt: valid.exp,
    });
  });
});
