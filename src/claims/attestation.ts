/**
 * The typed view of a whole MAA attestation result: the claims common to every attestation type, and
 * the type-specific view for the types this library understands.
 */
import { AttestationError, quote } from '../errors.js';
import { type AzureVmClaims, readAzureVmClaims } from './azurevm.js';
import { verbatimLegacyAliasOf } from './catalog.js';
import { checkRuntimeDataAgreement } from './runtime-data.js';
import { type ClaimSet, omitUndefined, optionalBase64Url, optionalObject, optionalString, ownClaim } from './read.js';
import { type SevSnpClaims, readSevSnpClaims } from './sevsnp.js';
import { type SgxClaims, readSgxClaims } from './sgx.js';
import { type TdxClaims, readTdxClaims } from './tdx.js';

export interface AttestationResult {
  /** `x-ms-attestation-type`: `sgx`, `sevsnpvm`, `azurevm`, `tdxvm`, … */
  attestationType: string;
  /** Identifies the instance policy that appraised the evidence (base64url). */
  policyHash?: string;
  /** The JWK that signed the instance policy (isolated trust model). */
  policySigner?: Record<string, unknown>;
  /** The nonce the client sent to MAA: it is not inside the evidence and proves nothing about the TEE. */
  nonce?: string;
  sgx?: SgxClaims;
  sevsnp?: SevSnpClaims;
  azurevm?: AzureVmClaims;
  tdx?: TdxClaims;
}

const SUPPORTED_VERSION = '1.0';

// MAA signs policy-management responses (get/set policy, policy certificates) with the same key as
// attestation results, so a valid signature does not make a token evidence. Those responses carry no
// attestation type: that absence is what tells them apart.
function readAttestationType(payload: ClaimSet): string {
  const type = ownClaim(payload, 'x-ms-attestation-type');
  if (typeof type === 'string' && type !== '') return type;
  if (isLegacySgxResult(payload)) {
    throw new AttestationError(
      'ERR_CLAIM_INVALID',
      "the token is an SGX result in MAA's 2020 claim format (tee, sgx-mrenclave, maa-*; no x-ms-attestation-type), which this library does not accept: attest again against a current MAA instance",
    );
  }
  const found = type === undefined ? 'is missing' : `is ${quote(type)}`;
  throw new AttestationError(
    'ERR_CLAIM_INVALID',
    `the token is not an attestation result: x-ms-attestation-type ${found} (expected a non-empty string)`,
  );
}

// Claims under a future version may mean something else: refuse rather than guess.
function checkVersion(payload: ClaimSet): void {
  const version = ownClaim(payload, 'x-ms-ver');
  if (version !== undefined && version !== SUPPORTED_VERSION) {
    throw new AttestationError('ERR_CLAIM_INVALID', `claim "x-ms-ver" must be ${quote(SUPPORTED_VERSION)}, got ${quote(version)}`);
  }
}

function readTypedView(attestationType: string, payload: ClaimSet): Partial<AttestationResult> {
  switch (attestationType) {
    case 'sgx':
      return { sgx: readSgxClaims(payload) };
    case 'sevsnpvm':
      return { sevsnp: readSevSnpClaims(payload) };
    case 'azurevm':
      return { azurevm: readAzureVmClaims(payload) };
    case 'tdxvm':
      return { tdx: readTdxClaims(payload) };
    default:
      return {};
  }
}

/**
 * An SGX attestation result in MAA's 2020 claim format: `tee: "sgx"` and the enclave identity under its
 * legacy names, but no `x-ms-attestation-type`. It is evidence (unlike a policy-management response),
 * only in a format this library does not read.
 */
export function isLegacySgxResult(payload: ClaimSet): boolean {
  return (
    !Object.hasOwn(payload, 'x-ms-attestation-type') &&
    ownClaim(payload, LEGACY_NAMES.type) === 'sgx' &&
    Object.hasOwn(payload, LEGACY_NAMES.mrenclave) &&
    Object.hasOwn(payload, LEGACY_NAMES.mrsigner)
  );
}

// The 2020 names of the claims that make a result SGX evidence, as the catalogue's aliases give them.
const LEGACY_NAMES = {
  type: legacyName('x-ms-attestation-type'),
  mrenclave: legacyName('x-ms-sgx-mrenclave'),
  mrsigner: legacyName('x-ms-sgx-mrsigner'),
};

function legacyName(claim: string): string {
  const name = verbatimLegacyAliasOf(claim);
  if (name === undefined) throw new TypeError(`the claim catalogue has no legacy alias of ${claim}`);
  return name;
}

/**
 * `x-ms-policy-hash` of MAA's default SGX policy as the shared instances served it until 2022 (the text
 * in the testing kit), which issues tokens for any enclave, debug ones included: a token appraised by it
 * proves nothing about the enclave unless the relying party's own policy pins it.
 */
const MAA_DEFAULT_POLICY_HASH = 'bROrN897ZfWmWY2V0FLUlu3uwk5xatGnKYHn3zBbSlw';

/**
 * The default policies of MAA's shared instances, per attestation type, as real tokens show them (a
 * shared instance cannot be given another policy). Each issues tokens for any TEE of its type, so a
 * relying party facing one of these hashes must pin the TEE itself.
 */
export const MAA_DEFAULT_POLICY_HASHES: Readonly<Record<string, readonly string[]>> = Object.freeze(
  // No prototype: the table is looked up by a token's own attestation type, and `constructor` or
  // `__proto__` must find nothing rather than Object.prototype's members.
  Object.assign(Object.create(null) as Record<string, readonly string[]>, {
    // 2020–2022; then, with x-ms-sgx-tcbidentifier "10", 2023–2024 (sharedeus, eus2).
    sgx: Object.freeze([MAA_DEFAULT_POLICY_HASH, 'OwEvpSVEWA5eisCEncBt8NSZFLYDRKoLaoONPrZgoeY']),
    // sharedwus 2022, sharedweu 2023, sharedeus2 2022 and 2024.
    azurevm: Object.freeze(['wm9mHlvTU82e8UqoOy1Yj1FBRSNkfe99-69IYDq9eWs']),
  }),
);

/**
 * Reads and checks a verified payload as an attestation result, runtime data given twice agreeing.
 * Throws ERR_CLAIM_INVALID.
 */
export function readAttestationResult(payload: ClaimSet): AttestationResult {
  const attestationType = readAttestationType(payload);
  checkVersion(payload);
  const result = omitUndefined({
    attestationType,
    policyHash: optionalBase64Url(payload, 'x-ms-policy-hash'),
    policySigner: optionalObject(payload, 'x-ms-policy-signer'),
    nonce: optionalString(payload, 'nonce'),
    ...readTypedView(attestationType, payload),
  });
  checkRuntimeDataAgreement(payload, () => result.sgx?.enclaveHeldData);
  return result;
}
