/**
 * Evaluation, on every request: runs the compiled checks against a verified attestation. It never
 * throws because of what the token holds; a claim of any type or shape simply fails its condition.
 */
import { AttestationError } from '../errors.js';
import { isJsonObject } from '../util/own.js';
import type { EvaluationInput } from './check.js';
import { checkOf, type CompiledPolicy } from './compiled.js';
import type { PolicyDecision, PolicyFailure } from './types.js';

/**
 * What a policy judges: the issuer and claims of an attestation the verifier returned (a
 * VerifiedAttestation). Named here, not imported from verify/, because the verifier applies policies.
 */
export interface PolicySubject {
  readonly issuer: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

const NO_CLAIMS: Readonly<Record<string, unknown>> = Object.freeze({});
const ALLOWED: PolicyDecision = Object.freeze({ allowed: true, reasons: Object.freeze([]) });

/**
 * ERR_POLICY_DENIED (HTTP 403). `decision.reasons` tells which conditions failed, with the expected
 * values: log it, never send it to the client.
 */
export class PolicyDeniedError extends AttestationError<'ERR_POLICY_DENIED'> {
  readonly decision: PolicyDecision;

  constructor(decision: PolicyDecision) {
    super('ERR_POLICY_DENIED', 'the attestation does not satisfy the policy');
    this.decision = decision;
  }
}

// Typed as verified, but the decision must not rest on that: anything else fails every condition.
function inputOf(attestation: unknown): EvaluationInput {
  if (!isJsonObject(attestation)) return { issuer: undefined, claims: NO_CLAIMS };
  const { issuer, claims } = attestation;
  return { issuer, claims: isJsonObject(claims) ? claims : NO_CLAIMS };
}

/** Throws ERR_CONFIG_INVALID only when `policy` was not made by compilePolicy. */
export function evaluatePolicy(policy: CompiledPolicy, attestation: PolicySubject): PolicyDecision {
  const check = checkOf(policy);
  if (check === undefined) throw new AttestationError('ERR_CONFIG_INVALID', 'evaluatePolicy needs a policy made by compilePolicy');
  const input = inputOf(attestation);
  if (check(input, undefined)) return ALLOWED;
  const failures: PolicyFailure[] = [];
  check(input, failures);
  return Object.freeze({ allowed: false, reasons: Object.freeze(failures) });
}

/** Throws PolicyDeniedError (ERR_POLICY_DENIED, status 403) with the decision attached when denied. */
export function assertPolicy(policy: CompiledPolicy, attestation: PolicySubject): void {
  const decision = evaluatePolicy(policy, attestation);
  if (!decision.allowed) throw new PolicyDeniedError(decision);
}
