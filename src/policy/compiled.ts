/**
 * A compiled policy: its flags are readable, its rules are not. Only compilePolicy makes one, so
 * evaluation can trust that every check in it has been validated.
 */
import type { Check } from './check.js';
import type { PolicyForm, ResolvedFlags } from './document.js';

declare const compiled: unique symbol;

export interface CompiledPolicy extends ResolvedFlags {
  /** `skr` for the Key Vault form (top-level anyOf/allOf), `shorthand` for the SGX shorthand. */
  readonly form: PolicyForm;
  /**
   * The issuers the policy names, normalised: a token from any other issuer is denied. Empty when the
   * policy names none (a shorthand without `authority`), in which case the verifier's issuers decide.
   */
  readonly authorities: readonly string[];
  /** Makes the type nominal: an object literal with the same flags is not a compiled policy. */
  readonly [compiled]: true;
}

const checks = new WeakMap<object, Check>();

export function createCompiledPolicy(properties: Omit<CompiledPolicy, typeof compiled>, check: Check): CompiledPolicy {
  const policy = Object.freeze({ ...properties, authorities: Object.freeze([...properties.authorities]) }) as CompiledPolicy;
  checks.set(policy, check);
  return policy;
}

export function isCompiledPolicy(value: unknown): value is CompiledPolicy {
  return checkOf(value) !== undefined;
}

/** The root check of a policy made by compilePolicy, or undefined for anything else. */
export function checkOf(policy: unknown): Check | undefined {
  return typeof policy === 'object' && policy !== null ? checks.get(policy) : undefined;
}
