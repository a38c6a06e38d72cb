/**
 * Compiles one condition: the claim path split once, the value checked against the catalogue once, and
 * a matcher closed over the prepared expected value.
 *
 * Comparisons are typed: `"3"` never equals `3`. `notEquals` also requires the value to have the type of
 * the expected one, so a claim of the wrong type fails it instead of slipping through as "different".
 */
import type { AttestationError } from '../errors.js';
import { ownPath } from '../util/own.js';
import { type ConditionNode, policyError, show } from './ast.js';
import { type ClaimSpec, type ClaimType, describeType, lookupClaim } from '../claims/catalog.js';
import { type CompiledRule, fail, type FailureSite } from './check.js';
import type { ClaimValue, PolicyOperator } from './types.js';

type Matcher = (actual: unknown) => boolean;
type MatcherFactory = (node: ConditionNode, type: ClaimType | undefined) => Matcher;

const HEX = /^[0-9a-fA-F]*$/;

// ASCII folding only: String#toLowerCase maps some non-ASCII letters onto ASCII ones (U+212A KELVIN SIGN
// becomes "k"), and a measurement spelt with one must not match.
function equalsIgnoringAsciiCase(actual: string, lowerCase: string): boolean {
  if (actual.length !== lowerCase.length) return false;
  for (let i = 0; i < actual.length; i++) {
    const code = actual.charCodeAt(i);
    const folded = code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
    if (folded !== lowerCase.charCodeAt(i)) return false;
  }
  return true;
}

function comparable(node: ConditionNode): ClaimValue {
  const { value } = node;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw policyError(
    node.path,
    `${node.operator} takes a string, a finite number or a boolean (objects, arrays and null are not allowed), got ${show(value)}`,
  );
}

function fitsType(value: ClaimValue, type: ClaimType): boolean {
  switch (type.kind) {
    case 'hex':
      return typeof value === 'string' && value.length === type.digits && HEX.test(value);
    case 'integer':
      return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= type.max;
    case 'string':
      return typeof value === 'string' && (type.values === undefined || type.values.includes(value));
    case 'base64url':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return false;
  }
}

function wrongType(node: ConditionNode, type: ClaimType): AttestationError {
  const held = `claim ${show(node.claim)} holds ${describeType(type)}`;
  if (type.kind === 'object' || type.kind === 'array') {
    return policyError(node.path, `${held}: compare one of its members, or test it with exists`);
  }
  return policyError(node.path, `${held}, got ${show(node.value)}`);
}

function sameValue(node: ConditionNode, type: ClaimType | undefined): Matcher {
  const value = comparable(node);
  if (type !== undefined && !fitsType(value, type)) throw wrongType(node, type);
  if (type?.kind === 'hex' && typeof value === 'string') {
    const lowerCase = value.toLowerCase();
    return (actual) => typeof actual === 'string' && equalsIgnoringAsciiCase(actual, lowerCase);
  }
  return (actual) => actual === value;
}

function ordering(holds: (actual: number, limit: number) => boolean): MatcherFactory {
  return (node, type) => {
    const limit = node.value;
    if (typeof limit !== 'number' || !Number.isFinite(limit)) {
      throw policyError(node.path, `${node.operator} compares finite numbers, got ${show(limit)}`);
    }
    if (type !== undefined && type.kind !== 'integer') {
      throw policyError(node.path, `claim ${show(node.claim)} holds ${describeType(type)}: ${node.operator} compares numbers only`);
    }
    return (actual) => typeof actual === 'number' && holds(actual, limit);
  };
}

const isPresent: Matcher = (actual) => actual !== undefined;
const isAbsent: Matcher = (actual) => actual === undefined;

const MATCHERS: Record<PolicyOperator, MatcherFactory> = {
  equals: sameValue,
  notEquals: (node, type) => {
    const same = sameValue(node, type);
    const kind = typeof node.value;
    return (actual) => typeof actual === kind && !same(actual);
  },
  less: ordering((actual, limit) => actual < limit),
  lessOrEquals: ordering((actual, limit) => actual <= limit),
  greater: ordering((actual, limit) => actual > limit),
  greaterOrEquals: ordering((actual, limit) => actual >= limit),
  exists: (node) => {
    if (typeof node.value !== 'boolean') throw policyError(node.path, `exists takes true or false, got ${show(node.value)}`);
    return node.value ? isPresent : isAbsent;
  },
};

export const OPERATOR_NAMES = Object.keys(MATCHERS).join(', ');

export function isOperator(name: string): name is PolicyOperator {
  return Object.hasOwn(MATCHERS, name);
}

function splitClaim(node: ConditionNode): readonly string[] {
  const segments = node.claim.split('.');
  if (segments.includes('')) {
    throw policyError(`${node.path}.claim`, `${show(node.claim)} is not a claim path (claim names joined by single dots)`);
  }
  return segments;
}

const UNTYPED = { type: undefined, role: undefined } as const;

function claimEntry(node: ConditionNode, segments: readonly string[], allowUnknownClaims: boolean): typeof UNTYPED | ClaimSpec {
  const found = lookupClaim(segments);
  switch (found.found) {
    case 'typed':
      return found.entry;
    case 'free-form':
      return UNTYPED;
    case 'unknown':
      if (allowUnknownClaims) return UNTYPED;
      throw policyError(
        node.path,
        `unknown claim ${show(found.name)}: MAA issues no such claim (check the spelling, or set allowUnknownClaims: true)`,
      );
    case 'not-an-object':
      throw policyError(node.path, `claim ${show(found.parent)} holds ${describeType(found.type)}: a claim path cannot descend into it`);
  }
}

export function compileCondition(node: ConditionNode, allowUnknownClaims: boolean): CompiledRule {
  const segments = splitClaim(node);
  const { type, role } = claimEntry(node, segments, allowUnknownClaims);
  const matches = MATCHERS[node.operator](node, type);
  const site: FailureSite = {
    path: node.path,
    claim: node.claim,
    operator: node.operator,
    expected: node.value,
    summary: `${node.path}: ${show(node.claim)} ${node.operator} ${show(node.value)} failed`,
  };
  return {
    check: (input, failures) => {
      const actual = ownPath(input.claims, segments);
      return matches(actual) || fail(failures, site, actual);
    },
    anonymousAt: role === 'identity' && node.operator === 'equals' ? undefined : node.path,
  };
}
