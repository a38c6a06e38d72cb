import { describe, expect, it } from 'vitest';
import {
  displayValue,
  duration,
  JSON_MAX_DEPTH,
  printable,
  printableName,
  relativeTime,
  safeJson,
  shorten,
  table,
  utcIso,
} from '../../src/cli/format.js';

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

  it('escapes invisible and look-alike characters visibly: ZWSP, BOM, U+2028, tags, Hangul fillers, odd spaces', () => {
    expect(printable('a\u200bb\ufeffc\u2028d\u{e0041}e\u3164f\u00a0g\u2800h')).toBe(
      'a\\u200bb\\ufeffc\\u2028d\\u{e0041}e\\u3164f\\u00a0g\\u2800h',
    );
    // Letters of any script, emoji and the ASCII space stay as they are in values…
    expect(printable('Ünïcode ключ 😀 x')).toBe('Ünïcode ключ 😀 x');
    // …but not in names, which MAA writes in ASCII: a Cyrillic е cannot pass for a Latin e.
    expect(printableName('x-ms-sgx-is-d\u0435buggable')).toBe('x-ms-sgx-is-d\\u0435buggable');
    expect(printableName('x-ms-😀')).toBe('x-ms-\\u{1f600}');
  });

  it('safeJson escapes the same characters as JSON escapes and round-trips', () => {
    const value = { 'k\u200b': 'a\u2028b\u{e0041}\ud800\u3164' };
    const json = safeJson(value);
    expect(json).toMatch(/^[\x20-\x7e\n]*$/u);
    expect(JSON.parse(json)).toEqual(value);
  });

  it(`safeJson prints any depth, cutting below ${JSON_MAX_DEPTH} levels`, () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const printed = JSON.parse(safeJson({ deep })) as { deep: unknown };
    let level: unknown = printed.deep;
    let depth = 1;
    while (Array.isArray(level)) {
      level = level[0];
      depth++;
    }
    expect(depth).toBe(JSON_MAX_DEPTH);
    expect(level).toBe(`<nested deeper than ${JSON_MAX_DEPTH} levels: not shown>`);
    const shallow = { a: [1, { b: 'c' }], when: new Date(0), bytes: new Uint8Array([1, 2]) };
    expect(JSON.parse(safeJson(shallow))).toEqual({ a: [1, { b: 'c' }], when: '1970-01-01T00:00:00.000Z', bytes: 'AQI' });
  });

  it('aligns table columns without trailing blanks', () => {
    expect(
      table(
        [
          ['a', 'bb', 'c'],
          ['ddd', 'e', ''],
        ],
        { header: ['h1', 'h2', 'h3'] },
      ),
    ).toBe('  h1   h2  h3\n  a    bb  c\n  ddd  e\n');
  });

  it('prints epoch seconds as UTC ISO without milliseconds', () => {
    expect(utcIso(1654037276)).toBe('2022-05-31T22:47:56Z');
  });
});
