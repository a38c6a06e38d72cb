/**
 * Strict base64url for JWS segments (RFC 7515 §2: no padding, no line breaks, no other characters).
 * Node's decoder skips characters it does not know and ignores non-zero trailing bits, so a token could
 * be altered without changing what it decodes to; we accept only the one canonical spelling of each
 * byte string, which also keeps "same token" and "same bytes" the same thing for caches keyed by token.
 */
const ALPHABET = /^[A-Za-z0-9_-]*$/;
const INDEX = new Map([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].map((c, i) => [c, i]));

/**
 * True when `text` is canonical unpadded base64url. Only the last character can carry stray bits: with
 * two characters in the final group it encodes 4 unused bits, with three it encodes 2, and those must be
 * zero ("QR" and "QQ" would otherwise both decode to "A"). An O(1) check instead of re-encoding.
 */
export function isCanonicalBase64Url(text: string): boolean {
  const rest = text.length % 4;
  if (rest === 1 || !ALPHABET.test(text)) return false;
  if (rest === 0) return true;
  const last = INDEX.get(text[text.length - 1]!)!;
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

export function decodeBase64UrlStrict(segment: string): Buffer | undefined {
  return isCanonicalBase64Url(segment) ? Buffer.from(segment, 'base64url') : undefined;
}
