/**
 * A check written once and read two ways: the verifier stops at the first refusal, `inspect` lists every
 * one. A check is a named rule that reports a coded Refusal to a `report` callback instead of throwing
 * it: the verifier's callback (`throwRefusal`) throws, inspect's collects. The conditions are plain code
 * that reaches `report` only on failure, so a passing token costs what the checks themselves cost (a
 * loop over an array of rule closures was measured at several times that on the cache-hit path).
 */
import { AttestationError, type AttestationErrorCode } from '../errors.js';

/** What a rule found wrong, before anyone decides whether to throw it. */
export interface Refusal {
  readonly code: AttestationErrorCode;
  /** The error message: says what is wrong, quoting attacker text only through `quote()`. */
  readonly message: string;
  /** Why the rule exists, for someone reading `inspect`'s explanation (never sent to a client). */
  readonly why?: string;
}

/** Receives each failed rule, by its stable kebab-case name (how `inspect --json` names the check). */
export type Report = (rule: string, refusal: Refusal) => void;

/** The verifier's Report: the first refusal is thrown, so nothing after it runs. */
export const throwRefusal: Report = (_rule, refusal) => {
  throw new AttestationError(refusal.code, refusal.message);
};
