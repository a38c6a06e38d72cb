import { describe, expect, it } from 'vitest';
import { displayValue, duration, printable, relativeTime, safeJson, shorten, table, utcIso } from '../../src/cli/format.js';

describe('relativeTime', () => {
  const now = Date.UTC(2025, 5, 1);
  it.each([
    [now + 7 * 3600_000 + 59 * 60_000, 'in 7 h'],
    [now - 3 * 365.25 * 86_400_000 - 1000, '3 years ago'],
    [now + 30_000, 'in 30 s'],
    [now - 12 * 60_000, '12 min ago'],
    [now - 3 * 86_400_000, '3 days ago'],
    [now + 86_400_000 * 40, 'in 40 days'],
    [now - 86_400_000 * 100, '3 months ago'],
    [now - 400, 'now'],
  ])('%d', (target, expected) => {
    expect(relativeTime(target, now)).toBe(expected);
  });

  it('uses singular units', () => {
    expect(duration(366 * 86_400_000 * 2)).toBe('2 years');
    expect(duration(61 * 86_400_000)).toBe('2 months');
    expect(relativeTime(Date.UTC(2024, 0, 1), Date.UTC(2026, 0, 2))).toBe('2 years ago');
  });
});

describe('display helpers', () => {
  it('shortens long values keeping both ends', () => {
    const hex = '292a1f4b519e46627eb2478a3d9851405653c5b4b0a6925de843834d9216850e';
    const short = shorten(hex, 24);
    expect(short).toHaveLength(24);
    expect(short.startsWith('292a1f4b')).toBe(true);
    expect(short.endsWith('6850e')).toBe(true);
    expect(shorten('short', 24)).toBe('short');
  });

  it('keeps string quotes, summarises objects and arrays', () => {
    expect(displayValue('false')).toBe('"false"');
    expect(displayValue(false)).toBe('false');
    expect(displayValue({ a: 1, b: { c: 2 } })).toBe('{2 members: a, b}');
    expect(displayValue([0, 1, 2])).toBe('[3 items: 0, 1, 2]');
    expect(displayValue([])).toBe('[0 items]');
  });

  it('escapes terminal control and bidi characters from untrusted text', () => {
    expect(printable('a\u001b[2Jb\u202ec')).toBe('a\\u001b[2Jb\\u202ec');
    expect(displayValue('\u009b31m')).not.toContain('\u009b');
    const json = safeJson({ text: 'x\u009by\u2066' });
    expect(json).not.toMatch(/[\u009b\u2066]/);
    expect(JSON.parse(json)).toEqual({ text: 'x\u009by\u2066' });
  });

  it('aligns table columns without trailing blanks', () => {
    expect(table([['a', 'bb', 'c'], ['ddd', 'e', '']], { header: ['h1', 'h2', 'h3'] })).toBe(
      '  h1   h2  h3\n  a    bb  c\n  ddd  e\n',
    );
  });

  it('prints epoch seconds as UTC ISO without milliseconds', () => {
    expect(utcIso(1654037276)).toBe('2022-05-31T22:47:56Z');
  });
});
