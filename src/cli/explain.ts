/**
 * `inspect`'s explanation of an attestation type: which claims identify the workload (printed whole, so
 * they can be copied into a policy), what its debug and migration flags say, and a policy to start from.
 * Every fact comes from the claim catalogue and the policy's identity rule; this module only reads the
 * token against them.
 */
import { MAA_DEFAULT_POLICY_HASHES } from '../claims/attestation.js';
import {
  ATTESTATION_TYPES,
  type AttestationTypeName,
  claimsOf,
  type ClaimSpec,
  ISOLATION_TEE,
  isDangerous,
  ISOLATION_TEE_TYPES,
  type IsolationTeeType,
} from '../claims/catalog.js';
import { own, ownPath } from '../util/own.js';
import { UNKNOWN_FLAGS_RULE } from '../policy/guard.js';
import { IDENTITY_RULES } from '../policy/identity.js';
import { shorthandMemberOf } from '../policy/shorthand.js';
import { printable } from './format.js';

type Claims = Readonly<Record<string, unknown>>;

export interface ExplainedFlag {
  readonly claim: string;
  /** As found in the token; undefined when absent. */
  readonly value: unknown;
  readonly role: 'debug' | 'migration' | 'integrity';
  /** True when the value (or its absence) is the dangerous one. */
  readonly dangerous: boolean;
  /** What the dangerous value means. */
  readonly says: string;
}

export interface TypeExplanation {
  /** `sgx`, `sevsnpvm`, `tdxvm`, `azurevm`. */
  readonly attestationType: AttestationTypeName;
  /** For `azurevm`: the hardware TEE in `x-ms-isolation-tee`, when this library knows it. */
  readonly isolationTee?: IsolationTeeType;
  /** The identity claims the token carries, values whole. */
  readonly identity: readonly { readonly claim: string; readonly value: unknown }[];
  /** Why those claims identify the workload. */
  readonly identityRule: string;
  readonly flags: readonly ExplainedFlag[];
  /** A shorthand policy pinning this token's workload, to start from. */
  readonly startingPolicy: Readonly<Record<string, unknown>>;
}

const isKnownType = (type: unknown): type is AttestationTypeName => (ATTESTATION_TYPES as readonly unknown[]).includes(type);
const isKnownTee = (type: unknown): type is IsolationTeeType => (ISOLATION_TEE_TYPES as readonly unknown[]).includes(type);

const valueAt = (claims: Claims, path: string): unknown => ownPath(claims, path.split('.'));

function flagsOf(claims: Claims, catalogued: readonly [string, ClaimSpec][]): ExplainedFlag[] {
  const flags: ExplainedFlag[] = [];
  for (const [claim, spec] of catalogued) {
    const { danger, role } = spec;
    if (danger === undefined || (role !== 'debug' && role !== 'migration' && role !== 'integrity')) continue;
    const value = valueAt(claims, claim);
    flags.push({ claim, value, role, dangerous: isDangerous(danger, value), says: danger.says });
  }
  return flags;
}

function startingPolicy(claims: Claims, type: AttestationTypeName, tee: IsolationTeeType | undefined): Record<string, unknown> {
  const policy: Record<string, unknown> = {};
  const iss = own(claims, 'iss');
  if (typeof iss === 'string') policy['authority'] = iss;
  policy['attestationType'] = type;
  const prefix = type === 'azurevm' ? `${ISOLATION_TEE}.` : '';
  const evidence = type === 'azurevm' ? tee : type;
  // The shorthand's own table says which member writes each claim: an allowlist for strings, a single
  // value (an id, a minimum) for numbers.
  const add = (claim: string): void => {
    const member = shorthandMemberOf(claim);
    const value = valueAt(claims, `${prefix}${claim}`);
    if (member === undefined) return;
    if (typeof value === 'string') policy[member] = [value];
    else if (typeof value === 'number') policy[member] = value;
  };
  if (evidence === 'sgx') {
    // MRSIGNER with product id and a minimum SVN survives enclave updates; MRENCLAVE pins one build.
    add('x-ms-sgx-mrsigner');
    add('x-ms-sgx-product-id');
    add('x-ms-sgx-svn');
  } else if (evidence === 'sevsnpvm') {
    add('x-ms-sevsnpvm-launchmeasurement');
    add('x-ms-compliance-status');
  } else if (evidence === 'tdxvm') {
    add('tdx_mrtd');
    add('attester_tcb_status');
    add('x-ms-compliance-status');
  }
  // Pinning a shared instance's default policy adds nothing: it issues tokens for any TEE of the type.
  const policyHash = own(claims, 'x-ms-policy-hash');
  if (typeof policyHash === 'string' && !(MAA_DEFAULT_POLICY_HASHES[type] ?? []).includes(policyHash)) policy['policyHash'] = [policyHash];
  return policy;
}

/** Explains a token of a type this library knows; undefined for any other. */
export function explainType(claims: Claims): TypeExplanation | undefined {
  const type = own(claims, 'x-ms-attestation-type');
  if (!isKnownType(type)) return undefined;
  const teeType = type === 'azurevm' ? valueAt(claims, `${ISOLATION_TEE}.x-ms-attestation-type`) : undefined;
  const tee = isKnownTee(teeType) ? teeType : undefined;
  const catalogued = claimsOf(type, tee);
  // The catalogue's identity claims of this token's type (for azurevm: of its isolation TEE), as the
  // identity rule reads them; an azurevm token on an unknown TEE has none.
  const identity = catalogued.flatMap(([claim, spec]) => {
    const value = spec.role === 'identity' ? valueAt(claims, claim) : undefined;
    return value === undefined ? [] : [{ claim, value }];
  });
  const explanation: TypeExplanation = {
    attestationType: type,
    identity,
    identityRule: IDENTITY_RULES[type].reason,
    flags: flagsOf(claims, catalogued),
    startingPolicy: startingPolicy(claims, type, tee),
  };
  return tee === undefined ? explanation : { ...explanation, isolationTee: tee };
}

const ALLOWED_BY: Readonly<Record<ExplainedFlag['role'], string>> = {
  debug: 'a policy refuses it unless allowDebug',
  migration: 'a policy refuses it unless allowMigration',
  integrity: 'a policy may pin it',
};

/** For an azurevm token on an isolation TEE this library does not read: what a policy does with it. */
export function unknownTeeWarning(explanation: TypeExplanation | undefined): string | undefined {
  if (explanation?.attestationType !== 'azurevm' || explanation.isolationTee !== undefined) return undefined;
  return `${ISOLATION_TEE}.x-ms-attestation-type is not ${ISOLATION_TEE_TYPES.join(' or ')}: ${UNKNOWN_FLAGS_RULE}`;
}

/** The observation `inspect` makes about a dangerous flag. */
export function describeFlag(flag: ExplainedFlag): string {
  const found = flag.value === undefined ? 'absent' : printable(JSON.stringify(flag.value));
  return `${flag.says} (${flag.claim} ${found}); ${ALLOWED_BY[flag.role]}`;
}

/** The explanation as text, values whole: what to pin, the flags, a policy to start from. */
export function renderExplanation(explanation: TypeExplanation): string {
  const out: string[] = [];
  const teeText = explanation.isolationTee === undefined ? '' : ` on ${explanation.isolationTee}`;
  out.push(`What to pin (${explanation.attestationType}${teeText})`);
  out.push(`  ${explanation.identityRule}`);
  if (explanation.identity.length === 0) out.push('  this token carries no identity claim: no policy can pin its workload');
  for (const { claim, value } of explanation.identity) out.push(`  ${claim} = ${printable(JSON.stringify(value))}`);
  out.push('');
  if (explanation.flags.length > 0) {
    out.push('Debug, migration and integrity flags');
    for (const flag of explanation.flags) {
      const found = flag.value === undefined ? '(absent)' : printable(JSON.stringify(flag.value));
      out.push(`  ${flag.dangerous ? 'UNSAFE' : 'ok    '}  ${flag.claim} ${found}${flag.dangerous ? `: ${flag.says}` : ''}`);
    }
    out.push('');
  }
  out.push('A policy to start from (shorthand; review every value before trusting it)');
  out.push(
    JSON.stringify(explanation.startingPolicy, null, 2)
      .split('\n')
      .map((line) => `  ${printable(line)}`)
      .join('\n'),
  );
  out.push('');
  return out.join('\n');
}
