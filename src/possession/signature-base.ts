/**
 * HTTP Message Signatures (RFC 9421) for requests, limited to what proof of possession of an
 * attested key needs: the derived components `@method`, `@authority`, `@path` and `@query`, header
 * fields by name (no component parameters such as `;sf`, `;key` or `;req`), and the signature
 * parameters `created`, `expires`, `keyid`, `alg`, `nonce` and `tag`.
 *
 * Parsing `Signature-Input` and `Signature` uses the hand-written structured-field subset in
 * `structured-fields.ts` (no dependency parses RFC 8941), with length caps on every part.
 */
import { AttestationError, quote } from '../errors.js';
import { parseDictionary, serializeBareItem, serializeInnerList, serializeKey, type BareItem, type Limits } from './structured-fields.js';

/** The derived components this profile can compute; `@target-uri` and `@scheme` need a scheme the server side does not reliably know. */
const DERIVED_COMPONENTS = ['@method', '@authority', '@path', '@query'] as const;

/**
 * Method, target and authority tie the signature to this request on this service; `authorization` ties
 * it to the very token presented. What `verifyRequestSignature` requires by default and the client signs.
 */
export const DEFAULT_REQUIRED_COMPONENTS: readonly string[] = Object.freeze(['@method', '@authority', '@path', '@query', 'authorization']);

/** Method, target and authority: what every request signature must cover, wherever the token travels. */
export const REQUEST_COMPONENTS: readonly string[] = Object.freeze(['@method', '@authority', '@path', '@query']);

/**
 * Longest signature base built, in characters: well above a 16 KiB token in `authorization` plus the
 * other covered fields, and a bound on the work a request can ask for before its signature is checked.
 */
export const MAX_SIGNATURE_BASE_LENGTH = 128 * 1024;

/** Header values as node:http (`IncomingHttpHeaders`) and most frameworks present them. */
export type HeaderFields = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The parts of a request a signature base is built from. */
export interface MessageComponents {
  readonly method: string;
  /** host[:port], as in the target URI (compared lower-cased). */
  readonly authority: string;
  /** The absolute path, without the query. */
  readonly path: string;
  /** The query with its leading `?`; a lone `?` when there is none (RFC 9421 §2.2.7). */
  readonly query: string;
  readonly headers: HeaderFields;
}

export type SignatureParameter =
  readonly [name: 'created' | 'expires', value: number] | readonly [name: 'keyid' | 'alg' | 'nonce' | 'tag', value: string];

/** A signature's covered components and parameters; parameter order is part of what is signed. */
export interface SignatureInput {
  readonly components: readonly string[];
  readonly parameters: readonly SignatureParameter[];
}

export interface ParsedSignatureInput extends SignatureInput {
  readonly label: string;
  /** The member's `@signature-params` text, already checked to be canonical (and its components valid). */
  readonly signatureParams: string;
  readonly created?: number;
  readonly expires?: number;
  readonly keyid?: string;
  readonly alg?: string;
  readonly nonce?: string;
  readonly tag?: string;
}

const INTEGER_PARAMETERS = new Set(['created', 'expires']);
const STRING_PARAMETERS = new Set(['keyid', 'alg', 'nonce', 'tag']);
const MAX_COMPONENTS = 32;

const SIGNATURE_INPUT_LIMITS: Limits = {
  maxLength: 4096,
  maxMembers: 8,
  maxInnerListItems: MAX_COMPONENTS,
  maxParameters: 8,
  maxStringLength: 256,
  maxBytesLength: 0,
};

const SIGNATURE_LIMITS: Limits = {
  maxLength: 8192,
  maxMembers: 8,
  maxInnerListItems: 0,
  maxParameters: 0,
  maxStringLength: 0,
  // An 8192-bit RSA signature; ECDSA P-256 and Ed25519 take 64 bytes.
  maxBytesLength: 1024,
};

function refuse(reason: string): never {
  throw new AttestationError('ERR_POSSESSION', reason);
}

/** RFC 9110 tchar: a method or a field name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const AUTHORITY = /^[a-z0-9\-._~%!$&'()*+,;=:[\]]+$/;
const PATH = /^\/[\x21-\x22\x24-\x3e\x40-\x7e]*$/;
const QUERY = /^\?[\x21-\x22\x24-\x7e]*$/;
/** A field line's value: visible ASCII, SP and HTAB. CR or LF would let a value forge further lines of the base. */
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;

export function isSupportedComponent(name: string): boolean {
  if (name.startsWith('@')) return (DERIVED_COMPONENTS as readonly string[]).includes(name);
  return name.length <= 64 && FIELD_NAME.test(name);
}

/**
 * Splits an origin-form request target (`/path?query`, as `req.url` and Express's `req.originalUrl`
 * give it) into `@path` and `@query` values. Absolute-form and asterisk-form targets are refused: the
 * signer signed the path it sent, and a proxy-style target says nothing about which one that was.
 */
export function splitRequestTarget(target: string): { readonly path: string; readonly query: string } {
  if (typeof target !== 'string' || !target.startsWith('/')) refuse('the request target is not in origin form');
  if (target.includes('#')) refuse('the request target carries a fragment');
  const mark = target.indexOf('?');
  return mark === -1 ? { path: target, query: '?' } : { path: target.slice(0, mark), query: target.slice(mark) };
}

/** All field lines of a header, whatever the case of its name in `headers`; undefined when absent. */
export function headerLines(headers: HeaderFields, name: string): string[] | undefined {
  const lines: string[] = [];
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== name) continue;
    const value = headers[key];
    if (typeof value === 'string') lines.push(value);
    else if (Array.isArray(value))
      lines.push(
        ...(value as readonly unknown[]).map((line) => (typeof line === 'string' ? line : refuse(`${name}: a field line is not a string`))),
      );
  }
  return lines.length === 0 ? undefined : lines;
}

/** The canonical value of one covered component (RFC 9421 §2.1 for fields, §2.2 for derived ones). */
export function componentValue(message: MessageComponents, name: string): string {
  switch (name) {
    case '@method':
      if (typeof message.method !== 'string' || !TOKEN.test(message.method)) refuse('the request method is not a token');
      return message.method;
    case '@authority': {
      const authority = typeof message.authority === 'string' ? message.authority.toLowerCase() : '';
      if (!AUTHORITY.test(authority)) refuse('the request authority is missing or malformed');
      return authority;
    }
    case '@path':
      if (typeof message.path !== 'string' || !PATH.test(message.path)) refuse('the request path is malformed');
      return message.path;
    case '@query':
      if (typeof message.query !== 'string' || !QUERY.test(message.query)) refuse('the request query is malformed');
      return message.query;
    default: {
      if (!isSupportedComponent(name)) refuse(`unsupported component ${quote(name)}`);
      const lines = headerLines(message.headers, name);
      if (lines === undefined) refuse(`the covered header ${quote(name)} is missing`);
      if (!lines.every((line) => FIELD_VALUE.test(line))) refuse(`the covered header ${quote(name)} has characters outside visible ASCII`);
      return lines.map(trimWhitespace).join(', ');
    }
  }
}

/**
 * Strips leading and trailing SP and HTAB (RFC 9421 §2.1), in one pass from each end. Not a regex: the
 * obvious `/^[ \t]+|[ \t]+$/g` retries the trailing alternative at every position of a long inner run
 * of spaces, quadratic work an attacker without the key could ask for before the signature is checked.
 */
export function trimWhitespace(line: string): string {
  let start = 0;
  let end = line.length;
  while (start < end && isWhitespace(line.charCodeAt(start))) start += 1;
  while (end > start && isWhitespace(line.charCodeAt(end - 1))) end -= 1;
  return start === 0 && end === line.length ? line : line.slice(start, end);
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function parameterItem([name, value]: SignatureParameter): readonly [string, BareItem] {
  return [name, typeof value === 'number' ? { type: 'integer', value } : { type: 'string', value }];
}

/** The `@signature-params` value, which is also the `Signature-Input` member value (RFC 9421 §2.3). */
export function serializeSignatureParams(input: SignatureInput): string {
  return serializeInnerList({
    kind: 'inner-list',
    items: input.components.map((name) => ({ kind: 'item', value: { type: 'string', value: name }, parameters: [] })),
    parameters: input.parameters.map(parameterItem),
  });
}

function checkComponents(components: readonly string[]): void {
  if (components.length > MAX_COMPONENTS) refuse('too many covered components');
  const seen = new Set<string>();
  for (const name of components) {
    if (!isSupportedComponent(name)) refuse(`unsupported component ${quote(name)}`);
    // RFC 9421 §2.5: a component may be covered only once; a repeat could be read two ways.
    if (seen.has(name)) refuse(`component ${quote(name)} is covered twice`);
    seen.add(name);
  }
}

/**
 * The signature base (RFC 9421 §2.5): one `"<component>": <value>` line per covered component, in the
 * covered order, then `"@signature-params": <serialized input>`, joined with LF and no trailing newline.
 * A `ParsedSignatureInput` was checked by `parseSignatureInput`, so its components and canonical text are reused.
 */
export function buildSignatureBase(message: MessageComponents, input: SignatureInput | ParsedSignatureInput): string {
  let signatureParams: string;
  if ('signatureParams' in input) {
    signatureParams = input.signatureParams;
  } else {
    checkComponents(input.components);
    signatureParams = serializeSignatureParams(input);
  }
  let length = signatureParams.length;
  const lines = input.components.map((name) => {
    const line = `${serializeBareItem({ type: 'string', value: name })}: ${componentValue(message, name)}`;
    length += line.length + 1;
    if (length > MAX_SIGNATURE_BASE_LENGTH) refuse('the covered components are too long');
    return line;
  });
  lines.push(`"@signature-params": ${signatureParams}`);
  return lines.join('\n');
}

function chooseMember<T>(members: ReadonlyMap<string, T>, field: string, label: string | undefined): [string, T] {
  if (label !== undefined) {
    const member = members.get(label);
    if (member === undefined) refuse(`${field} has no signature labelled ${quote(label)}`);
    return [label, member];
  }
  // Without a configured label there is no telling which of several signatures is the one for us.
  if (members.size !== 1) refuse(`${field} carries ${members.size} signatures; exactly one is accepted`);
  return [...members][0]!;
}

/**
 * Parses `Signature-Input` and returns the member labelled `label`, or the only member when `label` is
 * not given. Refuses component parameters, unknown signature parameters, wrongly typed ones, and a member
 * not written in canonical form: the base is rebuilt from the parsed values, so what is checked is
 * exactly what was signed.
 */
export function parseSignatureInput(field: string, label?: string): ParsedSignatureInput {
  const dictionary = parseDictionary(field, 'Signature-Input', SIGNATURE_INPUT_LIMITS);
  const [name, { member, text }] = chooseMember(dictionary, 'Signature-Input', label);
  if (member.kind !== 'inner-list') refuse('Signature-Input: the member is not an inner list');
  const components = member.items.map((item) => {
    if (item.value.type !== 'string') refuse('Signature-Input: a component identifier is not a string');
    if (item.parameters.length > 0) refuse('Signature-Input: component parameters are not supported');
    return item.value.value;
  });
  checkComponents(components);
  const parameters: SignatureParameter[] = [];
  for (const [key, value] of member.parameters) {
    if (INTEGER_PARAMETERS.has(key)) {
      if (value.type !== 'integer' || value.value < 0) refuse(`Signature-Input: ${key} is not a non-negative integer`);
      parameters.push([key as 'created' | 'expires', value.value]);
    } else if (STRING_PARAMETERS.has(key)) {
      if (value.type !== 'string' || value.value.length === 0) refuse(`Signature-Input: ${key} is not a non-empty string`);
      parameters.push([key as 'keyid' | 'alg' | 'nonce' | 'tag', value.value]);
    } else {
      refuse(`Signature-Input: unknown parameter ${quote(key)}`);
    }
  }
  const input = { components, parameters };
  if (serializeSignatureParams(input) !== text) refuse('Signature-Input: the member is not in canonical form');
  // Parameter names are unique (the parser refuses repeats), so each becomes one named member.
  return { label: name, ...input, signatureParams: text, ...Object.fromEntries(parameters) } as ParsedSignatureInput;
}

/**
 * Parses `Signature` and returns the signature bytes labelled `label`. With `single`, the field must
 * carry that signature only.
 */
export function parseSignature(field: string, label: string, single: boolean): Buffer {
  const dictionary = parseDictionary(field, 'Signature', SIGNATURE_LIMITS);
  const [, { member }] = chooseMember(dictionary, 'Signature', single ? undefined : label);
  if (single && !dictionary.has(label)) refuse(`Signature and Signature-Input label different signatures`);
  if (member.kind !== 'item' || member.value.type !== 'bytes' || member.parameters.length > 0)
    refuse('Signature: the member is not a byte sequence');
  if (member.value.value.length === 0) refuse('Signature: the signature is empty');
  return member.value.value;
}

/** `<label>=<serialized input>`: the `Signature-Input` field for one signature. */
export function signatureInputField(label: string, input: SignatureInput): string {
  return `${serializeKey(label)}=${serializeSignatureParams(input)}`;
}

/** `<label>=:<base64>:`: the `Signature` field for one signature. */
export function signatureField(label: string, signature: Buffer): string {
  return `${serializeKey(label)}=${serializeBareItem({ type: 'bytes', value: signature })}`;
}
