/**
 * The small, strict subset of Structured Field Values (RFC 8941) that HTTP Message Signatures (RFC 9421)
 * and Content-Digest (RFC 9530) need: dictionaries whose members are items or inner lists, with
 * integers, strings, tokens, byte sequences and booleans as bare items and parameters.
 *
 * Hand-written: no dependency of this package parses structured fields, and the subset is small enough
 * that owning it, with explicit bounds, is safer than adding a general parser for attacker-controlled
 * headers. Stricter than RFC 8941 wherever a conforming serializer never produces the input: decimals,
 * duplicate keys, leading zeros, non-canonical base64 and oversized values are refused, not repaired.
 */
import { AttestationError, quote } from '../errors.js';

export type BareItem =
  | { readonly type: 'integer'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'token'; readonly value: string }
  | { readonly type: 'bytes'; readonly value: Buffer }
  | { readonly type: 'boolean'; readonly value: boolean };

/** Parameters in the order they were written: RFC 9421 signs them in that order. */
export type Parameters = ReadonlyArray<readonly [key: string, value: BareItem]>;

export interface Item {
  readonly kind: 'item';
  readonly value: BareItem;
  readonly parameters: Parameters;
}

export interface InnerList {
  readonly kind: 'inner-list';
  readonly items: readonly Item[];
  readonly parameters: Parameters;
}

export type DictionaryMember = Item | InnerList;

/** A parsed dictionary, in field order, with each member's exact source text kept for canonical-form checks. */
export type Dictionary = ReadonlyMap<string, { readonly member: DictionaryMember; readonly text: string }>;

export interface Limits {
  /** Longest field value, in characters. */
  readonly maxLength: number;
  readonly maxMembers: number;
  readonly maxInnerListItems: number;
  readonly maxParameters: number;
  /** Longest string or token, in characters. */
  readonly maxStringLength: number;
  /** Largest decoded byte sequence. */
  readonly maxBytesLength: number;
}

/** RFC 8941 §3.3.1: integers have at most 15 digits. */
const MAX_INTEGER = 999_999_999_999_999;
const MAX_KEY_LENGTH = 64;

const KEY_FIRST = /[a-z*]/;
const KEY_REST = /[a-z0-9_\-.*]/;
const TOKEN_FIRST = /[A-Za-z*]/;
const TOKEN_REST = /[!#$%&'*+\-.^_`|~0-9A-Za-z:/]/;
const BASE64 = /[A-Za-z0-9+/=]/;
const DIGIT = /[0-9]/;

class Parser {
  private index = 0;

  constructor(
    private readonly input: string,
    private readonly field: string,
    private readonly limits: Limits,
  ) {}

  fail(reason: string): never {
    throw new AttestationError('ERR_POSSESSION', `${this.field}: ${reason} at offset ${this.index}`);
  }

  private peek(): string | undefined {
    return this.input[this.index];
  }

  private atEnd(): boolean {
    return this.index >= this.input.length;
  }

  private skip(pattern: RegExp): void {
    while (!this.atEnd() && pattern.test(this.input[this.index]!)) this.index++;
  }

  dictionary(): Dictionary {
    // RFC 8941 §4.2: leading and trailing SP are not part of the value (and appear after joining lines).
    this.skip(/ /);
    if (this.atEnd()) this.fail('empty field');
    const members = new Map<string, { member: DictionaryMember; text: string }>();
    for (;;) {
      const key = this.key();
      if (members.has(key)) this.fail(`duplicate key ${quote(key)}`);
      if (members.size >= this.limits.maxMembers) this.fail('too many members');
      let member: DictionaryMember;
      const hasValue = this.peek() === '=';
      if (hasValue) this.index++;
      const start = this.index;
      if (hasValue) {
        member = this.peek() === '(' ? this.innerList() : this.item();
      } else {
        member = { kind: 'item', value: { type: 'boolean', value: true }, parameters: this.parameters() };
      }
      members.set(key, { member, text: this.input.slice(start, this.index) });
      this.skip(/[ \t]/);
      if (this.atEnd()) return members;
      if (this.peek() !== ',') this.fail('expected ","');
      this.index++;
      this.skip(/[ \t]/);
      if (this.atEnd()) this.fail('trailing comma');
    }
  }

  private key(): string {
    const start = this.index;
    if (this.atEnd() || !KEY_FIRST.test(this.peek()!)) this.fail('expected a key');
    this.index++;
    this.skip(KEY_REST);
    if (this.index - start > MAX_KEY_LENGTH) this.fail('key too long');
    return this.input.slice(start, this.index);
  }

  private innerList(): InnerList {
    this.index++;
    const items: Item[] = [];
    for (;;) {
      this.skip(/ /);
      if (this.peek() === ')') {
        this.index++;
        return { kind: 'inner-list', items, parameters: this.parameters() };
      }
      if (this.atEnd()) this.fail('unterminated inner list');
      if (items.length >= this.limits.maxInnerListItems) this.fail('too many inner list items');
      items.push(this.item());
      const next = this.peek();
      if (next !== ' ' && next !== ')') this.fail('expected " " or ")" in inner list');
    }
  }

  private item(): Item {
    const value = this.bareItem();
    return { kind: 'item', value, parameters: this.parameters() };
  }

  private parameters(): Parameters {
    const parameters: Array<readonly [string, BareItem]> = [];
    while (this.peek() === ';') {
      this.index++;
      this.skip(/ /);
      const key = this.key();
      if (parameters.some(([name]) => name === key)) this.fail(`duplicate parameter ${quote(key)}`);
      if (parameters.length >= this.limits.maxParameters) this.fail('too many parameters');
      let value: BareItem = { type: 'boolean', value: true };
      if (this.peek() === '=') {
        this.index++;
        value = this.bareItem();
      }
      parameters.push([key, value]);
    }
    return parameters;
  }

  private bareItem(): BareItem {
    const c = this.peek();
    if (c === undefined) this.fail('expected an item');
    if (c === '-' || DIGIT.test(c)) return this.integer();
    if (c === '"') return this.string();
    if (c === ':') return this.bytes();
    if (c === '?') return this.boolean();
    if (TOKEN_FIRST.test(c)) return this.token();
    return this.fail('unexpected character');
  }

  private integer(): BareItem {
    const start = this.index;
    const negative = this.peek() === '-';
    if (negative) this.index++;
    const digitsStart = this.index;
    this.skip(DIGIT);
    const digits = this.input.slice(digitsStart, this.index);
    if (digits.length === 0) this.fail('expected a digit');
    if (digits.length > 15) this.fail('integer too long');
    if (this.peek() === '.') this.fail('decimals are not accepted');
    // A serializer never writes these; accepting them would give one value several spellings.
    if ((digits.length > 1 && digits.startsWith('0')) || (negative && digits === '0')) this.fail('non-canonical integer');
    const value = Number(this.input.slice(start, this.index));
    if (!Number.isSafeInteger(value) || Math.abs(value) > MAX_INTEGER) this.fail('integer out of range');
    return { type: 'integer', value };
  }

  private string(): BareItem {
    this.index++;
    let value = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('unterminated string');
      if (c === '"') {
        this.index++;
        return { type: 'string', value };
      }
      if (c === '\\') {
        const escaped = this.input[this.index + 1];
        if (escaped !== '"' && escaped !== '\\') this.fail('invalid escape in string');
        this.index += 2;
        value += escaped;
      } else {
        const code = c.charCodeAt(0);
        if (code < 0x20 || code > 0x7e) this.fail('invalid character in string');
        this.index++;
        value += c;
      }
      if (value.length > this.limits.maxStringLength) this.fail('string too long');
    }
  }

  private token(): BareItem {
    const start = this.index;
    this.index++;
    this.skip(TOKEN_REST);
    if (this.index - start > this.limits.maxStringLength) this.fail('token too long');
    return { type: 'token', value: this.input.slice(start, this.index) };
  }

  private bytes(): BareItem {
    this.index++;
    const start = this.index;
    this.skip(BASE64);
    if (this.peek() !== ':') this.fail('unterminated byte sequence');
    const text = this.input.slice(start, this.index);
    this.index++;
    if (text.length > Math.ceil(this.limits.maxBytesLength / 3) * 4) this.fail('byte sequence too long');
    const value = Buffer.from(text, 'base64');
    // Node's decoder ignores stray characters and trailing bits; only the one canonical spelling is
    // accepted, so the bytes verified are exactly the bytes written.
    if (value.toString('base64') !== text) this.fail('non-canonical base64 in byte sequence');
    return { type: 'bytes', value };
  }

  private boolean(): BareItem {
    this.index++;
    const c = this.peek();
    if (c !== '0' && c !== '1') this.fail('invalid boolean');
    this.index++;
    return { type: 'boolean', value: c === '1' };
  }
}

/**
 * Parses a dictionary field (RFC 8941 §4.2.2). Several field lines must already be joined with ", ".
 * Throws `AttestationError('ERR_POSSESSION')` on any deviation; `field` names the header in messages.
 */
export function parseDictionary(input: string, field: string, limits: Limits): Dictionary {
  if (input.length > limits.maxLength) throw new AttestationError('ERR_POSSESSION', `${field}: longer than ${limits.maxLength} characters`);
  return new Parser(input, field, limits).dictionary();
}

function invalid(what: string): never {
  throw new AttestationError('ERR_POSSESSION', `cannot serialize ${what} as a structured field`);
}

/** True when `value` is a structured-field key (RFC 8941 §3.1.2) of at most MAX_KEY_LENGTH characters, e.g. a signature label. */
export function isKey(value: string): boolean {
  return value.length > 0 && value.length <= MAX_KEY_LENGTH && KEY_FIRST.test(value[0]!) && [...value].every((c) => KEY_REST.test(c));
}

export function serializeKey(key: string): string {
  if (!isKey(key)) invalid(`key ${quote(key)}`);
  return key;
}

export function serializeBareItem(item: BareItem): string {
  switch (item.type) {
    case 'integer':
      if (!Number.isSafeInteger(item.value) || Math.abs(item.value) > MAX_INTEGER) invalid('an out-of-range integer');
      return String(item.value);
    case 'string':
      if (!/^[\x20-\x7e]*$/.test(item.value)) invalid('a string with non-printable or non-ASCII characters');
      return `"${item.value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    case 'token':
      if (!TOKEN_FIRST.test(item.value[0] ?? '') || ![...item.value].every((c) => TOKEN_REST.test(c)))
        invalid(`token ${quote(item.value)}`);
      return item.value;
    case 'bytes':
      return `:${item.value.toString('base64')}:`;
    case 'boolean':
      return item.value ? '?1' : '?0';
  }
}

export function serializeParameters(parameters: Parameters): string {
  return parameters
    .map(([key, value]) =>
      value.type === 'boolean' && value.value ? `;${serializeKey(key)}` : `;${serializeKey(key)}=${serializeBareItem(value)}`,
    )
    .join('');
}

export function serializeItem(item: Item): string {
  return `${serializeBareItem(item.value)}${serializeParameters(item.parameters)}`;
}

export function serializeInnerList(list: InnerList): string {
  return `(${list.items.map(serializeItem).join(' ')})${serializeParameters(list.parameters)}`;
}

export function serializeMember(member: DictionaryMember): string {
  return member.kind === 'inner-list' ? serializeInnerList(member) : serializeItem(member);
}
