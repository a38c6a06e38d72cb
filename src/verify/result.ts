import type { KeyObject } from 'node:crypto';
import { runtimeKeyOf } from '../binding/runtime-data.js';
import type { AzureVmClaims } from '../claims/azurevm.js';
import type { SevSnpClaims } from '../claims/sevsnp.js';
import type { SgxClaims } from '../claims/sgx.js';
import type { TdxClaims } from '../claims/tdx.js';

/** Freezes parsed JSON and the views built from it. Byte arrays cannot be frozen; views hand out copies. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value);
    // for…in with a primitive check first: no array of values, no call per string or number member.
    for (const name in value) {
      if (!Object.hasOwn(value, name)) continue;
      const member = (value as Record<string, unknown>)[name];
      if (typeof member === 'object' && member !== null) deepFreeze(member);
    }
  }
  return value;
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
