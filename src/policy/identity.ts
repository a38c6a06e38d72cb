/**
 * The identity rule: a policy must pin WHICH workload it trusts, with an `equals` on a claim that
 * identifies it, or say `allowAnyEnclave: true`. Which claims identify a workload depends on the
 * attestation type; the catalogue marks them with the role `identity`, and this table says why those
 * and not others.
 */
import { ATTESTATION_TYPES, type AttestationTypeName, claimsWithRole, ISOLATION_TEE_TYPES } from '../claims/catalog.js';

export interface IdentityRule {
  /** The claim paths an `equals` on which pins the workload, as a token of the type carries them. */
  readonly claims: readonly string[];
  /** Why these, and why not the look-alikes. */
  readonly reason: string;
}

const REASONS: Readonly<Record<AttestationTypeName, string>> = {
  sgx: 'MRENCLAVE names the exact enclave build; MRSIGNER names its author, so any enclave that author signs (pin x-ms-sgx-product-id and a minimum x-ms-sgx-svn with it). The legacy names (sgx-mrenclave, …) never count: a custom policy may reuse them.',
  sevsnpvm:
    'the launch measurement is the digest of what was launched. HOST_DATA is chosen by the host at launch, so it may accompany the measurement but never identifies the guest alone; the ID and author key digests say who signed the launch, not what ran.',
  tdxvm:
    'MRTD measures the TD as it was built; RTMRs, MRCONFIGID and the owner IDs may be pinned beside it (the host can set the owner IDs), never instead of it.',
  azurevm:
    "the isolation TEE's measurement (x-ms-isolation-tee: the SEV-SNP launch measurement or the TDX MRTD). On Azure it measures Microsoft's paravisor and firmware, so pin the guest's own state (x-ms-azurevm-* claims, PCRs) beside it.",
};

function identityClaims(type: AttestationTypeName): string[] {
  if (type !== 'azurevm') return claimsWithRole(type, 'identity');
  return ISOLATION_TEE_TYPES.flatMap((tee) => claimsWithRole('azurevm', 'identity', tee));
}

/** The identity rule of each attestation type. */
export const IDENTITY_RULES: Readonly<Record<AttestationTypeName, IdentityRule>> = Object.freeze(
  Object.fromEntries(
    ATTESTATION_TYPES.map((type) => [type, Object.freeze({ claims: Object.freeze(identityClaims(type)), reason: REASONS[type] })]),
  ) as Record<AttestationTypeName, IdentityRule>,
);

/** Every identity claim path, for messages. */
export const IDENTITY_CLAIMS: readonly string[] = Object.freeze(ATTESTATION_TYPES.flatMap((type) => IDENTITY_RULES[type].claims));
