import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  AttestationError,
  asAttestationError,
  ERROR_STATUS,
  ERROR_TABLE,
  isAttestationError,
  quote,
  type AnyAttestationError,
  type AttestationErrorCode,
} from '../src/errors.js';
import { createVerifier, errorResponse, PolicyDeniedError } from '../src/index.js';
import { createTestAttestationService } from '../src/testing/index.js';

const CODES = Object.keys(ERROR_TABLE) as AttestationErrorCode[];

/** The README's "Error codes" table, as [code, status, bearer error, when] per row. */
function readmeRows(): string[][] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('\n## Error codes');
  expect(start, 'the README has an "Error codes" section').toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `ERR_'))
    .map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
}

describe('one error table', () => {
  it('the README lists every code, in the table order, with its status, RFC 6750 error and when', () => {
    const expected = CODES.map((code) => {
      const entry = ERROR_TABLE[code];
      return [`\`${code}\``, String(entry.status), entry.bearerError === undefined ? '—' : `\`${entry.bearerError}\``, entry.when];
    });
    expect(readmeRows()).toEqual(expected);
  });

  it('ERROR_STATUS is derived from the table', () => {
    expect(Object.keys(ERROR_STATUS)).toEqual(CODES);
    for (const code of CODES) expect(ERROR_STATUS[code]).toBe(ERROR_TABLE[code].status);
    expect(Object.isFrozen(ERROR_STATUS)).toBe(true);
  });

  it('every code has a client text that quotes nothing, and a bearer error only for verdicts on the request', () => {
    for (const code of CODES) {
      const { status, clientText, bearerError } = ERROR_TABLE[code];
      expect(clientText).toMatch(/^[A-Z][A-Za-z0-9 -]+$/);
      if (status >= 500 || code === 'ERR_TOKEN_MISSING') expect(bearerError, code).toBeUndefined();
      else expect(bearerError, code).toBe(status === 400 ? 'invalid_request' : status === 401 ? 'invalid_token' : 'insufficient_scope');
    }
  });

  it('the HTTP answer reads status, client text and bearer error from the table, never the message', () => {
    for (const code of CODES) {
      const answer = errorResponse(new AttestationError(code, 'secret "quoted" token text'), { realm: 'r', retryAfterSeconds: 7 });
      const { status, clientText, bearerError } = ERROR_TABLE[code];
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ code, status, detail: clientText });
      expect(JSON.stringify(answer)).not.toContain('secret');
      const challenge = answer.headers['www-authenticate'];
      if (status === 400 || status === 401 || status === 403) {
        expect(challenge).toBe(
          bearerError === undefined ? 'Bearer realm="r"' : `Bearer realm="r", error="${bearerError}", error_description="${clientText}"`,
        );
      } else {
        expect(challenge).toBeUndefined();
      }
      expect(answer.headers['retry-after']).toBe(status === 503 ? '7' : undefined);
    }
  });
});

describe('ERR_INTERNAL: a bug is reported as a bug', () => {
  it('an unexpected error inside verify is ERR_INTERNAL (500) with the original as cause, not a token verdict', async () => {
    const maa = await createTestAttestationService();
    try {
      const bug = new TypeError('clock exploded');
      const verifier = createVerifier({
        issuers: [maa.issuer],
        allowInsecureLoopback: true,
        now: () => {
          throw bug;
        },
      });
      const error = await verifier.verify(maa.mint()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AttestationError);
      expect(error).toMatchObject({ code: 'ERR_INTERNAL', status: 500, cause: bug });
      const answer = errorResponse(error as AttestationError, { realm: 'r', retryAfterSeconds: 1 });
      expect(answer.status).toBe(500);
      expect(answer.headers['www-authenticate']).toBeUndefined();
    } finally {
      await maa.close();
    }
  });

  it('asAttestationError keeps an AttestationError and wraps anything else', () => {
    const refusal = new AttestationError('ERR_TOKEN_EXPIRED', 'expired');
    expect(asAttestationError(refusal)).toBe(refusal);
    for (const thrown of [new RangeError('x'), 'a string', undefined, { code: 'ERR_TOKEN_EXPIRED' }]) {
      const wrapped = asAttestationError(thrown);
      expect(wrapped).toMatchObject({ code: 'ERR_INTERNAL', status: 500 });
      expect(wrapped.cause).toBe(thrown);
    }
  });
});

describe('error types narrow by code', () => {
  it('a literal code gives a literal status, and isAttestationError narrows to the codes asked for', () => {
    const expired = new AttestationError('ERR_TOKEN_EXPIRED', 'expired');
    expectTypeOf(expired.code).toEqualTypeOf<'ERR_TOKEN_EXPIRED'>();
    expectTypeOf(expired.status).toEqualTypeOf<401>();
    expectTypeOf(new AttestationError('ERR_METADATA_UNAVAILABLE', 'x').status).toEqualTypeOf<503>();

    const caught: unknown = expired;
    if (isAttestationError(caught, 'ERR_TOKEN_EXPIRED', 'ERR_TOKEN_NOT_YET_VALID')) {
      expectTypeOf(caught.code).toEqualTypeOf<'ERR_TOKEN_EXPIRED' | 'ERR_TOKEN_NOT_YET_VALID'>();
    }
    expect(isAttestationError(caught, 'ERR_TOKEN_EXPIRED')).toBe(true);
    expect(isAttestationError(caught, 'ERR_POLICY_DENIED', 'ERR_REPLAY')).toBe(false);
    expect(isAttestationError(caught)).toBe(true);
    expect(isAttestationError({ code: 'ERR_TOKEN_EXPIRED', status: 401 })).toBe(false);
  });

  it('AnyAttestationError narrows in a switch; PolicyDeniedError has the literal code', () => {
    const status = (error: AnyAttestationError): number => {
      switch (error.code) {
        case 'ERR_POLICY_DENIED':
          expectTypeOf(error.status).toEqualTypeOf<403>();
          return error.status;
        case 'ERR_REPLAY_STORE_UNAVAILABLE':
          expectTypeOf(error.status).toEqualTypeOf<503>();
          return error.status;
        default:
          return error.status;
      }
    };
    expect(status(new AttestationError('ERR_POLICY_DENIED', 'x'))).toBe(403);
    expectTypeOf<PolicyDeniedError['code']>().toEqualTypeOf<'ERR_POLICY_DENIED'>();
    // @ts-expect-error: not a code of the table
    expect(() => new AttestationError('ERR_NOT_A_CODE', 'x')).toThrow(TypeError);
  });
});

describe('quote(): attacker text in a message', () => {
  it('escapes every non-ASCII character, bidi controls and astral ones included', () => {
    expect(quote('café')).toBe('"caf\\u00e9"');
    expect(quote('a\u202eb\u2066c')).toBe('"a\\u202eb\\u2066c"');
    expect(quote('x\u200by\ufeffz\u2028')).toBe('"x\\u200by\\ufeffz\\u2028"');
    expect(quote('😀')).toBe('"\\ud83d\\ude00"');
    expect(quote('\u3164')).toBe('"\\u3164"');
    expect(quote('\u001b[2J\n')).toBe('"\\u001b[2J\\n"');
  });

  it('cuts long text at 64 characters, the ellipsis escaped too', () => {
    expect(quote('a'.repeat(100))).toBe(`"${'a'.repeat(64)}\\u2026"`);
    expect(quote('a'.repeat(64))).toBe(`"${'a'.repeat(64)}"`);
  });

  it('names what it will not print', () => {
    expect(quote(undefined)).toBe('<undefined>');
    expect(quote({ a: 1 })).toBe('<object>');
    expect(quote([1])).toBe('<array>');
    // JSON's own scalars unquoted: the number 1 must not read as the string "1".
    expect(quote(null)).toBe('null');
    expect(quote(42)).toBe('42');
    expect(quote(false)).toBe('false');
    expect(quote('false')).toBe('"false"');
  });

  it('any string comes out as printable ASCII of bounded length (1000 runs)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const quoted = quote(text);
        expect(quoted).toMatch(/^"[\x20-\x7e]*"$/);
        expect(quoted.length).toBeLessThanOrEqual(2 + 65 * 12);
      }),
      { numRuns: 1000 },
    );
  });
});
