/**
 * The Azure Key Vault secure key release form: `{ version?, anyOf | allOf: [ { authority, allOf | anyOf:
 * [ rules ] } ] }`, where a rule is a condition or a nested group.
 */
import { own } from '../util/own.js';
import {
  type AuthorityNode,
  checkMembers,
  type ConditionNode,
  expectObject,
  GROUP_KINDS,
  type GroupNode,
  nonEmptyArray,
  policyError,
  type RuleNode,
  show,
} from './ast.js';
import { isOperator, OPERATOR_NAMES } from './condition.js';

export const SKR_MEMBERS = ['version', ...GROUP_KINDS] as const;

const SKR_VERSION = '1.0.0';

// Deeper nesting is no policy anyone writes, and unbounded recursion on a hostile file would end in a
// RangeError instead of a configuration error.
const MAX_DEPTH = 32;

type ChildParser = (value: unknown, path: string) => RuleNode;

function group(object: Readonly<Record<string, unknown>>, path: string, parseChild: ChildParser): GroupNode {
  const kinds = GROUP_KINDS.filter((kind) => Object.hasOwn(object, kind));
  const [kind] = kinds;
  if (kind === undefined || kinds.length > 1) throw policyError(path, 'must have exactly one of allOf and anyOf');
  const groupPath = `${path}.${kind}`;
  const items = nonEmptyArray(own(object, kind), groupPath);
  return { kind, path: groupPath, children: items.map((item, index) => parseChild(item, `${groupPath}[${index}]`)) };
}

function condition(object: Readonly<Record<string, unknown>>, path: string): ConditionNode {
  const members = Object.keys(object).filter((name) => name !== 'claim');
  const unknown = members.find((name) => !isOperator(name));
  if (unknown !== undefined) throw policyError(path, `unknown member or operator ${show(unknown)} (operators: ${OPERATOR_NAMES})`);
  const operators = members.filter(isOperator);
  const [operator] = operators;
  if (operator === undefined) throw policyError(path, `names no operator (one of ${OPERATOR_NAMES})`);
  if (operators.length > 1) throw policyError(path, `has more than one operator (${operators.join(', ')})`);
  const claim = own(object, 'claim');
  if (typeof claim !== 'string') throw policyError(`${path}.claim`, `must be a string, got ${show(claim)}`);
  return { kind: 'condition', path, claim, operator, value: own(object, operator) };
}

function rule(value: unknown, path: string, depth: number): RuleNode {
  if (depth > MAX_DEPTH) throw policyError(path, `nests deeper than ${MAX_DEPTH} groups`);
  const object = expectObject(value, path);
  if (Object.hasOwn(object, 'claim')) return condition(object, path);
  if (!GROUP_KINDS.some((kind) => Object.hasOwn(object, kind))) {
    throw policyError(path, 'must be a condition ({ claim, <operator>: value }) or a group ({ allOf } or { anyOf })');
  }
  checkMembers(object, path, GROUP_KINDS);
  return group(object, path, (child, childPath) => rule(child, childPath, depth + 1));
}

function authorityBlock(value: unknown, path: string): AuthorityNode {
  const object = expectObject(value, path);
  checkMembers(object, path, ['authority', ...GROUP_KINDS]);
  if (!Object.hasOwn(object, 'authority')) throw policyError(path, 'names no authority (the issuer URL its rules apply to)');
  return {
    kind: 'authority',
    path: `${path}.authority`,
    authority: own(object, 'authority'),
    child: group(object, path, (child, childPath) => rule(child, childPath, 1)),
  };
}

/** Parses a policy already known to be in the SKR form (its members checked). */
export function parseSkr(policy: Readonly<Record<string, unknown>>): RuleNode {
  if (Object.hasOwn(policy, 'version') && own(policy, 'version') !== SKR_VERSION) {
    throw policyError('policy.version', `must be ${show(SKR_VERSION)}, got ${show(own(policy, 'version'))}`);
  }
  return group(policy, 'policy', authorityBlock);
}
