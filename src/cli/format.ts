/**
 * Text helpers for the CLI: tables, relative times, and safe display of values taken from a token.
 *
 * Everything shown from a token is attacker-controlled: a claim value holding an ANSI escape sequence
 * could rewrite the terminal (hide a line, fake a verdict). `printable` escapes such characters before
 * anything reaches the screen.
 */

/**
 * Characters that a terminal obeys, hides or draws as something else: controls (C0, DEL, C1), format
 * characters (bidi controls that reorder a line, ZWSP/ZWJ, BOM, soft hyphen, tag characters), the line and
 * paragraph separators, every space but the ASCII one, lone surrogates, private-use and unassigned code
 * points, and the default-ignorable ones that render as nothing (Hangul fillers U+115F/U+1160/U+3164/
 * U+FFA0, variation selectors, the combining grapheme joiner), plus the blank Braille pattern. With any of
 * them a claim row could be made to look exactly like `x-ms-sgx-is-debuggable`; escaped, it cannot.
 */
// \p{Zs} but U+0020, spelled out: the set subtraction of the v flag needs an ES2024 target.
const ODD_SPACES = String.raw`\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000`;
const INVISIBLE_CLASSES = String.raw`\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}\p{Default_Ignorable_Code_Point}\u2800${ODD_SPACES}`;
const INVISIBLE = new RegExp(String.raw`[\p{Cc}${INVISIBLE_CLASSES}]`, 'gu');

/** `\uXXXX` for a BMP character, `\u{XXXXX}` beyond it. */
function escapeCodePoint(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Text safe for a terminal line: control, bidi and invisible characters escaped visibly. */
export function printable(text: string): string {
  return text.replace(INVISIBLE, escapeCodePoint);
}

/**
 * A name shown from a token (a claim or header member name): MAA's names are ASCII, so every other
 * character is escaped, and a look-alike letter (Cyrillic а for Latin a) cannot pass for a real name.
 */
export function printableName(text: string): string {
  return text.replace(/[^\x20-\x7e]/gu, escapeCodePoint);
}

// In JSON, the same characters as \uXXXX per UTF-16 unit (JSON has no \u{…}); the layout's own newlines
// are not in any string and stay, and JSON.stringify has escaped C0 inside strings already.
const INVISIBLE_IN_JSON = new RegExp(String.raw`[\u0000-\u0009\u000b-\u001f\u007f-\u009f${INVISIBLE_CLASSES}]`, 'gu');

function escapeUtf16(c: string): string {
  let out = '';
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/** Deeper than this, `--json` shows a marker instead of the value: no real token nests beyond ~5. */
export const JSON_MAX_DEPTH = 64;

/**
 * JSON for stdout that never fails and never writes a character a terminal would obey or hide. A token
 * nested thousands deep is valid JSON that JSON.stringify (recursive, with a replacer) cannot print, so
 * values deeper than JSON_MAX_DEPTH are replaced by a marker string first.
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(limitDepth(value, 0), jsonReplacer, 2).replace(INVISIBLE_IN_JSON, escapeUtf16);
}

function limitDepth(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array || value instanceof Date) return value;
  if (depth >= JSON_MAX_DEPTH) return `<nested deeper than ${JSON_MAX_DEPTH} levels: not shown>`;
  if (Array.isArray(value)) return value.map((item: unknown) => limitDepth(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(value)) {
    // defineProperty, not assignment: a `__proto__` member stays a member, as JSON.parse made it.
    Object.defineProperty(copy, name, { value: limitDepth(member, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64url');
  if (value instanceof Date) return value.toISOString();
  return value;
}

/** Cuts a string to `max` characters, keeping both ends: measurements are recognised by head and tail. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = Math.max(4, Math.floor((max - 1) / 3));
  const head = max - 1 - tail;
  return `${text.slice(0, head)}…${text.slice(text.length - tail)}`;
}

/**
 * One line for any JSON value. Strings keep their quotes because the type matters to a verifier
 * (`"false"` is not `false`); objects and arrays are summarised by their members.
 */
export function displayValue(value: unknown, max = 48): string {
  if (typeof value === 'string') return printable(JSON.stringify(shorten(value, max)));
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) {
    const items = value.map((item) =>
      typeof item === 'object' && item !== null ? (Array.isArray(item) ? '[…]' : '{…}') : displayValue(item, 16),
    );
    return `[${value.length} item${value.length === 1 ? '' : 's'}${items.length > 0 ? `: ${cutList(items, max)}` : ''}]`;
  }
  if (typeof value === 'object') {
    const names = Object.keys(value);
    const list =
      names.length > 0
        ? `: ${cutList(
            names.map((n) => printableName(shorten(n, 32))),
            max,
          )}`
        : '';
    return `{${names.length} member${names.length === 1 ? '' : 's'}${list}}`;
  }
  return `<${typeof value}>`;
}

/** As many whole items as fit in `max` characters, then an ellipsis. */
function cutList(items: readonly string[], max: number): string {
  let text = '';
  for (const [index, item] of items.entries()) {
    const next = index === 0 ? item : `${text}, ${item}`;
    if (next.length > max && index > 0) return `${text}, …`;
    text = next;
  }
  return text;
}

interface TableOptions {
  readonly header?: readonly string[];
  readonly indent?: number;
  /** Spaces between columns. */
  readonly gap?: number;
}

/** Left-aligned columns; the last column is not padded so lines carry no trailing blanks. */
export function table(rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  const all = options.header === undefined ? rows : [options.header, ...rows];
  const columns = Math.max(0, ...all.map((row) => row.length));
  const widths: number[] = [];
  for (let column = 0; column < columns; column++) {
    widths.push(Math.max(0, ...all.map((row) => [...(row[column] ?? '')].length)));
  }
  const indent = ' '.repeat(options.indent ?? 2);
  const gap = ' '.repeat(options.gap ?? 2);
  const lines = all.map((row) =>
    (
      indent +
      row.map((cell, column) => (column === row.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - [...cell].length))).join(gap)
    ).trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONTH = 30.44 * DAY;
const YEAR = 365.25 * DAY;

function count(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** A duration as one rounded-down unit: "42 s", "7 min", "7 h", "3 days", "5 months", "3 years". */
export function duration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < MINUTE) return `${Math.floor(abs / SECOND)} s`;
  if (abs < HOUR) return `${Math.floor(abs / MINUTE)} min`;
  if (abs < 48 * HOUR) return `${Math.floor(abs / HOUR)} h`;
  if (abs < 60 * DAY) return count(Math.floor(abs / DAY), 'day');
  if (abs < 2 * YEAR) return count(Math.floor(abs / MONTH), 'month');
  return count(Math.floor(abs / YEAR), 'year');
}

/** `target` seen from `now`: "in 7 h", "3 years ago", "now". */
export function relativeTime(targetMs: number, nowMs: number): string {
  const diff = targetMs - nowMs;
  if (Math.abs(diff) < SECOND) return 'now';
  return diff > 0 ? `in ${duration(diff)}` : `${duration(diff)} ago`;
}

/** A Date as UTC ISO 8601, milliseconds dropped: they only add noise next to whole-second token times. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Seconds since the epoch as UTC ISO 8601 without milliseconds (MAA times are whole seconds). */
export function utcIso(seconds: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  return Number.isInteger(seconds) ? iso.replace('.000Z', 'Z') : iso;
}
