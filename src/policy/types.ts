/**
 * The policy language as users write it: in code (these types) or as JSON (validated by compilePolicy,
 * which accepts `unknown` because a policy file is untyped until it has been checked).
 */

/** A claim value a condition may compare with: objects and arrays are not allowed, as in Key Vault SKR. */
export type ClaimValue = string | number | boolean;

/** The value each operator takes. Ordering operators compare numbers only. */
export interface OperatorValues {
  equals: ClaimValue;
  notEquals: ClaimValue;
  less: number;
  lessOrEquals: number;
  greater: number;
  greaterOrEquals: number;
  exists: boolean;
}

export type PolicyOperator = keyof OperatorValues;

// Optional `never` members make a second operator a type error: a plain union would let TypeScript's
// excess-property check accept `{ claim, equals, less }` because each name exists in some member.
type OneOperator<Op extends PolicyOperator> = { readonly claim: string } & { readonly [K in Op]: OperatorValues[K] } & {
  readonly [K in Exclude<PolicyOperator, Op>]?: never;
};

/**
 * `{ claim: "<dotted.path>", <operator>: value }`. The path descends into JSON objects, never arrays
 * (`x-ms-isolation-tee.x-ms-compliance-status`); MAA claim names contain hyphens, never dots. A missing
 * claim fails every operator but `exists: false`.
 */
export type PolicyCondition = { [Op in PolicyOperator]: OneOperator<Op> }[PolicyOperator];

export type PolicyGroup =
  { readonly allOf: readonly PolicyRule[]; readonly anyOf?: never } | { readonly anyOf: readonly PolicyRule[]; readonly allOf?: never };

export type PolicyRule = PolicyCondition | PolicyGroup;

/** One entry of the top-level `anyOf`/`allOf`: the rules apply to tokens issued by `authority`. */
export type AuthorityBlock = { readonly authority: string } & PolicyGroup;

/** Members both forms accept. Each defaults to false. */
export interface PolicyFlags {
  /**
   * Accept debug TEEs, whose memory the host can read: SGX debug enclaves, SEV-SNP debug guests, debug
   * TDs, and confidential VMs with boot, kernel or hypervisor debugging on. MAA's default policies issue
   * tokens for them, so they are refused unless this is true. Tokens of a type whose debug flags this
   * library does not know (anything but sgx, sevsnpvm, tdxvm and azurevm on SEV-SNP or TDX) are refused
   * too unless this is true.
   */
  readonly allowDebug?: boolean;
  /**
   * Accept SEV-SNP guests whose policy allows a migration agent (`x-ms-sevsnpvm-migration-allowed`): such
   * an agent can move the guest's memory to another machine. Refused unless this is true.
   */
  readonly allowMigration?: boolean;
  /** Accept a policy that can be satisfied without an `equals` on an enclave identity claim. */
  readonly allowAnyEnclave?: boolean;
  /** Accept claim names that are not in the catalogue of MAA claims (they are then compared untyped). */
  readonly allowUnknownClaims?: boolean;
}

type ShorthandMember =
  | 'authority'
  | 'attestationType'
  | 'mrenclave'
  | 'mrsigner'
  | 'productId'
  | 'minSvn'
  | 'launchMeasurement'
  | 'hostData'
  | 'minGuestSvn'
  | 'mrtd'
  | 'rtmr'
  | 'mrSeam'
  | 'tcbStatus'
  | 'minSeamSvn'
  | 'complianceStatus'
  | 'policyHash';

/** The JSON of an Azure Key Vault secure key release policy, so an existing one can be reused as is. */
export type SkrPolicy = PolicyFlags & { readonly version?: '1.0.0' } & { readonly [K in ShorthandMember]?: never } & (
    | { readonly anyOf: readonly AuthorityBlock[]; readonly allOf?: never }
    | { readonly allOf: readonly AuthorityBlock[]; readonly anyOf?: never }
  );

/**
 * The common cases, one TEE per policy. Lists are allowlists: during a rotation the old and new values
 * stand side by side. Compiles into the same rule tree as the SKR form.
 *
 * ```ts
 * { attestationType: 'sgx', mrsigner: ['…64 hex…'], productId: 1, minSvn: 2 }
 * { attestationType: 'sevsnpvm', launchMeasurement: ['…96 hex…'], complianceStatus: ['azure-compliant-cvm'] }
 * { attestationType: 'tdxvm', mrtd: ['…96 hex…'], rtmr: { 3: ['…96 hex…'] }, tcbStatus: ['UpToDate'] }
 * { attestationType: 'azurevm', mrtd: ['…'] }   // the TDX claims under x-ms-isolation-tee, which must be tdxvm
 * ```
 */
export type ShorthandPolicy = PolicyFlags & {
  /** The issuer(s) whose tokens the policy accepts; absent: any issuer the verifier trusts. */
  readonly authority?: string | readonly string[];
  /**
   * `x-ms-attestation-type`; default `sgx`. SGX members need `sgx`; SEV-SNP members `sevsnpvm` or
   * `azurevm`; TDX members `tdxvm` or `azurevm` (for `azurevm` they name the claims under
   * `x-ms-isolation-tee`, and the isolation TEE must be of their kind).
   */
  readonly attestationType?: string;
  /** SGX: `x-ms-sgx-mrenclave` allowlist. */
  readonly mrenclave?: readonly string[];
  /** SGX: `x-ms-sgx-mrsigner` allowlist. */
  readonly mrsigner?: readonly string[];
  /** SGX: `x-ms-sgx-product-id` must equal this. */
  readonly productId?: number;
  /** SGX: `x-ms-sgx-svn` must be at least this. */
  readonly minSvn?: number;
  /** SEV-SNP: `x-ms-sevsnpvm-launchmeasurement` allowlist (the guest's identity). */
  readonly launchMeasurement?: readonly string[];
  /** SEV-SNP: `x-ms-sevsnpvm-hostdata` allowlist; chosen by the host, so only beside `launchMeasurement`. */
  readonly hostData?: readonly string[];
  /** SEV-SNP: `x-ms-sevsnpvm-guestsvn` must be at least this. */
  readonly minGuestSvn?: number;
  /** TDX: `tdx_mrtd` allowlist (the TD's identity). */
  readonly mrtd?: readonly string[];
  /** TDX: an allowlist per runtime measurement register, keyed "0" to "3". */
  readonly rtmr?: { readonly [K in '0' | '1' | '2' | '3']?: readonly string[] };
  /** TDX: `tdx_mrseam` allowlist (the Intel TDX module builds you accept). */
  readonly mrSeam?: readonly string[];
  /** TDX: `attester_tcb_status` allowlist, e.g. `['UpToDate']`. */
  readonly tcbStatus?: readonly string[];
  /** TDX: `tdx_seamsvn` must be at least this. */
  readonly minSeamSvn?: number;
  /** SEV-SNP or TDX: `x-ms-compliance-status` allowlist, e.g. `['azure-compliant-cvm']`. */
  readonly complianceStatus?: readonly string[];
  /** `x-ms-policy-hash`: pins the instance policy that appraised the evidence. */
  readonly policyHash?: readonly string[];
  readonly anyOf?: never;
  readonly allOf?: never;
  readonly version?: never;
};

export type AttestationPolicy = SkrPolicy | ShorthandPolicy;

/**
 * One condition that was not met. For logs and diagnostics only: `expected` and `message` disclose what
 * the policy requires, so never send them to the client.
 */
export interface PolicyFailure {
  /** Where the condition sits in the policy, e.g. `policy.anyOf[0].allOf[2]` or `policy.mrenclave[1]`. */
  readonly path: string;
  /** The dotted claim path (`iss` for an authority mismatch). */
  readonly claim: string;
  readonly operator: string;
  readonly expected: unknown;
  /** The value found in the token, or undefined when the claim is missing. */
  readonly actual: unknown;
  readonly message: string;
}

export interface PolicyDecision {
  readonly allowed: boolean;
  /** Empty when allowed. When denied, every failed condition; for an anyOf, those of every branch. */
  readonly reasons: readonly PolicyFailure[];
}
