/**
 * The rule tree both policy forms are parsed into, before compilation. Parsing checks structure (which
 * members, which shapes); compilation checks meaning (claim names, value types, issuer URLs), so the
 * shorthand gets exactly the checks the SKR form gets. Every node keeps the JSON path it came from, for
 * error messages and for the failures evaluation reports.
 */
import { AttestationError, quote } from '../errors.js';
import { isJsonObject } from '../util/own.js';
import type { PolicyOperator } from './types.js';

export interface ConditionNode {
  readonly kind: 'condition';
  readonly path: string;
  readonly claim: string;
  readonly operator: PolicyOperator;
  readonly value: unknown;
}

export interface GroupNode {
  readonly kind: 'allOf' | 'anyOf';
  readonly path: string;
  readonly children: readonly RuleNode[];
}

export interface AuthorityNode {
  readonly kind: 'authority';
  /** The path of the authority value itself. */
  readonly path: string;
  readonly authority: unknown;
  readonly child: RuleNode;
}

export type RuleNode = ConditionNode | GroupNode | AuthorityNode;

export const GROUP_KINDS = ['allOf', 'anyOf'] as const;

/** quote() for text; numbers, booleans and null bare, so that `3` and `"3"` read differently. */
export function show(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean' || value === null ? String(value) : quote(value);
}

export function policyError(path: string, problem: string): AttestationError {
  return new AttestationError('ERR_CONFIG_INVALID', `${path}: ${problem}`);
}

export function expectObject(value: unknown, path: string): Readonly<Record<string, unknown>> {
  if (!isJsonObject(value)) throw policyError(path, `must be a JSON object, got ${show(value)}`);
  return value;
}

export function checkMembers(object: Readonly<Record<string, unknown>>, path: string, allowed: readonly string[]): void {
  for (const name of Object.keys(object)) {
    if (!allowed.includes(name)) throw policyError(path, `unknown member ${show(name)}`);
  }
}

// An empty anyOf can never hold and an empty allOf always does: neither is what anyone meant.
export function nonEmptyArray(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) throw policyError(path, `must be an array, got ${show(value)}`);
  if (value.length === 0) throw policyError(path, 'must not be empty');
  return value;
}
