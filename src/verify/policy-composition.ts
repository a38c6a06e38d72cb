import { isCompiledPolicy } from '../policy/compiled.js';
import { assertPolicy } from '../policy/evaluate.js';
import type { CompiledPolicy } from '../policy/index.js';
import { checkedPolicy } from './options.js';
import type { VerifiedAttestation } from './result.js';
import type { VerifyOptions } from './verifier.js';

/** How a verifier's own policy (the floor) and a call's policy (a narrowing) combine. */
export interface PolicyComposition {
  /** The call's policy, compiled and checked once; undefined when there is none or it is the floor itself. */
  readonly callPolicy: (options: VerifyOptions | undefined) => CompiledPolicy | undefined;
  /** The verifier's floor first, then the call's narrowing: an attestation must satisfy both. */
  readonly assertPolicies: (result: VerifiedAttestation, narrowing: CompiledPolicy | undefined) => void;
}

/**
 * The floor and the memo of per-call policies already checked against the verifier's issuers, so a
 * per-call policy (a gate's, a route's) is compiled and checked once, not on every request.
 */
export function composePolicies(floor: CompiledPolicy | undefined, issuers: readonly string[] | undefined): PolicyComposition {
  // Policies already checked against this verifier's issuers: a per-call policy is checked once.
  const checkedPolicies = new WeakSet<CompiledPolicy>();

  /** The call's policy, compiled and checked once; the floor applies besides it. */
  function callPolicy(options: VerifyOptions | undefined): CompiledPolicy | undefined {
    const given = options?.policy;
    if (given === undefined) return undefined;
    if (isCompiledPolicy(given) && checkedPolicies.has(given)) return given === floor ? undefined : given;
    const policy = checkedPolicy(given, issuers);
    checkedPolicies.add(policy);
    return policy === floor ? undefined : policy;
  }

  /** The verifier's floor first, then the call's narrowing: an attestation must satisfy both. */
  function assertPolicies(result: VerifiedAttestation, narrowing: CompiledPolicy | undefined): void {
    if (floor !== undefined) assertPolicy(floor, result);
    if (narrowing !== undefined) assertPolicy(narrowing, result);
  }

  return { callPolicy, assertPolicies };
}
