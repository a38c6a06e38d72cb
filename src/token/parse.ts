import { isAscii, isUtf8 } from 'node:buffer';
import { AttestationError, quote } from '../errors.js';
import { canonicalDecodedLength, decodeBase64UrlInto, decodeBase64UrlStrict } from './base64url.js';

/** A compact JWS split and decoded, before any of its content is trusted. */
export interface ParsedToken {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  /** The ASCII bytes the signature covers: `<header>.<payload>`. */
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

/** A compact JWS cut into its three segments, each still base64url text. */
export interface TokenSegments {
  readonly header: string;
  readonly payload: string;
  readonly signature: string;
  /** `<header>.<payload>`: the text whose ASCII bytes the signature covers (`signingInputOf`). */
  readonly signed: string;
  /** True when the whole token is ASCII, so the segments need no further check for it. */
  readonly ascii: boolean;
}

export const DEFAULT_MAX_TOKEN_BYTES = 16 * 1024;

/**
 * Step 1 of verification: the token is a string within `maxTokenBytes`, in compact JWS form, with a JSON
 * object for header and payload. JSON.parse creates a `__proto__` member as an own data property, never
 * as the prototype, and claims are read with `Object.hasOwn` later, so a `__proto__` key stays data.
 * Duplicate member names: JSON.parse keeps the lexically last one, which RFC 7515 §4 allows.
 */
export function parseCompactJws(token: unknown, maxTokenBytes: number = DEFAULT_MAX_TOKEN_BYTES): ParsedToken {
  const segments = splitCompactJws(token, maxTokenBytes);
  const header = decodeJsonSegment(segments.header, 'header', segments.ascii);
  const payload = decodeJsonSegment(segments.payload, 'payload', segments.ascii);
  return { header, payload, signingInput: signingInputOf(segments), signature: decodeSignature(segments) };
}

/** The form checks of step 1 (presence, type, size, three segments), without decoding anything. */
export function splitCompactJws(token: unknown, maxTokenBytes: number = DEFAULT_MAX_TOKEN_BYTES): TokenSegments {
  if (token === undefined || token === null || token === '') {
    throw new AttestationError('ERR_TOKEN_MISSING', 'no attestation token was presented');
  }
  if (typeof token !== 'string') {
    throw new AttestationError('ERR_TOKEN_MALFORMED', `the token must be a string, not ${quote(token)}`);
  }
  // Compact JWS is ASCII, so string length equals byte length for any token that can pass the checks below.
  if (token.length > maxTokenBytes) {
    throw new AttestationError('ERR_TOKEN_TOO_LARGE', `the token is longer than ${maxTokenBytes} bytes`);
  }
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0) {
    throw new AttestationError('ERR_TOKEN_MALFORMED', 'the token is not a compact JWS (three dot-separated segments)');
  }
  // ASCII exactly when the UTF-8 length is the string length (every character above U+007F takes two
  // or more bytes; `latin1` alone would silently cut U+0141 to 0x41). Counted, not encoded: the bytes
  // are written only where they are used. A non-ASCII token is refused by the segment decoders, in
  // segment order, before any signature check.
  return {
    header: token.slice(0, first),
    payload: token.slice(first + 1, second),
    signature: token.slice(second + 1),
    signed: token.slice(0, second),
    ascii: Buffer.byteLength(token, 'utf8') === token.length,
  };
}

/** The bytes the signature covers, in a buffer of their own (for a signature check on another thread). */
export function signingInputOf(segments: TokenSegments): Buffer {
  return Buffer.from(segments.signed, segments.ascii ? 'latin1' : 'utf8');
}

// The signing input of a signature checked synchronously, written into one reused buffer: it is read
// only by that check, before anything else can run, and a new 3–6 KB buffer per token costs more than
// the copy (its allocation, then its collection).
let signedScratch = Buffer.allocUnsafeSlow(12 * 1024);

/**
 * The bytes the signature covers, as a view of a buffer the next call overwrites: only for a check
 * that completes before anything else runs (a synchronous `crypto.verify`).
 */
export function signingInputForNow(segments: TokenSegments): Buffer {
  if (!segments.ascii) return signingInputOf(segments);
  const { signed } = segments;
  if (signedScratch.length < signed.length) signedScratch = Buffer.allocUnsafeSlow(signed.length);
  return signedScratch.subarray(0, signedScratch.write(signed, 0, 'latin1'));
}

/** The signature segment's bytes (empty for an unsigned token); ERR_TOKEN_MALFORMED when not canonical. */
export function decodeSignature(segments: TokenSegments): Buffer {
  const signature = decodeBase64UrlStrict(segments.signature, segments.ascii);
  if (signature === undefined) {
    throw new AttestationError('ERR_TOKEN_MALFORMED', 'the token signature is not canonical base64url');
  }
  return signature;
}

// A header or payload is decoded into this one buffer and parsed at once (all synchronous, so no two
// decodes overlap): no allocation per segment. It grows to the largest segment seen, which the token
// size bound limits.
let scratch = Buffer.allocUnsafeSlow(12 * 1024);

function segmentBytes(length: number): Buffer {
  if (scratch.length < length) scratch = Buffer.allocUnsafeSlow(length);
  return scratch;
}

/** A header or payload segment decoded to its JSON object; ERR_TOKEN_MALFORMED otherwise. */
export function decodeJsonSegment(segment: string, part: 'header' | 'payload', ascii: boolean): Record<string, unknown> {
  if (segment.length === 0) {
    throw new AttestationError('ERR_TOKEN_MALFORMED', `the token ${part} is empty`);
  }
  const length = canonicalDecodedLength(segment, ascii);
  if (length === undefined || !decodeBase64UrlInto(segment, length, segmentBytes(length))) {
    throw new AttestationError('ERR_TOKEN_MALFORMED', `the token ${part} is not canonical base64url`);
  }
  let value: unknown;
  try {
    value = JSON.parse(decodeUtf8Strict(scratch.subarray(0, length), part));
  } catch (error) {
    if (error instanceof AttestationError) throw error;
    throw new AttestationError('ERR_TOKEN_MALFORMED', `the token ${part} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AttestationError('ERR_TOKEN_MALFORMED', `the token ${part} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

// RFC 7515 requires UTF-8; a lenient decoder would turn invalid bytes into U+FFFD and accept a payload
// whose signed bytes and meaning differ from what a stricter reader sees. isAscii/isUtf8 validate in
// native code, far faster than a fatal TextDecoder on a 2.5 KB MAA payload.
function decodeUtf8Strict(bytes: Buffer, part: string): string {
  if (isAscii(bytes)) return bytes.toString('latin1');
  // A byte-order mark is not JSON: leave it in so JSON.parse refuses it.
  if (isUtf8(bytes)) return bytes.toString('utf8');
  throw new AttestationError('ERR_TOKEN_MALFORMED', `the token ${part} is not valid UTF-8`);
}
