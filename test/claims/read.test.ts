import { describe, expect, it } from 'vitest';
import {
  omitUndefined,
  optionalBase64Url,
  optionalHexClaim,
  optionalIntegerClaim,
  optionalStringClaim,
  requiredHexClaim,
  requiredIntegerClaim,
  optionalBase64UrlBytes,
  optionalBoolean,
  optionalHex,
  optionalObject,
  optionalString,
  optionalStringRecord,
  optionalUint,
  optionalUint16,
  optionalUintArray,
  ownClaim,
  requiredBoolean,
  requiredHex,
  requiredNonEmptyString,
  requiredObject,
  requiredString,
  requiredUint16,
} from '../../src/claims/read.js';
import { claimError } from './helpers.js';

describe('ownClaim', () => {
  it('returns own members, including falsy ones', () => {
    expect(ownClaim({ a: 0, b: false, c: null }, 'a')).toBe(0);
    expect(ownClaim({ a: 0, b: false, c: null }, 'b')).toBe(false);
    expect(ownClaim({ a: 0, b: false, c: null }, 'c')).toBeNull();
  });

  it('never falls through to Object.prototype', () => {
    const payload = JSON.parse('{"a": 1}') as Record<string, unknown>;
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__']) {
      expect(ownClaim(payload, name)).toBeUndefined();
    }
  });

  it('reads an own __proto__ key as plain data, without it supplying other claims', () => {
    const payload = JSON.parse('{"__proto__": {"x-ms-sgx-svn": 7, "secret": "s"}}') as Record<string, unknown>;
    expect(ownClaim(payload, '__proto__')).toEqual({ 'x-ms-sgx-svn': 7, secret: 's' });
    expect(ownClaim(payload, 'x-ms-sgx-svn')).toBeUndefined();
    expect(ownClaim(payload, 'secret')).toBeUndefined();
  });

  it('ignores members inherited through a real prototype', () => {
    const payload = Object.create({ inherited: 'yes' }) as Record<string, unknown>;
    expect(ownClaim(payload, 'inherited')).toBeUndefined();
  });
});

describe('absent versus invalid', () => {
  it('a required claim that is missing names the claim and what was expected', () => {
    const error = claimError(() => requiredString({}, 'x-ms-thing'));
    expect(error.message).toContain('"x-ms-thing"');
    expect(error.message).toContain('missing');
    expect(error.message).toContain('a string');
  });

  it('an optional claim that is missing reads as undefined', () => {
    expect(optionalString({}, 'x')).toBeUndefined();
    expect(optionalHex({}, 'x', 4)).toBeUndefined();
    expect(optionalUint16({}, 'x')).toBeUndefined();
    expect(optionalUint({}, 'x')).toBeUndefined();
    expect(optionalUintArray({}, 'x')).toBeUndefined();
    expect(optionalBoolean({}, 'x')).toBeUndefined();
    expect(optionalObject({}, 'x')).toBeUndefined();
    expect(optionalStringRecord({}, 'x')).toBeUndefined();
    expect(optionalBase64Url({}, 'x')).toBeUndefined();
    expect(optionalBase64UrlBytes({}, 'x')).toBeUndefined();
  });

  it('an optional claim set to null is refused, not treated as absent', () => {
    claimError(() => optionalString({ x: null }, 'x'));
    claimError(() => optionalBoolean({ x: null }, 'x'));
    claimError(() => optionalObject({ x: null }, 'x'));
  });

  it('prototype names are absent, so required ones are missing and optional ones undefined', () => {
    expect(claimError(() => requiredString({}, 'constructor')).message).toContain('missing');
    expect(claimError(() => requiredObject({}, 'toString')).message).toContain('missing');
    expect(optionalObject({}, 'constructor')).toBeUndefined();
    expect(optionalString({}, 'toString')).toBeUndefined();
  });
});

describe('quoting', () => {
  it('shows the offending value only as quote() gives it', () => {
    const long = `${'A'.repeat(200)}\u001b[31m`;
    const error = claimError(() => requiredHex({ h: long }, 'h', 64));
    expect(error.message).not.toContain('A'.repeat(65));
    expect(error.message).not.toContain('\u001b');
    expect(error.message).toContain('64 hex digits');
  });

  it('describes objects and arrays by kind only', () => {
    const error = claimError(() => requiredString({ s: { secret: 'do-not-echo' } }, 's'));
    expect(error.message).not.toContain('do-not-echo');
    expect(error.message).toContain('<object>');
  });
});

describe('strings', () => {
  it('accepts strings (empty too) and refuses other JSON types', () => {
    expect(requiredString({ s: 'x' }, 's')).toBe('x');
    expect(requiredString({ s: '' }, 's')).toBe('');
    for (const bad of [1, true, null, ['x'], { s: 'x' }]) claimError(() => requiredString({ s: bad }, 's'));
  });

  it('non-empty strings refuse the empty string', () => {
    expect(requiredNonEmptyString({ s: 'x' }, 's')).toBe('x');
    claimError(() => requiredNonEmptyString({ s: '' }, 's'));
    claimError(() => requiredNonEmptyString({}, 's'));
  });
});

describe('hex', () => {
  it('accepts either case and returns lower case', () => {
    expect(requiredHex({ h: 'aBcD' }, 'h', 4)).toBe('abcd');
    expect(optionalHex({ h: '0F1e' }, 'h', 4)).toBe('0f1e');
  });

  it('refuses a wrong length', () => {
    claimError(() => requiredHex({ h: 'abc' }, 'h', 4));
    claimError(() => requiredHex({ h: 'abcde' }, 'h', 4));
    claimError(() => requiredHex({ h: '' }, 'h', 4));
    claimError(() => optionalHex({ h: 'a'.repeat(63) }, 'h', 64));
  });

  it('refuses non-hex characters and non-strings', () => {
    for (const bad of ['abcg', 'ab c', '0x12', 'ab-d', 'abc\n', '１２３４']) claimError(() => requiredHex({ h: bad }, 'h', 4));
    for (const bad of [1234, null, true, ['abcd']]) claimError(() => requiredHex({ h: bad }, 'h', 4));
  });
});

describe('uint16', () => {
  it('accepts integers 0..65535', () => {
    expect(requiredUint16({ n: 0 }, 'n')).toBe(0);
    expect(requiredUint16({ n: 65535 }, 'n')).toBe(65535);
    expect(optionalUint16({ n: 3 }, 'n')).toBe(3);
  });

  it.each([
    ['"3"', '3'],
    ['3.5', 3.5],
    ['-1', -1],
    ['65536', 65536],
    ['true', true],
    ['null', null],
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
  ])('refuses %s', (_label, bad) => {
    claimError(() => requiredUint16({ n: bad }, 'n'));
    claimError(() => optionalUint16({ n: bad }, 'n'));
  });

  it('names the claim and the range', () => {
    expect(claimError(() => requiredUint16({ 'x-ms-sgx-svn': '3' }, 'x-ms-sgx-svn')).message).toMatch(/"x-ms-sgx-svn".*0\.\.65535.*"3"/);
  });
});

describe('non-negative integers', () => {
  it('accepts any non-negative safe integer', () => {
    expect(optionalUint({ n: 0 }, 'n')).toBe(0);
    expect(optionalUint({ n: 115 }, 'n')).toBe(115);
    expect(optionalUint({ n: Number.MAX_SAFE_INTEGER }, 'n')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses strings, fractions, negatives, unsafe integers and booleans', () => {
    for (const bad of ['3', 3.5, -1, 2 ** 53, true, null]) claimError(() => optionalUint({ n: bad }, 'n'));
  });

  it('arrays must hold only such integers, and are checked in place (the verifier freezes the payload)', () => {
    const source = [0, 1, 7];
    const read = optionalUintArray({ a: source }, 'a');
    expect(read).toEqual([0, 1, 7]);
    expect(read).toBe(source);
    expect(optionalUintArray({ a: [] }, 'a')).toEqual([]);
    for (const bad of [[0, '1'], [-1], [1.5], 'x', { 0: 1 }]) claimError(() => optionalUintArray({ a: bad }, 'a'));
  });
});

describe('booleans', () => {
  it('accepts JSON booleans only', () => {
    expect(requiredBoolean({ b: false }, 'b')).toBe(false);
    expect(optionalBoolean({ b: true }, 'b')).toBe(true);
    for (const bad of ['false', 'true', 0, 1, null, []]) {
      claimError(() => requiredBoolean({ b: bad }, 'b'));
      claimError(() => optionalBoolean({ b: bad }, 'b'));
    }
  });

  it('a missing required boolean is an error, not false', () => {
    claimError(() => requiredBoolean({}, 'b'));
  });
});

describe('objects', () => {
  it('accepts JSON objects and refuses arrays, null and primitives', () => {
    expect(optionalObject({ o: { a: 1 } }, 'o')).toEqual({ a: 1 });
    expect(requiredObject({ o: {} }, 'o')).toEqual({});
    for (const bad of [[], [{}], null, 'x', 1, true]) {
      claimError(() => optionalObject({ o: bad }, 'o'));
      claimError(() => requiredObject({ o: bad }, 'o'));
    }
  });

  it('string records need every member to be a string, and are checked in place (the verifier freezes the payload)', () => {
    const source = { a: 'x', b: 'y' };
    const read = optionalStringRecord({ r: source }, 'r');
    expect(read).toEqual(source);
    expect(read).toBe(source);
    for (const bad of [{ a: 1 }, { a: 'x', b: null }, { a: {} }, ['x'], 'x']) claimError(() => optionalStringRecord({ r: bad }, 'r'));
  });

  it('a string record keeps an own __proto__ member as data', () => {
    const payload = JSON.parse('{"r": {"__proto__": "x"}}') as Record<string, unknown>;
    const read = optionalStringRecord(payload, 'r');
    expect(read && Object.hasOwn(read, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
  });
});

describe('base64url', () => {
  it('decodes canonical unpadded base64url into a fresh Uint8Array', () => {
    const bytes = optionalBase64UrlBytes({ b: '-_8' }, 'b');
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect([...(bytes ?? [])]).toEqual([0xfb, 0xff]);
    expect(bytes?.byteOffset).toBe(0);
    expect(bytes?.buffer.byteLength).toBe(2);
    expect([...(optionalBase64UrlBytes({ b: '' }, 'b') ?? [1])]).toEqual([]);
    expect(optionalBase64Url({ b: 'AQID' }, 'b')).toBe('AQID');
  });

  it.each([
    ['padding', 'AQ=='],
    ['standard alphabet +', '+/8'],
    ['standard alphabet /', 'ab/c'],
    ['whitespace', 'AQ ID'],
    ['impossible length', 'AQIDB'],
    ['non-zero trailing bits', 'AR'],
    ['a dot', 'AQ.D'],
  ])('refuses %s', (_label, bad) => {
    claimError(() => optionalBase64UrlBytes({ b: bad }, 'b'));
    claimError(() => optionalBase64Url({ b: bad }, 'b'));
  });

  it('refuses non-strings', () => {
    for (const bad of [1, null, [], {}]) claimError(() => optionalBase64UrlBytes({ b: bad }, 'b'));
  });
});

describe('omitUndefined', () => {
  it('drops undefined members only', () => {
    const view = omitUndefined({ a: 1, b: undefined, c: false, d: null, e: '' });
    expect(Object.keys(view)).toEqual(['a', 'c', 'd', 'e']);
  });
});

describe('readers whose format comes from the claim catalogue', () => {
  it('take hex lengths, integer ranges and enumerations from the catalogue', () => {
    expect(requiredHexClaim({ tdx_mrtd: 'AB'.repeat(48) }, 'tdx_mrtd')).toBe('ab'.repeat(48));
    claimError(() => requiredHexClaim({ tdx_mrtd: 'ab'.repeat(32) }, 'tdx_mrtd'));
    expect(optionalHexClaim({}, 'tdx_xfam')).toBeUndefined();
    expect(requiredIntegerClaim({ 'x-ms-sgx-svn': 65535 }, 'x-ms-sgx-svn')).toBe(65535);
    claimError(() => requiredIntegerClaim({ 'x-ms-sgx-svn': 65536 }, 'x-ms-sgx-svn'));
    claimError(() => optionalIntegerClaim({ 'x-ms-sevsnpvm-snpfw-svn': 256 }, 'x-ms-sevsnpvm-snpfw-svn'));
    expect(optionalStringClaim({ dbgstat: 'disabled' }, 'dbgstat')).toBe('disabled');
    expect(claimError(() => optionalStringClaim({ dbgstat: 'off' }, 'dbgstat')).message).toContain('one of "enabled"');
  });

  it('refuse, as a bug in this library, a claim the catalogue does not type that way', () => {
    expect(() => requiredHexClaim({ x: 'ab' }, 'x-ms-not-a-claim')).toThrow(TypeError);
    expect(() => optionalIntegerClaim({}, 'x-ms-sgx-mrenclave')).toThrow(/types x-ms-sgx-mrenclave as hex, not integer/);
  });
});
