/**
 * The shorthand for the common SGX case, rewritten into the tree the SKR form produces: an allOf of
 * conditions (each list an anyOf of equals), under one authority block per listed issuer. Values are
 * left to the condition compiler, so a bad measurement gets the same check and message in both forms.
 */
import { own } from '../util/own.js';
import { type ConditionNode, type GroupNode, nonEmptyArray, policyError, type RuleNode, show } from './ast.js';
import type { PolicyOperator } from './types.js';

type Policy = Readonly<Record<string, unknown>>;

interface ClaimMember {
  readonly member: string;
  readonly claim: string;
  readonly operator: PolicyOperator;
  /** An allowlist: an array of values, any of which will do. */
  readonly list: boolean;
  readonly sgxOnly: boolean;
}

const CLAIM_MEMBERS: readonly ClaimMember[] = [
  { member: 'mrenclave', claim: 'x-ms-sgx-mrenclave', operator: 'equals', list: true, sgxOnly: true },
  { member: 'mrsigner', claim: 'x-ms-sgx-mrsigner', operator: 'equals', list: true, sgxOnly: true },
  { member: 'productId', claim: 'x-ms-sgx-product-id', operator: 'equals', list: false, sgxOnly: true },
  { member: 'minSvn', claim: 'x-ms-sgx-svn', operator: 'greaterOrEquals', list: false, sgxOnly: true },
  { member: 'policyHash', claim: 'x-ms-policy-hash', operator: 'equals', list: true, sgxOnly: false },
];

export const SHORTHAND_MEMBERS: readonly string[] = ['authority', 'attestationType', ...CLAIM_MEMBERS.map((spec) => spec.member)];

const SGX = 'sgx';

const condition = (path: string, claim: string, operator: PolicyOperator, value: unknown): ConditionNode => ({
  kind: 'condition',
  path,
  claim,
  operator,
  value,
});

function claimRule(policy: Policy, spec: ClaimMember): RuleNode {
  const path = `policy.${spec.member}`;
  const value = own(policy, spec.member);
  if (!spec.list) return condition(path, spec.claim, spec.operator, value);
  const children = nonEmptyArray(value, path).map((item, index) => condition(`${path}[${index}]`, spec.claim, spec.operator, item));
  return { kind: 'anyOf', path, children };
}

function attestationType(policy: Policy): string {
  if (!Object.hasOwn(policy, 'attestationType')) return SGX;
  const type = own(policy, 'attestationType');
  if (typeof type !== 'string' || type === '') throw policyError('policy.attestationType', `must be a non-empty string, got ${show(type)}`);
  return type;
}

function withAuthorities(policy: Policy, body: RuleNode): RuleNode {
  if (!Object.hasOwn(policy, 'authority')) return body;
  const authority = own(policy, 'authority');
  const block = (path: string, value: unknown): RuleNode => ({ kind: 'authority', path, authority: value, child: body });
  if (!Array.isArray(authority)) return block('policy.authority', authority);
  const children = nonEmptyArray(authority, 'policy.authority').map((value, index) => block(`policy.authority[${index}]`, value));
  return { kind: 'anyOf', path: 'policy.authority', children };
}

/** Parses a policy already known to be in the shorthand form (its members checked). */
export function parseShorthand(policy: Policy): RuleNode {
  const type = attestationType(policy);
  const members = CLAIM_MEMBERS.filter((spec) => Object.hasOwn(policy, spec.member));
  const sgxMember = members.find((spec) => spec.sgxOnly);
  if (sgxMember !== undefined && type !== SGX) {
    throw policyError(`policy.${sgxMember.member}`, `names an SGX claim, which a ${show(type)} token never carries`);
  }
  const body: GroupNode = {
    kind: 'allOf',
    path: 'policy',
    children: [
      condition('policy.attestationType', 'x-ms-attestation-type', 'equals', type),
      ...members.map((spec) => claimRule(policy, spec)),
    ],
  };
  return withAuthorities(policy, body);
}
