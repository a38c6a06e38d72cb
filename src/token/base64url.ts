/**
 * Strict base64url for JWS segments (RFC 7515 §2: no padding, no line breaks, no other characters).
 * Node's decoder skips characters it does not know, accepts standard base64's `+` and `/` as well, reads
 * a character above U+00FF by its low byte (`Ł`, U+0141, decodes as `A`), and ignores non-zero trailing
 * bits, so a token could be altered without changing what it decodes to. We accept only the one
 * canonical spelling of each byte string, which also keeps "same token" and "same bytes" the same thing
 * for caches keyed by token.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The 6-bit value of each ASCII character, -1 for characters outside the alphabet. */
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/**
 * Only the last character can carry stray bits: with two characters in the final group it encodes 4
 * unused bits, with three it encodes 2, and those must be zero ("QR" and "QQ" would otherwise both
 * decode to "A"). An O(1) check instead of re-encoding.
 */
function hasZeroTrailingBits(text: string): boolean {
  const rest = text.length % 4;
  if (rest === 0) return true;
  const last = VALUE[text.charCodeAt(text.length - 1)] ?? -1;
  return last >= 0 && (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** True when `text` is canonical unpadded base64url. One pass over the characters, no regular expression. */
export function isCanonicalBase64Url(text: string): boolean {
  if (text.length % 4 === 1) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f || VALUE[code]! < 0) return false;
  }
  return hasZeroTrailingBits(text);
}

/**
 * Decodes canonical unpadded base64url, or returns undefined. Checked while decoding rather than by a
 * pass before it: Node's native decoder drops every character outside both base64 alphabets, so the
 * decoded length is exactly ⌊3n/4⌋ only when none was dropped (for n mod 4 ≠ 1 a single dropped
 * character already shortens it); `+` and `/`, which it accepts, are looked for separately; a character
 * above U+007F, which it misreads, makes the UTF-8 length differ from the string length. `ascii: true`
 * skips that last check when the caller already knows the whole token is ASCII.
 */
export function decodeBase64UrlStrict(segment: string, ascii = false): Buffer | undefined {
  const length = canonicalDecodedLength(segment, ascii);
  if (length === undefined) return undefined;
  const bytes = Buffer.allocUnsafe(length);
  return decodeBase64UrlInto(segment, length, bytes) ? bytes : undefined;
}

/**
 * The checks `decodeBase64UrlStrict` makes before decoding: the byte length `segment` decodes to, or
 * undefined when it cannot be canonical base64url.
 */
export function canonicalDecodedLength(segment: string, ascii: boolean): number | undefined {
  if (segment.length % 4 === 1 || segment.includes('+') || segment.includes('/')) return undefined;
  if (!ascii && Buffer.byteLength(segment, 'utf8') !== segment.length) return undefined;
  return (segment.length * 3) >>> 2;
}

/**
 * Decodes `segment` (which passed `canonicalDecodedLength`) into the first `length` bytes of `target`;
 * false when a character was dropped or stray bits were set, i.e. it was not canonical after all.
 * Lets a caller decode into a buffer it reuses (a JSON segment lives only until it is parsed).
 */
export function decodeBase64UrlInto(segment: string, length: number, target: Buffer): boolean {
  return target.write(segment, 0, length, 'base64url') === length && hasZeroTrailingBits(segment);
}
