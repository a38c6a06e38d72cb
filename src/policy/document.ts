/**
 * The top level of a policy: which form it is written in, and the flags both forms share.
 *
 * The SKR form is recognised by a top-level `anyOf` or `allOf`; anything else is the shorthand. A member
 * of the other form is refused rather than ignored, so `{ anyOf: [...], mrenclave: [...] }` cannot
 * silently drop the enclave pin.
 */
import { isJsonObject, own } from '../util/own.js';
import { GROUP_KINDS, policyError, type RuleNode, show } from './ast.js';
import { SHORTHAND_MEMBERS, parseShorthand } from './shorthand.js';
import { SKR_MEMBERS, parseSkr } from './skr.js';
import type { PolicyFlags } from './types.js';

const FLAG_NAMES = [
  'allowDebug',
  'allowMigration',
  'allowAnyEnclave',
  'allowUnknownClaims',
] as const satisfies readonly (keyof PolicyFlags)[];

export type PolicyForm = 'skr' | 'shorthand';
export type ResolvedFlags = Required<PolicyFlags>;

interface PolicyDocument {
  readonly form: PolicyForm;
  readonly flags: ResolvedFlags;
  readonly root: RuleNode;
}

const isFlag = (name: string): boolean => (FLAG_NAMES as readonly string[]).includes(name);

const FORM_MEMBERS: Readonly<Record<PolicyForm, readonly string[]>> = { skr: SKR_MEMBERS, shorthand: SHORTHAND_MEMBERS };

function checkTopLevelMembers(policy: Readonly<Record<string, unknown>>, form: PolicyForm): void {
  const other: PolicyForm = form === 'skr' ? 'shorthand' : 'skr';
  for (const name of Object.keys(policy)) {
    if (isFlag(name) || FORM_MEMBERS[form].includes(name)) continue;
    if (!FORM_MEMBERS[other].includes(name)) throw policyError('policy', `unknown member ${show(name)}`);
    throw policyError(
      `policy.${name}`,
      form === 'skr'
        ? 'belongs to the shorthand form, which cannot be mixed with a top-level anyOf/allOf (put the condition inside an authority block)'
        : 'belongs to the SKR form, which needs a top-level anyOf or allOf of authority blocks',
    );
  }
}

function readFlag(policy: Readonly<Record<string, unknown>>, name: string): boolean {
  if (!Object.hasOwn(policy, name)) return false;
  const value = own(policy, name);
  if (typeof value !== 'boolean') throw policyError(`policy.${name}`, `must be true or false, got ${show(value)}`);
  return value;
}

function readFlags(policy: Readonly<Record<string, unknown>>): ResolvedFlags {
  return Object.fromEntries(FLAG_NAMES.map((name) => [name, readFlag(policy, name)])) as ResolvedFlags;
}

export function parsePolicy(input: unknown): PolicyDocument {
  if (!isJsonObject(input)) throw policyError('policy', `must be a JSON object, got ${show(input)}`);
  if (Object.keys(input).every(isFlag)) throw policyError('policy', 'is empty: it names no rule, only flags');
  const form: PolicyForm = GROUP_KINDS.some((kind) => Object.hasOwn(input, kind)) ? 'skr' : 'shorthand';
  checkTopLevelMembers(input, form);
  return { form, flags: readFlags(input), root: form === 'skr' ? parseSkr(input) : parseShorthand(input) };
}
