/**
 * What `inspect` says about each claim: the catalogue's one-line meanings (src/claims/catalog.ts), and
 * for a legacy claim the `x-ms-*` claim it mirrors. Nothing is declared here.
 */
import { claimSpec, ISOLATION_TEE, MAA_CLAIMS, POLICY_MANAGEMENT_CLAIMS } from '../claims/catalog.js';

/**
 * The legacy duplicates MAA's 2020 format (and its default SGX policy) issues, and the claim each stands
 * for. A custom policy can reuse these names for other values, which is why a relying party gates on the
 * `x-ms-*` names.
 */
export const LEGACY_ALIASES: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries([...MAA_CLAIMS].flatMap(([name, spec]) => (spec.alias === undefined ? [] : [[name, spec.alias.of]]))),
);

/** A short meaning for a known claim name (dotted for nested claims), or undefined. */
export function claimMeaning(name: string, value?: unknown): string | undefined {
  // Policy-management responses reuse the name for the policy document itself, as a JWS string.
  if (name === 'x-ms-policy' && typeof value === 'string') return 'the instance policy (a policy-management response)';
  const dot = name.indexOf('.');
  if (dot < 0) return (claimSpec(name) ?? POLICY_MANAGEMENT_CLAIMS.get(name))?.meaning;
  // Nested evidence (`x-ms-isolation-tee.x-ms-sevsnpvm-…`) is typed by the catalogue's nested members.
  if (name.slice(0, dot) === ISOLATION_TEE) return claimSpec(name.slice(dot + 1), true)?.meaning;
  return undefined;
}
