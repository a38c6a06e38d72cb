/**
 * The guard `allowDebug: false` adds to every policy. Each attestation type spells its debug flag
 * differently, and a type whose flag this library does not know is refused rather than passed: the
 * absence of a flag must not read as "not debuggable".
 */
import { own } from '../util/own.js';
import { type Check, fail, type FailureSite } from './check.js';
import { compileCondition } from './condition.js';

const DEBUG_FLAGS: ReadonlyMap<string, string> = new Map([
  ['sgx', 'x-ms-sgx-is-debuggable'],
  ['sevsnpvm', 'x-ms-sevsnpvm-is-debuggable'],
  // The guest's hardware evidence: whether the host may debug the confidential VM.
  ['azurevm', 'x-ms-isolation-tee.x-ms-sevsnpvm-is-debuggable'],
]);

function debugGuard(path: string): Check {
  const flagChecks = new Map(
    [...DEBUG_FLAGS].map(([type, claim]) => [type, compileCondition({ kind: 'condition', path, claim, operator: 'equals', value: false }, false).check]),
  );
  const types = Object.freeze([...DEBUG_FLAGS.keys()]);
  const unknownType: FailureSite = {
    path,
    claim: 'x-ms-attestation-type',
    operator: 'oneOf',
    expected: types,
    summary: `${path}: debug enclaves are refused, and only ${types.join(', ')} tokens carry a debug flag this library checks (set allowDebug: true to accept other types)`,
  };
  return (input, failures) => {
    const type = own(input.claims, 'x-ms-attestation-type');
    const flagCheck = typeof type === 'string' ? flagChecks.get(type) : undefined;
    return flagCheck !== undefined ? flagCheck(input, failures) : fail(failures, unknownType, type);
  };
}

/** The guard every policy without `allowDebug` gets; the same for all of them, so built once. */
export const DEBUG_GUARD: Check = debugGuard('policy.allowDebug');
