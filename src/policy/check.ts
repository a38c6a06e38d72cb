/**
 * The compiled form of a rule: a closure over values prepared at compile time. Evaluation walks these
 * closures only; it never parses, splits or matches text (save for the messages of a denial), and never
 * throws whatever the token holds.
 */
import { show } from './ast.js';
import type { PolicyFailure } from './types.js';

/** What evaluation reads from a verified attestation. */
export interface EvaluationInput {
  readonly issuer: unknown;
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * True when the rule holds. The first pass is silent (`failures` undefined) and stops at the first unmet
 * condition, so an allowed request builds no failure at all; only when it denies does evaluation run
 * again to collect every failure with its message.
 */
export type Check = (input: EvaluationInput, failures: PolicyFailure[] | undefined) => boolean;

export interface CompiledRule {
  readonly check: Check;
  /**
   * The path of a rule through which the policy can be satisfied without an `equals` on an identity
   * claim, or undefined when every way through requires one.
   */
  readonly anonymousAt: string | undefined;
}

/** A failure's constant part, prepared at compile time. */
export interface FailureSite {
  readonly path: string;
  readonly claim: string;
  readonly operator: string;
  readonly expected: unknown;
  /** The message up to what was found in the token. */
  readonly summary: string;
}

const describeActual = (actual: unknown): string => (actual === undefined ? 'the claim is missing' : `got ${show(actual)}`);

/** Records a failure when collecting them, and reports the rule as not holding. */
export function fail(failures: PolicyFailure[] | undefined, site: FailureSite, actual: unknown): false {
  failures?.push(
    Object.freeze({
      path: site.path,
      claim: site.claim,
      operator: site.operator,
      expected: site.expected,
      actual,
      message: `${site.summary}: ${describeActual(actual)}`,
    }),
  );
  return false;
}

// When collecting, every child runs, so a denial lists every unmet condition rather than the first.
export function allChecks(checks: readonly Check[]): Check {
  return (input, failures) => {
    let holds = true;
    for (const check of checks) {
      if (check(input, failures)) continue;
      if (failures === undefined) return false;
      holds = false;
    }
    return holds;
  };
}

// Branches are tried silently first: when one holds, the failures of the others are not the reason for
// anything. When none holds, each branch reports its own.
function anyCheck(checks: readonly Check[]): Check {
  return (input, failures) => {
    for (const check of checks) if (check(input, undefined)) return true;
    if (failures !== undefined) for (const check of checks) check(input, failures);
    return false;
  };
}

/** allOf requires an identity if any child does. */
export function allOfRule(path: string, rules: readonly CompiledRule[]): CompiledRule {
  const [only] = rules;
  const anonymous = rules.every((rule) => rule.anonymousAt !== undefined);
  return {
    check: allChecks(rules.map((rule) => rule.check)),
    // A single-child allOf is its child: naming the child points closer to what is missing.
    anonymousAt: anonymous ? (rules.length === 1 ? only?.anonymousAt : path) : undefined,
  };
}

/** anyOf requires an identity only if every child does. */
export function anyOfRule(rules: readonly CompiledRule[]): CompiledRule {
  return {
    check: anyCheck(rules.map((rule) => rule.check)),
    anonymousAt: rules.find((rule) => rule.anonymousAt !== undefined)?.anonymousAt,
  };
}
