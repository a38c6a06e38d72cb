/**
 * Intel signs its TCB info and QE identity as JSON documents of the form `{"tcbInfo":{…},"signature":"<hex>"}`:
 * the signature (ECDSA P-256, r ‖ s in hex) covers the exact bytes of the inner object's text as served.
 * JSON.parse loses those bytes, so this finds the member's text span by scanning the document, then parses
 * both the whole and the span with JSON.parse (the scanner only locates; it never interprets values).
 */

/** Far beyond Intel's documents (TCB info is ~10 KiB); bounds the scanning and parsing work. */
export const MAX_SIGNED_JSON_BYTES = 1024 * 1024;

export interface SignedJson {
  /** The exact text of the signed member. */
  readonly signedText: string;
  /** The signed member, parsed. */
  readonly body: Record<string, unknown>;
  readonly signature: Buffer;
}

function skipWhitespace(text: string, at: number): number {
  while (at < text.length && ' \t\r\n'.includes(text[at] as string)) at += 1;
  return at;
}

/** The index just past the JSON string that starts at `at` (a `"`). */
function endOfString(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i += 1) {
    const c = text[i];
    if (c === '\\') i += 1;
    else if (c === '"') return i + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** The index just past the JSON value that starts at `at`. */
function endOfValue(text: string, at: number): number {
  const first = text[at];
  if (first === '"') return endOfString(text, at);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let i = at; i < text.length; i += 1) {
      const c = text[i];
      if (c === '"') i = endOfString(text, i) - 1;
      else if (c === '{' || c === '[') depth += 1;
      else if (c === '}' || c === ']') {
        depth -= 1;
        if (depth === 0) return i + 1;
      }
    }
    throw new SyntaxError('unterminated value');
  }
  let i = at;
  while (i < text.length && !',}] \t\r\n'.includes(text[i] as string)) i += 1;
  return i;
}

/** The text spans of a JSON object's top-level members. */
function memberSpans(text: string): Map<string, string> {
  const spans = new Map<string, string>();
  let at = skipWhitespace(text, 0);
  if (text[at] !== '{') throw new SyntaxError('not a JSON object');
  at = skipWhitespace(text, at + 1);
  while (text[at] !== '}') {
    if (text[at] !== '"') throw new SyntaxError('expected a member name');
    const nameEnd = endOfString(text, at);
    const name = JSON.parse(text.slice(at, nameEnd)) as string;
    at = skipWhitespace(text, nameEnd);
    if (text[at] !== ':') throw new SyntaxError('expected a colon');
    const valueStart = skipWhitespace(text, at + 1);
    const valueEnd = endOfValue(text, valueStart);
    if (spans.has(name)) throw new SyntaxError(`member ${name} appears twice`);
    spans.set(name, text.slice(valueStart, valueEnd));
    at = skipWhitespace(text, valueEnd);
    if (text[at] === ',') at = skipWhitespace(text, at + 1);
    else if (text[at] !== '}') throw new SyntaxError('expected a comma or the end of the object');
  }
  if (skipWhitespace(text, at + 1) !== text.length) throw new SyntaxError('text follows the object');
  return spans;
}

/**
 * Reads `{"<member>":{…},"signature":"<128 hex>"}`. Throws SyntaxError or TypeError for anything else
 * (other members, a non-object member, a signature of the wrong form).
 */
export function readSignedJson(text: string, member: string): SignedJson {
  if (typeof text !== 'string') throw new TypeError('the document is not a string');
  if (text.length > MAX_SIGNED_JSON_BYTES) throw new RangeError('the document is over the size bound');
  // Parsed whole first: a document JSON.parse refuses is refused, whatever the scanner would make of it.
  JSON.parse(text);
  const spans = memberSpans(text);
  const signedText = spans.get(member);
  const signatureText = spans.get('signature');
  if (signedText === undefined || signatureText === undefined || spans.size !== 2) {
    throw new TypeError(`the document is not {"${member}": …, "signature": …}`);
  }
  const body = JSON.parse(signedText) as unknown;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TypeError(`${member} is not an object`);
  const signature = JSON.parse(signatureText) as unknown;
  if (typeof signature !== 'string' || !/^[0-9a-fA-F]{128}$/.test(signature)) throw new TypeError('the signature is not 64 bytes of hex');
  return { signedText, body: body as Record<string, unknown>, signature: Buffer.from(signature, 'hex') };
}
