import type { KeyObject } from 'node:crypto';
import { runtimeKeyOf } from '../claims/runtime-data.js';
import type { AzureVmClaims } from '../claims/azurevm.js';
import type { SevSnpClaims } from '../claims/sevsnp.js';
import type { SgxClaims } from '../claims/sgx.js';
import type { TdxClaims } from '../claims/tdx.js';

/**
 * Freezes a verification result deeply, in one walk that reads members directly. That runs no getter
 * because a result and its views have no accessor of their own: `runtimeKey` and the SGX view's
 * `enclaveHeldData` (which decodes bytes on every read) are getters of their classes, on the prototype
 * (test/verify/result.test.ts checks every attestation type). Parts already frozen (the payload and
 * header, by `freezeJson`) are not walked again. Byte arrays cannot be frozen; views hand out copies.
 * Reading each member through its property descriptor instead, as a getter-proof walk must, cost
 * 1–2 µs per token in descriptor objects.
 */
export function freezeResult<T extends object>(root: T): T {
  const pending: object[] = [root];
  while (pending.length > 0) {
    const value = pending.pop()!;
    Object.freeze(value);
    for (const name of Object.keys(value)) {
      const member: unknown = (value as Record<string, unknown>)[name];
      if (typeof member === 'object' && member !== null && !Object.isFrozen(member) && !ArrayBuffer.isView(member)) pending.push(member);
    }
  }
  return root;
}

/**
 * Estimated V8 heap bytes of parsed JSON, by what it holds (64-bit, no pointer compression, as Node
 * ships), fitted to heap growth measured over thousands of cached tokens of each shape (see
 * test/verify/token-cache-memory.test.ts): an object's header with its in-object slots, an array's
 * header, a slot per member or element (an object of more than `fastMembers` members is a hash table of
 * `dictionaryEntry` bytes per entry), a string's header and characters, a boxed double for a number that
 * is not a small integer. Member names are interned and shared by every token, so they are not counted;
 * other short strings may be shared too, and are counted anyway so that the estimate errs high.
 */
export const JSON_HEAP_BYTES = {
  object: 56,
  array: 32,
  slot: 8,
  fastMembers: 128,
  dictionaryEntry: 24,
  string: 20,
  number: 16,
} as const;

/** A member's own bytes; an object or array is queued on `pending`, to be walked in its turn. */
function valueBytes(member: unknown, pending: object[]): number {
  // V8 keeps one string per character (and one empty string), so those cost nothing per token.
  if (typeof member === 'string') return member.length < 2 ? 0 : JSON_HEAP_BYTES.string + member.length;
  if (typeof member === 'number') return (member | 0) === member ? 0 : JSON_HEAP_BYTES.number;
  if (typeof member === 'object' && member !== null) pending.push(member);
  return 0;
}

/**
 * Freezes the output of JSON.parse deeply and returns its estimated heap bytes (`JSON_HEAP_BYTES`), in
 * one walk. Only for JSON.parse output: it reads members directly, which is safe because parsed JSON has
 * no accessors, so no getter can run. Iterative, not recursive: a token may nest thousands deep.
 */
export function freezeJson(root: object): number {
  let bytes = 0;
  const pending: object[] = [root];
  while (pending.length > 0) {
    const value = pending.pop()!;
    Object.freeze(value);
    if (Array.isArray(value)) {
      bytes += JSON_HEAP_BYTES.array + value.length * JSON_HEAP_BYTES.slot;
      for (let i = 0; i < value.length; i++) bytes += valueBytes(value[i], pending);
      continue;
    }
    let members = 0;
    bytes += JSON_HEAP_BYTES.object;
    for (const name in value) {
      members++;
      bytes += valueBytes((value as Record<string, unknown>)[name], pending);
    }
    if (members <= JSON_HEAP_BYTES.fastMembers) bytes += members * JSON_HEAP_BYTES.slot;
    // V8's property dictionary: three words per entry, its capacity a power of two at least 1.5 × members.
    else bytes += JSON_HEAP_BYTES.dictionaryEntry * 2 ** Math.ceil(Math.log2(members * 1.5));
  }
  return bytes;
}

const NOT_YET = Symbol('not yet computed');

/**
 * What a successful verification returns: an authentic, well-formed MAA attestation result. A class so
 * every result has one shape (fast to build and read) and `runtimeKey` can be a getter on the prototype,
 * computed on first read: importing a key costs more than the rest of the result, and a getter on the
 * prototype is neither frozen nor logged.
 */
export class Attestation {
  /** The MAA instance that issued the token (its `iss`, one of the configured issuers). */
  readonly issuer: string;
  /** `x-ms-attestation-type`: `sgx`, `sevsnpvm`, `azurevm`, … */
  readonly attestationType: string;
  /** The JOSE header, frozen. */
  readonly header: Readonly<Record<string, unknown>>;
  /** The whole payload, deeply frozen. Gate on `x-ms-*` claims, not on legacy aliases. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The `kid` of the issuer key that signed the token. */
  readonly keyId: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  /** `x-ms-policy-hash`: identifies the instance policy that appraised the evidence. */
  readonly policyHash: string | undefined;
  /** `x-ms-policy-signer`: the JWK that signed the instance policy (isolated mode). */
  readonly policySigner: Readonly<Record<string, unknown>> | undefined;
  /** `nonce`: what the client sent to MAA. Not inside the quote, so it proves nothing about the enclave. */
  readonly nonce: string | undefined;
  /** Typed SGX / Open Enclave claims, when `attestationType` is `sgx`. */
  readonly sgx: SgxClaims | undefined;
  /** Typed SEV-SNP claims, when `attestationType` is `sevsnpvm`. */
  readonly sevsnp: SevSnpClaims | undefined;
  /** Typed confidential-VM claims with the nested SEV-SNP or TDX evidence, when `attestationType` is `azurevm`. */
  readonly azurevm: AzureVmClaims | undefined;
  /** Typed Intel TDX claims, when `attestationType` is `tdxvm`. */
  readonly tdx: TdxClaims | undefined;
  // A private field is not a property: it stays writable after the instance is frozen.
  #runtimeKey: KeyObject | undefined | typeof NOT_YET = NOT_YET;

  constructor(fields: Omit<VerifiedAttestation, 'runtimeKey'>) {
    this.issuer = fields.issuer;
    this.attestationType = fields.attestationType;
    this.header = fields.header;
    this.claims = fields.claims;
    this.keyId = fields.keyId;
    this.issuedAt = fields.issuedAt;
    this.expiresAt = fields.expiresAt;
    this.policyHash = fields.policyHash;
    this.policySigner = fields.policySigner;
    this.nonce = fields.nonce;
    this.sgx = fields.sgx;
    this.sevsnp = fields.sevsnp;
    this.azurevm = fields.azurevm;
    this.tdx = fields.tdx;
  }

  /**
   * The public key the enclave put in its runtime data (`keys[]` or `jwk`, JSON or bound binary runtime
   * data), for proof of possession; undefined when there is none. Computed on first read.
   */
  get runtimeKey(): KeyObject | undefined {
    if (this.#runtimeKey === NOT_YET) this.#runtimeKey = runtimeKeyOf(this);
    return this.#runtimeKey;
  }
}

/** The public shape of a verification result (without the class's private state), for your own types and tests. */
export type VerifiedAttestation = Pick<Attestation, keyof Attestation>;
