/**
 * Where each attestation flow puts the relying party's challenge nonce, and how to read it back:
 * - SGX: runtime data, JSON (`x-ms-runtime`, or JSON text in the binary `x-ms-sgx-ehd`) with the nonce in
 *   a member (default `nonce`), or binary runtime data that is the nonce's 32 raw bytes;
 * - guest attestation (`azurevm`): `x-ms-runtime.client-payload.nonce`, the base64 of the nonce's UTF-8
 *   bytes, as Azure's guest attestation client sends it (`"MTIzNA=="` for the nonce `1234`); failing
 *   that, the isolation TEE's `user-data` below;
 * - TDX and SEV-SNP (`tdxvm`, `sevsnpvm`, and the isolation TEE of an `azurevm` token): a member of the
 *   JSON runtime data, or `x-ms-runtime.user-data`, the 64 bytes the guest wrote to its vTPM's NV index
 *   (hex): SHA-512 of the nonce's text, as the reference flow has the guest write H(nonce). The nonce
 *   itself is then unknown here: the result names it by its hash (`sha512:<hex>`), which a challenge
 *   store consumes as it consumes the nonce (see challenges.ts).
 * No nonce where the flow puts it fails closed: ERR_BINDING_MISMATCH, never a pass.
 */
import { Buffer } from 'node:buffer';
import { ISOLATION_TEE } from '../claims/catalog.js';
import { AttestationError, quote } from '../errors.js';
import { isJsonObject, own } from '../util/own.js';
import { readRuntimeData } from '../claims/runtime-data.js';
import type { VerifiedAttestation } from './result.js';

/** A challenge nonce found in a token, and the claim path it came from (for logs). */
export interface FoundNonce {
  readonly nonce: string;
  readonly location: string;
}

/**
 * Marks a `consume` argument that names an issued nonce by its SHA-512: `sha512:` then 128 lower-case hex
 * digits, the hash of the nonce's text (its 43 characters as issued).
 */
export const SHA512_NONCE_PREFIX = 'sha512:';

const RAW_NONCE_BYTES = 32;
const USER_DATA = 'user-data';
const CLIENT_PAYLOAD = 'client-payload';
const USER_DATA_HEX = /^[0-9A-Fa-f]{128}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const found = (nonce: string, location: string): FoundNonce => ({ nonce, location });

// Canonical padded base64 of valid UTF-8 only: one nonce, one accepted spelling.
function decodeBase64Text(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '' || !BASE64.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * user-data as a challenge-store reference to the nonce it hashes: `sha512:` and its lower-case hex.
 * Only SHA-512 of the nonce is read. The earlier home-made form (the nonce's 32 raw bytes then 32 zero
 * bytes) is no longer accepted: no client writes it, and one binding should have one spelling.
 */
function decodeUserData(value: unknown): string | undefined {
  if (typeof value !== 'string' || !USER_DATA_HEX.test(value)) return undefined;
  // All zeros is what a guest that wrote nothing reports: no nonce.
  if (/^0+$/.test(value)) return undefined;
  return `${SHA512_NONCE_PREFIX}${value.toLowerCase()}`;
}

function fromRuntimeJson(runtime: unknown, field: string, location: string): FoundNonce | undefined {
  if (!isJsonObject(runtime)) return undefined;
  const member = own(runtime, field);
  if (typeof member === 'string') return found(member, `${location}.${field}`);
  const userData = decodeUserData(own(runtime, USER_DATA));
  return userData === undefined ? undefined : found(userData, `${location}.${USER_DATA}`);
}

function sgxNonce(attestation: VerifiedAttestation, field: string): FoundNonce | undefined {
  const runtime = readRuntimeData(attestation);
  if (runtime === undefined) return undefined;
  if (runtime.json !== undefined) {
    const member = own(runtime.json, field);
    return typeof member === 'string' ? found(member, `${runtime.source}.${field}`) : undefined;
  }
  return runtime.bytes?.length === RAW_NONCE_BYTES ? found(Buffer.from(runtime.bytes).toString('base64url'), runtime.source) : undefined;
}

function azureVmNonce(claims: Readonly<Record<string, unknown>>, nonceField: string): FoundNonce | undefined {
  // `client-payload.nonce` names the same member as `nonce`: the client payload is where this flow looks.
  const field = nonceField.startsWith(`${CLIENT_PAYLOAD}.`) ? nonceField.slice(CLIENT_PAYLOAD.length + 1) : nonceField;
  const runtime = own(claims, 'x-ms-runtime');
  const payload = isJsonObject(runtime) ? own(runtime, CLIENT_PAYLOAD) : undefined;
  if (isJsonObject(payload) && Object.hasOwn(payload, field)) {
    const nonce = decodeBase64Text(own(payload, field));
    // A client payload that names the member but does not carry a nonce in it is not a reason to look
    // elsewhere: that would let a second, weaker location stand in for the one the client used.
    return nonce === undefined ? undefined : found(nonce, `x-ms-runtime.${CLIENT_PAYLOAD}.${field}`);
  }
  const tee = own(claims, ISOLATION_TEE);
  return isJsonObject(tee) ? fromRuntimeJson(own(tee, 'x-ms-runtime'), field, `${ISOLATION_TEE}.x-ms-runtime`) : undefined;
}

/**
 * The challenge nonce of a verified attestation, read where its flow puts it. `field` is the JSON member
 * that carries it (default `nonce`). Throws ERR_BINDING_MISMATCH when there is none.
 */
export function findChallengeNonce(attestation: VerifiedAttestation, field = 'nonce'): FoundNonce {
  const claims = isJsonObject(attestation.claims) ? attestation.claims : {};
  let nonce: FoundNonce | undefined;
  switch (attestation.attestationType) {
    case 'sgx':
      nonce = sgxNonce(attestation, field);
      break;
    case 'azurevm':
      nonce = azureVmNonce(claims, field);
      break;
    default:
      nonce = fromRuntimeJson(own(claims, 'x-ms-runtime'), field, 'x-ms-runtime');
  }
  if (nonce === undefined) {
    throw new AttestationError(
      'ERR_BINDING_MISMATCH',
      `the token carries no challenge nonce where the ${quote(attestation.attestationType)} flow puts it (${quote(field)})`,
    );
  }
  return nonce;
}
