import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { AttestationError } from '../errors.js';
import { isJsonObject, isList, own } from '../util/own.js';
import type { SevSnpClaims } from './sevsnp.js';
import type { SgxClaims } from './sgx.js';
import type { TdxClaims } from './tdx.js';

/**
 * The typed claims runtime data is read from; every VerifiedAttestation is one. Declared here rather
 * than imported from verify/, so the verified result can offer its runtime key without a cycle.
 */
export interface RuntimeDataSource {
  readonly attestationType: string;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly sgx: Pick<SgxClaims, 'enclaveHeldData' | 'reportData'> | undefined;
  readonly sevsnp: Pick<SevSnpClaims, 'runtimeClaims'> | undefined;
  readonly tdx: Pick<TdxClaims, 'runtimeClaims'> | undefined;
}

/**
 * The runtime data an enclave sent along with its evidence, as the token carries it: binary in
 * `x-ms-sgx-ehd` (MAA also puts SHA-256 of it in the quote's report data), or JSON in `x-ms-runtime`.
 */
export interface RuntimeData {
  readonly source: 'x-ms-sgx-ehd' | 'x-ms-runtime';
  /** The exact bytes, when the token carries them (binary runtime data). */
  readonly bytes: Uint8Array | undefined;
  /** The runtime data as a JSON object: `x-ms-runtime`, or the binary data when it is JSON text. */
  readonly json: Readonly<Record<string, unknown>> | undefined;
}

export function readRuntimeData(attestation: RuntimeDataSource): RuntimeData | undefined {
  const bytes = attestation.sgx?.enclaveHeldData;
  if (bytes !== undefined) return { source: 'x-ms-sgx-ehd', bytes, json: parseJsonText(bytes) };
  const runtime = own(attestation.claims, 'x-ms-runtime');
  if (isJsonObject(runtime)) return { source: 'x-ms-runtime', bytes: undefined, json: runtime };
  return undefined;
}

/**
 * Binary runtime data that is JSON text (MAA's samples send a JWK this way), tolerating the one trailing
 * NUL byte of C-string clients; undefined for anything that is not a JSON object.
 */
function parseJsonText(bytes: Uint8Array): Record<string, unknown> | undefined {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 0 ? bytes.length - 1 : bytes.length;
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('utf8'));
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The quote's report data must start with SHA-256 of the runtime data: that is what ties the runtime
 * data to the enclave. MAA checks it before issuing the token; checking again costs a hash and guards
 * against a misconfigured or custom instance policy.
 */
export function checkReportDataBinding(attestation: RuntimeDataSource, bytes: Uint8Array): void {
  if (!reportDataBinds(attestation, bytes)) {
    throw new AttestationError(
      'ERR_BINDING_MISMATCH',
      'the report data does not bind the runtime data (SHA-256 mismatch or no report data)',
    );
  }
}

function reportDataBinds(attestation: RuntimeDataSource, bytes: Uint8Array): boolean {
  const reportData = attestation.sgx?.reportData;
  return reportData !== undefined && reportData.slice(0, 64) === createHash('sha256').update(bytes).digest('hex');
}

/**
 * The public key the workload put in its runtime data, if any: `keys[]` (a JWK set) or `jwk`. Binary
 * runtime data counts only when the report data binds it. A key the token cannot tie to the quote, or
 * that the workload does not hold, is never returned. Where the key may come from, per type:
 * - `sgx`: the enclave's runtime data (`x-ms-sgx-ehd` or `x-ms-runtime`);
 * - `sevsnpvm`, `tdxvm`: `x-ms-runtime` when it is the caller's own JSON (a TEE without a paravisor).
 *   On an Azure confidential VM it is the paravisor's runtime claims instead (they carry
 *   `vm-configuration` and the `HCL*` keys): `HCLAkPub` is the vTPM's attestation key, a restricted TPM
 *   key that only signs TPM quotes, and `HCLEkPub` its endorsement key; the workload can make neither
 *   sign an HTTP request, so such runtime data offers no key at all;
 * - `azurevm`: none. Its `x-ms-runtime.keys` are the vTPM's (`TpmEphemeralEncryptionKey`, encryption
 *   only) and its isolation TEE's runtime data is the paravisor's, as above;
 * - any other type: none, since nothing says which of its keys the workload holds.
 */
export function runtimeKeyOf(attestation: RuntimeDataSource): KeyObject | undefined {
  const runtime = workloadRuntimeData(attestation);
  if (runtime?.json === undefined) return undefined;
  if (runtime.bytes !== undefined && !reportDataBinds(attestation, runtime.bytes)) return undefined;
  const keys = own(runtime.json, 'keys');
  const jwk = isList(keys) ? keys.find((key) => isJsonObject(key) && isSigningJwk(key)) : own(runtime.json, 'jwk');
  if (!isJsonObject(jwk) || !isSigningJwk(jwk)) return undefined;
  try {
    // Only the public members: a JWK with a private part must not become a private KeyObject.
    const { kty, crv, x, y, n, e } = jwk as Record<string, string>;
    const publicJwk = kty === 'RSA' ? { kty, n, e } : { kty, crv, x, ...(y === undefined ? {} : { y }) };
    return createPublicKey({ key: publicJwk, format: 'jwk' });
  } catch {
    return undefined;
  }
}

/** The member of an Azure paravisor's runtime claims that a caller's own runtime data never needs. */
const PARAVISOR_MEMBER = 'vm-configuration';
/** The key ids of the paravisor's vTPM keys (`HCLAkPub`, `HCLEkPub`). */
const PARAVISOR_KID_PREFIX = 'HCL';

/**
 * Whether JSON runtime data is an Azure paravisor's (HCL) runtime claims rather than the workload's. Any
 * sign of it counts, so a future vTPM key under a new kid is not mistaken for the workload's.
 */
function isParavisorRuntime(runtime: Readonly<Record<string, unknown>>): boolean {
  if (Object.hasOwn(runtime, PARAVISOR_MEMBER)) return true;
  const keys = own(runtime, 'keys');
  return (
    Array.isArray(keys) &&
    keys.some(
      (key) => isJsonObject(key) && typeof own(key, 'kid') === 'string' && (own(key, 'kid') as string).startsWith(PARAVISOR_KID_PREFIX),
    )
  );
}

function workloadRuntimeData(attestation: RuntimeDataSource): RuntimeData | undefined {
  switch (attestation.attestationType) {
    case 'sgx':
      return readRuntimeData(attestation);
    case 'sevsnpvm':
    case 'tdxvm': {
      const json = (attestation.attestationType === 'sevsnpvm' ? attestation.sevsnp : attestation.tdx)?.runtimeClaims;
      return json === undefined || isParavisorRuntime(json) ? undefined : { source: 'x-ms-runtime', bytes: undefined, json };
    }
    default:
      return undefined;
  }
}

/** JWS `alg` values (RFC 7518, RFC 8037) that sign with each key type, as an attested request-signing key may name them. */
// A Map, not an object: `kty` is the enclave's text, and "constructor" or "__proto__" would index the prototype.
const SIGNING_ALGORITHMS: ReadonlyMap<string, readonly string[]> = new Map([
  ['EC', ['ES256']],
  ['RSA', ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']],
  ['OKP', ['EdDSA', 'Ed25519']],
]);

/**
 * Whether a runtime JWK says it is for signatures, or says nothing: `use` absent or `sig`, `key_ops`
 * absent or only `sign`/`verify` with `verify` among them, `alg` absent or a signature algorithm of its
 * key type. An encryption key (`use: "enc"`, `key_ops: ["encrypt"]`, `alg: "ECDH-ES"`) proves nothing
 * about who signed a request, and the enclave may hold it for another purpose.
 */
function isSigningJwk(jwk: Readonly<Record<string, unknown>>): boolean {
  const use = own(jwk, 'use');
  if (use !== undefined && use !== 'sig') return false;
  const ops = own(jwk, 'key_ops');
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify') && ops.every((op) => op === 'verify' || op === 'sign')))
    return false;
  const alg = own(jwk, 'alg');
  const kty = own(jwk, 'kty');
  if (alg !== undefined && !(typeof kty === 'string' && typeof alg === 'string' && (SIGNING_ALGORITHMS.get(kty) ?? []).includes(alg)))
    return false;
  return true;
}

/**
 * A token carrying runtime data twice, as binary `x-ms-sgx-ehd` and as JSON `x-ms-runtime`, must carry
 * the same data: otherwise a policy reading one and binding reading the other would judge different
 * nonces and keys. Binary data that is not a JSON object cannot agree with JSON data. Throws
 * ERR_CLAIM_INVALID on disagreement; a token with one form or none passes.
 */
export function checkRuntimeDataAgreement(claims: Readonly<Record<string, unknown>>, enclaveHeldData: () => Uint8Array | undefined): void {
  // Both claims present is rare (MAA sends one form): the binary data is decoded only then.
  const runtime = own(claims, 'x-ms-runtime');
  if (runtime === undefined || own(claims, 'x-ms-sgx-ehd') === undefined) return;
  const bytes = enclaveHeldData();
  const binary = bytes === undefined ? undefined : parseJsonText(bytes);
  if (binary === undefined || !isDeepStrictEqual(binary, runtime)) {
    throw new AttestationError(
      'ERR_CLAIM_INVALID',
      'the token carries binary runtime data (x-ms-sgx-ehd) and JSON runtime data (x-ms-runtime) that disagree',
    );
  }
}
