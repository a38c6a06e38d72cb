/**
 * The guard every policy gets unless it opts out: debug TEEs of every type are refused (`allowDebug`),
 * and so are migratable SEV-SNP guests (`allowMigration`), whose memory a migration agent can take off
 * the machine. Which claims say so, and which values are dangerous, is the catalogue's `danger` on the
 * claims whose role is `debug` or `migration`:
 * - sgx: `x-ms-sgx-is-debuggable`;
 * - sevsnpvm: `x-ms-sevsnpvm-is-debuggable`, `x-ms-sevsnpvm-migration-allowed`;
 * - tdxvm: the DEBUG bit of `tdx_td_attributes`, `tdx_td_attributes_debug`, `dbgstat`;
 * - azurevm: the guest's boot, kernel and hypervisor debug flags, plus those of its isolation TEE.
 * A type (or isolation TEE) whose flags this library does not know is refused rather than passed, by
 * either guard: the absence of a flag must not read as "not debuggable" or "not migratable".
 */
import {
  ATTESTATION_TYPES,
  type AttestationTypeName,
  claimsOf,
  type ClaimSpec,
  ISOLATION_TEE,
  isDangerous,
  ISOLATION_TEE_TYPES,
  type IsolationTeeType,
} from '../claims/catalog.js';
import { own, ownPath } from '../util/own.js';
import { show } from './ast.js';
import { allChecks, type Check, fail, type FailureSite } from './check.js';

export interface GuardOptions {
  /** Refuse debug TEEs (the policy has no `allowDebug: true`). */
  readonly debug: boolean;
  /** Refuse migratable guests (the policy has no `allowMigration: true`). */
  readonly migration: boolean;
}

type GuardedRole = 'debug' | 'migration';

const FLAG: Readonly<Record<GuardedRole, string>> = { debug: 'policy.allowDebug', migration: 'policy.allowMigration' };

function dangerCheck(claim: string, spec: ClaimSpec, role: GuardedRole): Check {
  const danger = spec.danger!;
  const segments = claim.split('.');
  const path = FLAG[role];
  // A boolean flag reads as `claim equals <safe value>`, like any condition; others by what they say.
  const safe = spec.type.kind === 'boolean' ? danger.when(false) : undefined;
  const site: FailureSite =
    safe === undefined
      ? { path, claim, operator: 'safe', expected: danger.says, summary: `${path}: ${show(claim)}: ${danger.says}` }
      : { path, claim, operator: 'equals', expected: safe, summary: `${path}: ${show(claim)} equals ${String(safe)} failed` };
  return (input, failures) => {
    const actual = ownPath(input.claims, segments);
    return !isDangerous(danger, actual) || fail(failures, site, actual);
  };
}

function checksOf(claims: readonly [string, ClaimSpec][], options: GuardOptions): Check[] {
  return claims
    .filter(
      ([, spec]) =>
        spec.danger !== undefined && ((spec.role === 'debug' && options.debug) || (spec.role === 'migration' && options.migration)),
    )
    .map(([claim, spec]) => dangerCheck(claim, spec, spec.role as GuardedRole));
}

const PASS: Check = () => true;

/**
 * What the guard does with a TEE whose flags the catalogue does not know, said to a person (`inspect`,
 * `verify`'s warnings): only a policy opting out of both guards accepts it.
 */
export const UNKNOWN_FLAGS_RULE =
  'its debug and migration flags are unknown to this library, so a policy refuses it unless it sets both allowDebug: true and allowMigration: true';

// A type whose flags the catalogue does not know is refused by either guard: whether it can be debugged
// or migrated is unknown, and an unread flag must not pass as a safe one. Only a policy that allows both
// accepts it.
function unknownType(claim: string, known: readonly string[], options: GuardOptions): Check {
  if (!options.debug && !options.migration) return PASS;
  const flags = [...(options.debug ? [FLAG.debug] : []), ...(options.migration ? [FLAG.migration] : [])];
  const path = flags[0]!;
  const optOut = [...(options.debug ? ['allowDebug'] : []), ...(options.migration ? ['allowMigration'] : [])]
    .map((name) => `${name}: true`)
    .join(' and ');
  const site: FailureSite = {
    path,
    claim,
    operator: 'oneOf',
    expected: Object.freeze([...known]),
    summary: `${path}: debug and migratable TEEs are refused, and only ${known.join(', ')} evidence carries debug and migration flags this library checks (set ${optOut} to accept other types)`,
  };
  return (input, failures) => fail(failures, site, ownPath(input.claims, claim.split('.')));
}

function azureVmGuard(options: GuardOptions): Check {
  const guest = allChecks(checksOf(claimsOf('azurevm'), options));
  const byTee = new Map<string, Check>(
    ISOLATION_TEE_TYPES.map((tee: IsolationTeeType) => {
      const nested = claimsOf('azurevm', tee).filter(([name]) => name.startsWith(`${ISOLATION_TEE}.`));
      return [tee, allChecks([guest, ...checksOf(nested, options)])];
    }),
  );
  const unknown = allChecks([guest, unknownType(`${ISOLATION_TEE}.x-ms-attestation-type`, ISOLATION_TEE_TYPES, options)]);
  return (input, failures) => {
    const tee = ownPath(input.claims, [ISOLATION_TEE, 'x-ms-attestation-type']);
    return (typeof tee === 'string' ? byTee.get(tee) : undefined)?.(input, failures) ?? unknown(input, failures);
  };
}

/** The guard for a policy's flags, or undefined when the policy allows both debug and migration. */
export function compileGuard(options: GuardOptions): Check | undefined {
  if (!options.debug && !options.migration) return undefined;
  const byType = new Map<string, Check>(
    ATTESTATION_TYPES.map((type: AttestationTypeName) => [
      type,
      type === 'azurevm' ? azureVmGuard(options) : allChecks(checksOf(claimsOf(type), options)),
    ]),
  );
  const unknown = unknownType('x-ms-attestation-type', ATTESTATION_TYPES, options);
  return (input, failures) => {
    const type = own(input.claims, 'x-ms-attestation-type');
    return (typeof type === 'string' ? byType.get(type) : undefined)?.(input, failures) ?? unknown(input, failures);
  };
}
