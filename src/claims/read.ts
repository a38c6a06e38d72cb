/**
 * Strict readers for single claims of a verified token payload. Every claim view is built from these, so
 * the rules for "present", "well-typed" and "how a rejection reads" live in one place.
 *
 * The payload comes from JSON.parse and its author is whoever obtained the token, so:
 * - a claim is present only as an OWN property: `constructor` or `toString` must never be "found" on
 *   Object.prototype, and an own `__proto__` key (which JSON.parse creates as plain data) is just a claim;
 * - JSON `null` is a value of the wrong type, not absence, so an optional claim set to null is refused
 *   rather than silently treated as missing;
 * - messages name the claim and what was expected, and show the offending value only through `quote()`.
 */
import { Buffer } from 'node:buffer';
import { AttestationError, quote } from '../errors.js';
import { isCanonicalBase64Url } from '../token/base64url.js';
import { isJsonObject, own } from '../util/own.js';
import { type ClaimType, describeType, MAA_CLAIMS } from './catalog.js';

/** A JSON object as parsed: the verified payload, or an object nested in it. */
export type ClaimSet = Readonly<Record<string, unknown>>;

/** The value of `name` when it is an own property of `obj`, otherwise undefined. */
export const ownClaim: (obj: ClaimSet, name: string) => unknown = own;

/** A claim's accepted shape: `parse` returns the normalised value, or undefined to refuse it. */
interface Kind<T> {
  readonly expected: string;
  readonly parse: (value: unknown) => T | undefined;
}

function invalid(name: string, problem: string): AttestationError {
  return new AttestationError('ERR_CLAIM_INVALID', `claim ${quote(name)} ${problem}`);
}

function parsePresent<T>(name: string, value: unknown, kind: Kind<T>): T {
  const parsed = kind.parse(value);
  if (parsed === undefined) throw invalid(name, `must be ${kind.expected}, got ${quote(value)}`);
  return parsed;
}

function readRequired<T>(obj: ClaimSet, name: string, kind: Kind<T>): T {
  const value = ownClaim(obj, name);
  if (value === undefined) throw invalid(name, `is missing (expected ${kind.expected})`);
  return parsePresent(name, value, kind);
}

function readOptional<T>(obj: ClaimSet, name: string, kind: Kind<T>): T | undefined {
  const value = ownClaim(obj, name);
  return value === undefined ? undefined : parsePresent(name, value, kind);
}

const isUint = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

const STRING: Kind<string> = {
  expected: 'a string',
  parse: (value) => (typeof value === 'string' ? value : undefined),
};

const NON_EMPTY_STRING: Kind<string> = {
  expected: 'a non-empty string',
  parse: (value) => (typeof value === 'string' && value !== '' ? value : undefined),
};

const BOOLEAN: Kind<boolean> = {
  expected: 'a boolean',
  parse: (value) => (typeof value === 'boolean' ? value : undefined),
};

const UINT16: Kind<number> = {
  expected: 'an integer 0..65535',
  parse: (value) => (isUint(value) && value <= 0xffff ? value : undefined),
};

const UINT: Kind<number> = {
  expected: 'a non-negative integer',
  parse: (value) => (isUint(value) ? value : undefined),
};

// The array as parsed, not a copy: the verifier freezes the whole payload before the view is handed out.
const UINT_ARRAY: Kind<number[]> = {
  expected: 'an array of non-negative integers',
  parse: (value) => (Array.isArray(value) && value.every(isUint) ? value : undefined),
};

const OBJECT: Kind<Record<string, unknown>> = {
  expected: 'a JSON object',
  parse: (value) => (isJsonObject(value) ? value : undefined),
};

function isStringRecord(value: unknown): value is Record<string, string> {
  if (!isJsonObject(value)) return false;
  for (const name in value) if (typeof value[name] !== 'string') return false;
  return true;
}

// Checked in place and handed out as parsed, not copied: the verifier freezes the whole payload before
// any view is handed out, so the record read later is the one checked here. (JSON.parse objects have
// only own enumerable members, so for…in sees exactly them.)
const STRING_RECORD: Kind<Record<string, string>> = {
  expected: 'a JSON object of strings',
  parse: (value) => (isStringRecord(value) ? value : undefined),
};

// Canonical form only (no padding, zero trailing bits): one byte string has exactly one accepted
// spelling, so a pinned value cannot be matched or dodged by an alternative encoding.
const BASE64URL: Kind<string> = {
  expected: 'unpadded base64url',
  parse: (value) => (typeof value === 'string' && isCanonicalBase64Url(value) ? value : undefined),
};

/**
 * `value` lower-cased when it is exactly `hexChars` hex digits, else undefined. Checked character by
 * character, with no regular expression and no new string unless an upper-case digit needs lowering.
 */
function lowerHex(value: unknown, hexChars: number): string | undefined {
  if (typeof value !== 'string' || value.length !== hexChars) return undefined;
  let upper = false;
  for (let i = 0; i < hexChars; i++) {
    const code = value.charCodeAt(i);
    if ((code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66)) continue;
    if (code >= 0x41 && code <= 0x46) upper = true;
    else return undefined;
  }
  return upper ? value.toLowerCase() : value;
}

const hexKinds = new Map<number, Kind<string>>();

// One kind per length, made once: readers run on every verification.
function hexKind(hexChars: number): Kind<string> {
  let kind = hexKinds.get(hexChars);
  if (kind === undefined) {
    kind = {
      expected: `${hexChars} hex digits`,
      parse: (value) => lowerHex(value, hexChars),
    };
    hexKinds.set(hexChars, kind);
  }
  return kind;
}

export const requiredString = (obj: ClaimSet, name: string): string => readRequired(obj, name, STRING);
export const optionalString = (obj: ClaimSet, name: string): string | undefined => readOptional(obj, name, STRING);
export const requiredNonEmptyString = (obj: ClaimSet, name: string): string => readRequired(obj, name, NON_EMPTY_STRING);

/** Upper- or lower-case hex of exactly `hexChars` digits, returned lower-cased. */
export const requiredHex = (obj: ClaimSet, name: string, hexChars: number): string => readRequired(obj, name, hexKind(hexChars));
export const optionalHex = (obj: ClaimSet, name: string, hexChars: number): string | undefined =>
  readOptional(obj, name, hexKind(hexChars));

/** A JSON number that is an integer 0..65535 (SGX ISVPRODID, ISVSVN, CONFIGSVN). */
export const requiredUint16 = (obj: ClaimSet, name: string): number => readRequired(obj, name, UINT16);
export const optionalUint16 = (obj: ClaimSet, name: string): number | undefined => readOptional(obj, name, UINT16);

/** A JSON number that is a non-negative safe integer: MAA documents no width for these. */
export const optionalUint = (obj: ClaimSet, name: string): number | undefined => readOptional(obj, name, UINT);
export const optionalUintArray = (obj: ClaimSet, name: string): number[] | undefined => readOptional(obj, name, UINT_ARRAY);

export const requiredBoolean = (obj: ClaimSet, name: string): boolean => readRequired(obj, name, BOOLEAN);
export const optionalBoolean = (obj: ClaimSet, name: string): boolean | undefined => readOptional(obj, name, BOOLEAN);

/** A JSON object (not an array, not null). Its members are as parsed: read them with `ownClaim` too. */
export const requiredObject = (obj: ClaimSet, name: string): Record<string, unknown> => readRequired(obj, name, OBJECT);
export const optionalObject = (obj: ClaimSet, name: string): Record<string, unknown> | undefined => readOptional(obj, name, OBJECT);

/** A JSON object whose every member is a string, as parsed. */
export const optionalStringRecord = (obj: ClaimSet, name: string): Record<string, string> | undefined =>
  readOptional(obj, name, STRING_RECORD);

/** Canonical unpadded base64url text, returned as is. */
export const optionalBase64Url = (obj: ClaimSet, name: string): string | undefined => readOptional(obj, name, BASE64URL);

/** Canonical unpadded base64url text, decoded into a fresh (unpooled) byte array. */
export function optionalBase64UrlBytes(obj: ClaimSet, name: string): Uint8Array | undefined {
  const text = optionalBase64Url(obj, name);
  return text === undefined ? undefined : new Uint8Array(Buffer.from(text, 'base64url'));
}

// Readers whose format comes from the claim catalogue: a view names the claim, the catalogue says how
// many hex digits it has, how large an integer it may be, and which strings it may hold.

function kindOfType(type: ClaimType): Kind<unknown> | undefined {
  switch (type.kind) {
    case 'hex':
      return hexKind(type.digits);
    case 'integer':
      return integerKind(type.max);
    case 'string':
      return type.values === undefined ? STRING : enumeratedKind(type.values, describeType(type));
    default:
      return undefined;
  }
}

const integerKinds = new Map<number, Kind<number>>([
  [0xffff, UINT16],
  [Number.MAX_SAFE_INTEGER, UINT],
]);

function integerKind(max: number): Kind<number> {
  let kind = integerKinds.get(max);
  if (kind === undefined) {
    kind = { expected: `an integer 0..${max}`, parse: (value) => (isUint(value) && value <= max ? value : undefined) };
    integerKinds.set(max, kind);
  }
  return kind;
}

function enumeratedKind(values: readonly string[], expected: string): Kind<string> {
  return { expected, parse: (value) => (typeof value === 'string' && values.includes(value) ? value : undefined) };
}

const cataloguedKinds = new Map<string, Kind<unknown>>();

// A view naming a claim the catalogue does not type this way is a bug in this library, not bad input.
function cataloguedKind(name: string, kind: ClaimType['kind']): Kind<unknown> {
  let found = cataloguedKinds.get(name);
  if (found === undefined) {
    const type = MAA_CLAIMS.get(name)?.type;
    found = type?.kind === kind ? kindOfType(type) : undefined;
    if (found === undefined)
      throw new TypeError(`the claim catalogue types ${name} as ${type === undefined ? 'nothing' : type.kind}, not ${kind}`);
    cataloguedKinds.set(name, found);
  }
  return found;
}

/** Hex of the length the catalogue gives `name`, lower-cased. */
export const requiredHexClaim = (obj: ClaimSet, name: string): string => readRequired(obj, name, cataloguedKind(name, 'hex')) as string;
export const optionalHexClaim = (obj: ClaimSet, name: string): string | undefined =>
  readOptional(obj, name, cataloguedKind(name, 'hex')) as string | undefined;

/** An integer in the range the catalogue gives `name`. */
export const requiredIntegerClaim = (obj: ClaimSet, name: string): number =>
  readRequired(obj, name, cataloguedKind(name, 'integer')) as number;
export const optionalIntegerClaim = (obj: ClaimSet, name: string): number | undefined =>
  readOptional(obj, name, cataloguedKind(name, 'integer')) as number | undefined;

/** A string, one of the values the catalogue lists for `name` when it lists any. */
export const requiredStringClaim = (obj: ClaimSet, name: string): string =>
  readRequired(obj, name, cataloguedKind(name, 'string')) as string;
export const optionalStringClaim = (obj: ClaimSet, name: string): string | undefined =>
  readOptional(obj, name, cataloguedKind(name, 'string')) as string | undefined;

/**
 * The view with its undefined members removed, so an absent claim is absent from the view too (`in`,
 * Object.keys and structural equality then agree with the token).
 */
export function omitUndefined<T extends object>(view: T): T {
  const result: Record<string, unknown> = {};
  for (const name in view) {
    const value = view[name];
    if (value !== undefined) result[name] = value;
  }
  return result as T;
}
