import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttestationError } from '../../src/errors.js';
import { parseDictionary, serializeBareItem, serializeMember, type Limits } from '../../src/possession/structured-fields.js';
import { ACCEPTED, outcome } from '../helpers/outcome.js';

const LIMITS: Limits = { maxLength: 512, maxMembers: 4, maxInnerListItems: 4, maxParameters: 4, maxStringLength: 32, maxBytesLength: 16 };

function parse(text: string, limits: Limits = LIMITS) {
  return parseDictionary(text, 'Test', limits);
}

const code = (text: string, limits?: Limits): string => outcome(() => parse(text, limits));

describe('parseDictionary: the RFC 8941 subset', () => {
  it('parses items, inner lists, parameters and every supported bare item type', () => {
    const parsed = parse('a=1, b="x\\"y\\\\", c=tok/en:1, d=:AQID:, e=?0, f, g=("s" 2);p=-3;q, h=*t;k="v"', { ...LIMITS, maxMembers: 8 });
    const value = (key: string) => parsed.get(key)?.member;
    expect(value('a')).toEqual({ kind: 'item', value: { type: 'integer', value: 1 }, parameters: [] });
    expect(value('b')).toMatchObject({ value: { type: 'string', value: 'x"y\\' } });
    expect(value('c')).toMatchObject({ value: { type: 'token', value: 'tok/en:1' } });
    expect(value('d')).toMatchObject({ value: { type: 'bytes', value: Buffer.from([1, 2, 3]) } });
    expect(value('e')).toMatchObject({ value: { type: 'boolean', value: false } });
    expect(value('f')).toMatchObject({ value: { type: 'boolean', value: true } });
    expect(value('g')).toEqual({
      kind: 'inner-list',
      items: [
        { kind: 'item', value: { type: 'string', value: 's' }, parameters: [] },
        { kind: 'item', value: { type: 'integer', value: 2 }, parameters: [] },
      ],
      parameters: [
        ['p', { type: 'integer', value: -3 }],
        ['q', { type: 'boolean', value: true }],
      ],
    });
    expect(parsed.get('g')?.text).toBe('("s" 2);p=-3;q');
    expect(serializeMember(value('h')!)).toBe('*t;k="v"');
  });

  it.each([
    ['an empty field', ''],
    ['only spaces', '   '],
    ['a decimal', 'a=1.5'],
    ['a 16-digit integer', 'a=1234567890123456'],
    ['a leading zero', 'a=01'],
    ['minus zero', 'a=-0'],
    ['a bare minus', 'a=-'],
    ['a duplicate key', 'a=1, a=2'],
    ['a duplicate parameter', 'a=1;p=1;p=2'],
    ['a trailing comma', 'a=1,'],
    ['a missing comma', 'a=1 b=2'],
    ['an upper-case key', 'A=1'],
    ['a key starting with a digit', '1a=1'],
    ['an unterminated string', 'a="x'],
    ['a bad escape', 'a="\\n"'],
    ['a control character in a string', 'a="\t"'],
    ['a non-ASCII string', 'a="é"'],
    ['an unterminated byte sequence', 'a=:AQID'],
    ['base64 without padding', 'a=:AQI:'],
    ['base64url characters', 'a=:-_8=:'],
    ['non-zero trailing bits', 'a=:AQJ=:'],
    ['an invalid boolean', 'a=?2'],
    ['an unterminated inner list', 'a=(1 2'],
    ['inner list items without a space', 'a=(1"x")'],
    ['a nested inner list', 'a=((1))'],
    ['a leading tab', '\ta=1'],
    ['garbage after a member', 'a=1;'],
    ['a date item (RFC 9651)', 'a=@1659578233'],
    ['a display string (RFC 9651)', 'a=%"x"'],
  ])('refuses %s', (_name, text) => {
    expect(code(text)).toBe('ERR_POSSESSION');
  });

  it.each([
    ['too long a field', `a="${'x'.repeat(10)}"`, { maxLength: 8 }],
    ['too many members', 'a, b, c', { maxMembers: 2 }],
    ['too many inner list items', 'a=(1 2 3)', { maxInnerListItems: 2 }],
    ['too many parameters', 'a;b;c', { maxParameters: 1 }],
    ['too long a string', 'a="abcdef"', { maxStringLength: 5 }],
    ['too long a token', 'a=abcdef', { maxStringLength: 5 }],
    ['too long a byte sequence', `a=:${Buffer.alloc(20).toString('base64')}:`, { maxBytesLength: 16 }],
    ['too long a key', `${'k'.repeat(65)}=1`, {}],
  ])('refuses %s', (_name, text, limits) => {
    expect(code(text, { ...LIMITS, ...limits })).toBe('ERR_POSSESSION');
  });

  it('never quotes more than a short slice of the input in its messages', () => {
    const key = 'k'.repeat(64);
    expect(() => parse(`${key}=1, ${key}=2`, { ...LIMITS, maxLength: 4096 })).toThrow(/^Test: duplicate key "k{64}" at offset \d+$/);
    expect(() => parse(`a="${'\u0001'.repeat(300)}"`, { ...LIMITS, maxLength: 4096 })).toThrow(
      /^Test: invalid character in string at offset 3$/,
    );
  });

  it('serializes strings with escapes and refuses what a string cannot hold', () => {
    expect(serializeBareItem({ type: 'string', value: 'a"b\\c' })).toBe('"a\\"b\\\\c"');
    expect(() => serializeBareItem({ type: 'string', value: 'line\nbreak' })).toThrow(AttestationError);
    expect(() => serializeBareItem({ type: 'integer', value: 1e16 })).toThrow(AttestationError);
  });

  it('only ever throws AttestationError, on any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab1=();:"\\ ,?*-.\t@%/+'), maxLength: 60 }), (text) => {
        const result = code(text);
        expect([ACCEPTED, 'ERR_POSSESSION']).toContain(result);
      }),
      { numRuns: 500 },
    );
  });

  it('parses what it serializes (round trip of string inner lists with parameters)', () => {
    const printable = fc.string({ unit: fc.constantFrom(...' !#"\\az09-_.~'), maxLength: 10 });
    fc.assert(
      fc.property(fc.array(printable, { maxLength: 4 }), fc.nat({ max: 999_999_999 }), printable, (items, created, keyid) => {
        const text = serializeMember({
          kind: 'inner-list',
          items: items.map((value) => ({ kind: 'item', value: { type: 'string', value }, parameters: [] })),
          parameters: [
            ['created', { type: 'integer', value: created }],
            ['keyid', { type: 'string', value: keyid }],
          ],
        });
        const parsed = parse(`sig1=${text}`).get('sig1');
        expect(parsed?.text).toBe(text);
        expect(serializeMember(parsed!.member)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
