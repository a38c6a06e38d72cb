/**
 * The shorthand for the common cases, rewritten into the tree the SKR form produces: an allOf of
 * conditions (each list an anyOf of equals), under one authority block per listed issuer. Values are
 * left to the condition compiler, so a bad measurement gets the same check and message in both forms.
 *
 * Members belong to a TEE: the SGX ones to `sgx` tokens, the SEV-SNP ones to `sevsnpvm` tokens and to
 * `azurevm` tokens on SEV-SNP, the TDX ones to `tdxvm` tokens and to `azurevm` tokens on TDX. For
 * `azurevm` they name the claims under `x-ms-isolation-tee`, and the policy then also requires that
 * isolation TEE.
 */
import { ISOLATION_TEE } from '../claims/catalog.js';
import { isJsonObject, own } from '../util/own.js';
import { type ConditionNode, type GroupNode, nonEmptyArray, policyError, type RuleNode, show } from './ast.js';
import type { PolicyOperator } from './types.js';

type Policy = Readonly<Record<string, unknown>>;

/** Which evidence a member describes: one TEE, any confidential VM TEE (`cvm`), or every type (`any`). */
type MemberTee = 'sgx' | 'sevsnpvm' | 'tdxvm' | 'cvm' | 'any';

interface ClaimMember {
  readonly member: string;
  readonly claim: string;
  readonly operator: PolicyOperator;
  /** An allowlist: an array of values, any of which will do. */
  readonly list: boolean;
  readonly tee: MemberTee;
}

const member = (name: string, claim: string, tee: MemberTee, operator: PolicyOperator = 'equals', list = true): ClaimMember => ({
  member: name,
  claim,
  operator,
  list,
  tee,
});

const CLAIM_MEMBERS: readonly ClaimMember[] = [
  member('mrenclave', 'x-ms-sgx-mrenclave', 'sgx'),
  member('mrsigner', 'x-ms-sgx-mrsigner', 'sgx'),
  member('productId', 'x-ms-sgx-product-id', 'sgx', 'equals', false),
  member('minSvn', 'x-ms-sgx-svn', 'sgx', 'greaterOrEquals', false),
  member('launchMeasurement', 'x-ms-sevsnpvm-launchmeasurement', 'sevsnpvm'),
  member('hostData', 'x-ms-sevsnpvm-hostdata', 'sevsnpvm'),
  member('minGuestSvn', 'x-ms-sevsnpvm-guestsvn', 'sevsnpvm', 'greaterOrEquals', false),
  member('mrtd', 'tdx_mrtd', 'tdxvm'),
  member('mrSeam', 'tdx_mrseam', 'tdxvm'),
  member('tcbStatus', 'attester_tcb_status', 'tdxvm'),
  member('minSeamSvn', 'tdx_seamsvn', 'tdxvm', 'greaterOrEquals', false),
  member('complianceStatus', 'x-ms-compliance-status', 'cvm'),
  member('policyHash', 'x-ms-policy-hash', 'any'),
];

/** `rtmr: { "0": [...], …, "3": [...] }`: an allowlist per runtime measurement register. */
const RTMR_MEMBER = 'rtmr';
const RTMR_INDICES = ['0', '1', '2', '3'];

/** The shorthand member that names `claim` (as a token of its type carries it at the top level), if any. */
export function shorthandMemberOf(claim: string): string | undefined {
  return CLAIM_MEMBERS.find((spec) => spec.claim === claim)?.member;
}

export const SHORTHAND_MEMBERS: readonly string[] = [
  'authority',
  'attestationType',
  ...CLAIM_MEMBERS.map((spec) => spec.member),
  RTMR_MEMBER,
];

const SGX = 'sgx';
const AZUREVM = 'azurevm';

const condition = (path: string, claim: string, operator: PolicyOperator, value: unknown): ConditionNode => ({
  kind: 'condition',
  path,
  claim,
  operator,
  value,
});

function allowlist(path: string, claim: string, value: unknown): RuleNode {
  const children = nonEmptyArray(value, path).map((item, index) => condition(`${path}[${index}]`, claim, 'equals', item));
  return { kind: 'anyOf', path, children };
}

function claimRule(policy: Policy, spec: ClaimMember, claim: string): RuleNode {
  const path = `policy.${spec.member}`;
  const value = own(policy, spec.member);
  return spec.list ? allowlist(path, claim, value) : condition(path, claim, spec.operator, value);
}

function rtmrRule(policy: Policy, claimPrefix: string): RuleNode {
  const path = `policy.${RTMR_MEMBER}`;
  const value = own(policy, RTMR_MEMBER);
  if (!isJsonObject(value)) throw policyError(path, `must be an object of RTMR index ("0".."3") to allowlist, got ${show(value)}`);
  const indices = Object.keys(value);
  if (indices.length === 0) throw policyError(path, 'must not be empty');
  const unknown = indices.find((index) => !RTMR_INDICES.includes(index));
  if (unknown !== undefined) throw policyError(path, `unknown register ${show(unknown)} (RTMRs are "0" to "3")`);
  const children = indices.map((index) => allowlist(`${path}.${index}`, `${claimPrefix}tdx_rtmr${index}`, own(value, index)));
  return { kind: 'allOf', path, children };
}

function attestationType(policy: Policy): string {
  if (!Object.hasOwn(policy, 'attestationType')) return SGX;
  const type = own(policy, 'attestationType');
  if (typeof type !== 'string' || type === '') throw policyError('policy.attestationType', `must be a non-empty string, got ${show(type)}`);
  return type;
}

const TEE_NAMES: Readonly<Record<string, string>> = { sgx: 'an SGX', sevsnpvm: 'a SEV-SNP', tdxvm: 'a TDX', cvm: "a confidential VM's" };

// Which member TEEs a token type carries, and (for azurevm) under which prefix.
function fitsType(tee: MemberTee, type: string): boolean {
  if (tee === 'any') return true;
  if (type === AZUREVM) return tee !== SGX;
  return tee === type || (tee === 'cvm' && (type === 'sevsnpvm' || type === 'tdxvm'));
}

/** Parses a policy already known to be in the shorthand form (its members checked). */
export function parseShorthand(policy: Policy): RuleNode {
  const type = attestationType(policy);
  const members = CLAIM_MEMBERS.filter((spec) => Object.hasOwn(policy, spec.member));
  const hasRtmr = Object.hasOwn(policy, RTMR_MEMBER);
  const tees = new Set<MemberTee>([...members.map((spec) => spec.tee), ...(hasRtmr ? (['tdxvm'] as const) : [])]);
  for (const spec of [...members, ...(hasRtmr ? [member(RTMR_MEMBER, 'tdx_rtmr*', 'tdxvm')] : [])]) {
    if (!fitsType(spec.tee, type)) {
      throw policyError(`policy.${spec.member}`, `names ${TEE_NAMES[spec.tee]} claim, which a ${show(type)} token never carries`);
    }
  }
  const children: RuleNode[] = [condition('policy.attestationType', 'x-ms-attestation-type', 'equals', type)];
  let prefix = '';
  if (type === AZUREVM) {
    prefix = `${ISOLATION_TEE}.`;
    const isolation = tees.has('sevsnpvm') ? 'sevsnpvm' : tees.has('tdxvm') ? 'tdxvm' : undefined;
    if (tees.has('sevsnpvm') && tees.has('tdxvm')) {
      throw policyError(
        'policy',
        'mixes SEV-SNP and TDX members: an azurevm token has one isolation TEE (write one policy per TEE, or use the SKR form)',
      );
    }
    if (isolation !== undefined)
      children.push(condition('policy.attestationType', `${ISOLATION_TEE}.x-ms-attestation-type`, 'equals', isolation));
  }
  for (const spec of members) children.push(claimRule(policy, spec, spec.tee === 'any' ? spec.claim : `${prefix}${spec.claim}`));
  if (hasRtmr) children.push(rtmrRule(policy, prefix));
  const body: GroupNode = { kind: 'allOf', path: 'policy', children };
  return withAuthorities(policy, body);
}

function withAuthorities(policy: Policy, body: RuleNode): RuleNode {
  if (!Object.hasOwn(policy, 'authority')) return body;
  const authority = own(policy, 'authority');
  const block = (path: string, value: unknown): RuleNode => ({ kind: 'authority', path, authority: value, child: body });
  if (!Array.isArray(authority)) return block('policy.authority', authority);
  const children = nonEmptyArray(authority, 'policy.authority').map((value, index) => block(`policy.authority[${index}]`, value));
  return { kind: 'anyOf', path: 'policy.authority', children };
}
