/**
 * Text helpers for the CLI: tables, relative times, and safe display of values taken from a token.
 *
 * Everything shown from a token is attacker-controlled: a claim value holding an ANSI escape sequence
 * could rewrite the terminal (hide a line, fake a verdict). `printable` escapes such characters before
 * anything reaches the screen.
 */

// C0 and C1 controls, DEL, and the Unicode bidi controls that can reorder what a terminal displays.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Text safe for a terminal line: control and bidi characters escaped. */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

// What JSON.stringify leaves raw inside strings (it escapes C0 itself; the layout's newlines must stay).
const UNSAFE_IN_JSON = /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** JSON for stdout: JSON.stringify leaves DEL, C1 and bidi controls raw, which a terminal may still obey. */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, jsonReplacer, 2).replace(UNSAFE_IN_JSON, escapeChar);
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
    const items = value.map((item) => (typeof item === 'object' && item !== null ? (Array.isArray(item) ? '[…]' : '{…}') : displayValue(item, 16)));
    return `[${value.length} item${value.length === 1 ? '' : 's'}${items.length > 0 ? `: ${cutList(items, max)}` : ''}]`;
  }
  if (typeof value === 'object') {
    const names = Object.keys(value);
    const list = names.length > 0 ? `: ${cutList(names.map((n) => printable(shorten(n, 32))), max)}` : '';
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
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - [...cell].length)))
        .join(gap)
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
