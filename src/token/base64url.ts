/**
 * Strict base64url for JWS segments (RFC 7515 §2: no padding, no line breaks, no other characters).
 * Node's decoder skips characters it does not know and ignores non-zero trailing bits, so a token could
 * be altered without changing what it decodes to; we accept only the one canonical spelling of each
 * byte string, which also keeps "same token" and "same bytes" the same thing for caches keyed by token.
 */
const ALPHABET = /^[A-Za-z0-9_-]*$/;

export function decodeBase64UrlStrict(segment: string): Buffer | undefined {
  if (segment.length % 4 === 1 || !ALPHABET.test(segment)) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  // Re-encoding rejects non-canonical trailing bits (e.g. "QR" and "QQ" both decode to "A").
  if (bytes.toString('base64url') !== segment) return undefined;
  return bytes;
}
