/**
 * compilePolicy: every check a policy can fail happens here, once, when the application starts, so
 * evaluation has nothing left to validate and a broken policy never reaches a request.
 */
import { isAttestationError } from '../errors.js';
import { normalizeIssuer } from '../util/issuer-url.js';
import { type AuthorityNode, policyError, type RuleNode, show } from './ast.js';
import { allChecks, allOfRule, anyOfRule, type CompiledRule, fail, type FailureSite } from './check.js';
import { type CompiledPolicy, createCompiledPolicy, isCompiledPolicy } from './compiled.js';
import { compileCondition } from './condition.js';
import { parsePolicy } from './document.js';
import { compileGuard } from './guard.js';
import { IDENTITY_CLAIMS } from './identity.js';

interface Context {
  readonly allowUnknownClaims: boolean;
  /** Collects the normalised issuers the policy names. */
  readonly authorities: Set<string>;
}

const ANONYMOUS =
  `can be satisfied without an equals on a workload identity claim (${IDENTITY_CLAIMS.join(', ')}; ` +
  'host data, RTMRs and owner IDs never suffice alone): pin it, or set allowAnyEnclave: true';

function normalizeAuthority(node: AuthorityNode): string {
  if (typeof node.authority !== 'string') throw policyError(node.path, `must be an issuer URL, got ${show(node.authority)}`);
  try {
    // Loopback http is allowed here: the verifier already decides whether such an issuer is trusted.
    return normalizeIssuer(node.authority, true);
  } catch (error) {
    if (!isAttestationError(error)) throw error;
    throw policyError(node.path, error.message);
  }
}

function authorityRule(node: AuthorityNode, context: Context): CompiledRule {
  const issuer = normalizeAuthority(node);
  context.authorities.add(issuer);
  const child = compileRule(node.child, context);
  const site: FailureSite = {
    path: node.path,
    claim: 'iss',
    operator: 'equals',
    expected: issuer,
    summary: `${node.path}: the token was not issued by ${show(issuer)}`,
  };
  return {
    // The block's rules say nothing about another issuer's tokens: their failures would only be noise.
    check: (input, failures) => (input.issuer === issuer ? child.check(input, failures) : fail(failures, site, input.issuer)),
    anonymousAt: child.anonymousAt,
  };
}

function compileRule(node: RuleNode, context: Context): CompiledRule {
  switch (node.kind) {
    case 'condition':
      return compileCondition(node, context.allowUnknownClaims);
    case 'allOf':
      return allOfRule(
        node.path,
        node.children.map((child) => compileRule(child, context)),
      );
    case 'anyOf':
      return anyOfRule(node.children.map((child) => compileRule(child, context)));
    case 'authority':
      return authorityRule(node, context);
  }
}

/**
 * Validates a policy (the SKR form or the shorthand, as parsed JSON or a typed object) and compiles it
 * for evaluatePolicy. Throws AttestationError ERR_CONFIG_INVALID whose message starts with the JSON path
 * of the problem. A policy that is already compiled is returned as is.
 */
export function compilePolicy(input: unknown): CompiledPolicy {
  if (isCompiledPolicy(input)) return input;
  const { form, flags, root } = parsePolicy(input);
  const context: Context = { allowUnknownClaims: flags.allowUnknownClaims, authorities: new Set() };
  const rule = compileRule(root, context);
  if (!flags.allowAnyEnclave && rule.anonymousAt !== undefined) throw policyError(rule.anonymousAt, ANONYMOUS);
  const guard = compileGuard({ debug: !flags.allowDebug, migration: !flags.allowMigration });
  const check = guard === undefined ? rule.check : allChecks([guard, rule.check]);
  return createCompiledPolicy({ form, ...flags, authorities: [...context.authorities] }, check);
}
