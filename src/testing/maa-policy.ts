/**
 * MAA's attestation policy language, the part the local instance evaluates: what the default SGX policy,
 * the policies in Microsoft's samples and the draft policies of the SDK tests use.
 *
 * ```
 * version= 1.0;
 * authorizationrules { [type=="x-ms-sgx-is-debuggable", value==false] && [type=="x-ms-sgx-svn", value>=2] => permit(); };
 * issuancerules { c:[type=="x-ms-sgx-mrsigner"] => issue(type="signer", value=c.value); };
 * ```
 *
 * Supported: `version=` 1.0 to 1.2; the sections `configurationrules` (parsed, not acted on),
 * `authorizationrules` and `issuancerules`; a rule is `condition && … => action;` or `=> action;`; a
 * condition is `[…]` or `name:[…]` over `type`, `value` and `issuer` with `== != < <= > >=` against a
 * string, number or boolean literal; actions `permit()`, `deny()`, `issue(type="…", value=…)`,
 * `add(type="…", value=…)`, `issue(claim=name)`, `add(claim=name)`, and `issueproperty(…)` in
 * configuration rules; a value is a literal or `name.value`. Anything else is a parse error, never
 * silently ignored. Why hand-written: no JavaScript implementation of this language exists.
 *
 * Semantics (MAA's, as documented): authorization permits when some rule issues `permit()` and none issues
 * `deny()`; without a permit it fails ("No Permit claim was issued"). Issuance rules run in order over the
 * incoming claims; `add` makes a claim visible to later rules only, `issue` puts it in the token.
 */

/** A claim as the policy engine sees it. Claims MAA derives carry the issuer `AttestationService`. */
export interface PolicyClaim {
  readonly type: string;
  readonly value: unknown;
  readonly issuer: string;
}

/** A policy text that is not in the supported language. */
export class PolicySyntaxError extends Error {
  override readonly name = 'PolicySyntaxError';
}

type Literal = string | number | boolean;
type Operator = '==' | '!=' | '<' | '<=' | '>' | '>=';
type ValueExpression = { literal: Literal } | { variable: string };

interface Clause {
  readonly field: 'type' | 'value' | 'issuer';
  readonly operator: Operator;
  readonly operand: Literal;
}

interface Condition {
  readonly variable: string | undefined;
  readonly clauses: readonly Clause[];
}

type Action =
  | { readonly kind: 'permit' | 'deny' }
  | { readonly kind: 'issue' | 'add'; readonly type: string; readonly value: ValueExpression }
  | { readonly kind: 'issue' | 'add'; readonly claim: string }
  | { readonly kind: 'issueproperty' };

interface Rule {
  readonly conditions: readonly Condition[];
  readonly action: Action;
}

/** A parsed policy. */
export interface AttestationPolicy {
  readonly version: string;
  readonly authorization: readonly Rule[] | undefined;
  readonly issuance: readonly Rule[];
}

/** What evaluating a policy over a set of claims gives. */
export type PolicyOutcome =
  { readonly permitted: true; readonly issued: readonly PolicyClaim[] } | { readonly permitted: false; readonly reason: string };

/** The issuer of claims MAA derives from evidence. */
export const ATTESTATION_SERVICE_ISSUER = 'AttestationService';

const MAX_POLICY_LENGTH = 64 * 1024;
const VERSIONS = new Set(['1.0', '1.1', '1.2']);
const SECTIONS = new Set(['configurationrules', 'authorizationrules', 'issuancerules']);

type Token = { kind: 'name' | 'string' | 'number' | 'punct'; text: string; at: number };

const PUNCTUATION = ['=>', '==', '!=', '<=', '>=', '&&', '=', '<', '>', ';', '{', '}', '[', ']', '(', ')', ',', ':', '.'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const rest = text.slice(at);
    const space = /^\s+/.exec(rest);
    if (space) {
      at += space[0].length;
      continue;
    }
    const name = /^[A-Za-z_$][\w$-]*/.exec(rest);
    const number = /^-?\d+(?:\.\d+)?/.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', text: number[0], at });
      at += number[0].length;
    } else if (name) {
      tokens.push({ kind: 'name', text: name[0], at });
      at += name[0].length;
    } else if (rest[0] === '"') {
      const end = rest.indexOf('"', 1);
      if (end < 0) throw new PolicySyntaxError(`unterminated string at offset ${at}`);
      tokens.push({ kind: 'string', text: rest.slice(1, end), at });
      at += end + 1;
    } else {
      const punct = PUNCTUATION.find((p) => rest.startsWith(p));
      if (punct === undefined) throw new PolicySyntaxError(`unexpected character ${JSON.stringify(rest[0])} at offset ${at}`);
      tokens.push({ kind: 'punct', text: punct, at });
      at += punct.length;
    }
  }
  return tokens;
}

class Parser {
  #at = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  get done(): boolean {
    return this.#at >= this.tokens.length;
  }

  peek(text?: string): boolean {
    const token = this.tokens[this.#at];
    return token !== undefined && (text === undefined || token.text === text);
  }

  next(what: string): Token {
    const token = this.tokens[this.#at];
    if (token === undefined) throw new PolicySyntaxError(`expected ${what}, the policy ended`);
    this.#at += 1;
    return token;
  }

  expect(text: string): void {
    const token = this.next(`"${text}"`);
    if (token.text !== text || token.kind === 'string') {
      throw new PolicySyntaxError(`expected "${text}" at offset ${token.at}, found ${JSON.stringify(token.text)}`);
    }
  }

  name(what: string): string {
    const token = this.next(what);
    if (token.kind !== 'name') throw new PolicySyntaxError(`expected ${what} at offset ${token.at}, found ${JSON.stringify(token.text)}`);
    return token.text;
  }

  string(what: string): string {
    const token = this.next(what);
    if (token.kind !== 'string') throw new PolicySyntaxError(`expected ${what} (a string) at offset ${token.at}`);
    return token.text;
  }

  literal(): Literal {
    const token = this.next('a value');
    if (token.kind === 'string') return token.text;
    if (token.kind === 'number') return Number(token.text);
    if (token.kind === 'name' && (token.text === 'true' || token.text === 'false')) return token.text === 'true';
    throw new PolicySyntaxError(`expected a string, number or boolean at offset ${token.at}, found ${JSON.stringify(token.text)}`);
  }

  valueExpression(): ValueExpression {
    const token = this.tokens[this.#at];
    if (token?.kind === 'name' && token.text !== 'true' && token.text !== 'false') {
      this.#at += 1;
      this.expect('.');
      const member = this.name('"value"');
      if (member !== 'value') throw new PolicySyntaxError(`only ${token.text}.value can be read, not ${token.text}.${member}`);
      return { variable: token.text };
    }
    return { literal: this.literal() };
  }
}

function parseClause(parser: Parser): Clause {
  const field = parser.name('type, value or issuer');
  if (field !== 'type' && field !== 'value' && field !== 'issuer') throw new PolicySyntaxError(`a condition cannot test "${field}"`);
  const operator = parser.next('a comparison').text;
  if (!['==', '!=', '<', '<=', '>', '>='].includes(operator)) throw new PolicySyntaxError(`"${operator}" is not a comparison`);
  return { field, operator: operator as Operator, operand: parser.literal() };
}

function parseCondition(parser: Parser): Condition {
  let variable: string | undefined;
  if (!parser.peek('[')) {
    variable = parser.name('a condition');
    parser.expect(':');
  }
  parser.expect('[');
  const clauses = [parseClause(parser)];
  while (parser.peek(',')) {
    parser.next(',');
    clauses.push(parseClause(parser));
  }
  parser.expect(']');
  return { variable, clauses };
}

function parseAction(parser: Parser, section: string): Action {
  const kind = parser.name('an action');
  parser.expect('(');
  let action: Action;
  if (kind === 'permit' || kind === 'deny') {
    if (section !== 'authorizationrules') throw new PolicySyntaxError(`${kind}() belongs in authorizationrules`);
    action = { kind };
  } else if (kind === 'issue' || kind === 'add') {
    const first = parser.name('type or claim');
    parser.expect('=');
    if (first === 'claim') {
      action = { kind, claim: parser.name('a condition name') };
    } else if (first === 'type') {
      const type = parser.string('a claim type');
      parser.expect(',');
      if (parser.name('"value"') !== 'value') throw new PolicySyntaxError(`${kind}() takes type and value`);
      parser.expect('=');
      action = { kind, type, value: parser.valueExpression() };
    } else {
      throw new PolicySyntaxError(`${kind}() takes type= and value=, or claim=`);
    }
    if (kind === 'issue' && section === 'authorizationrules') throw new PolicySyntaxError('issue() belongs in issuancerules');
  } else if (kind === 'issueproperty' && section === 'configurationrules') {
    parser.expect('type');
    parser.expect('=');
    parser.string('a property name');
    parser.expect(',');
    parser.expect('value');
    parser.expect('=');
    parser.literal();
    action = { kind };
  } else {
    throw new PolicySyntaxError(`unsupported action ${kind}() in ${section}`);
  }
  parser.expect(')');
  return action;
}

function parseRules(parser: Parser, section: string): Rule[] {
  const rules: Rule[] = [];
  parser.expect('{');
  while (!parser.peek('}')) {
    const conditions: Condition[] = [];
    if (!parser.peek('=>')) {
      conditions.push(parseCondition(parser));
      while (parser.peek('&&')) {
        parser.next('&&');
        conditions.push(parseCondition(parser));
      }
    }
    parser.expect('=>');
    const action = parseAction(parser, section);
    parser.expect(';');
    const names = conditions.flatMap((c) => (c.variable === undefined ? [] : [c.variable]));
    const used = 'claim' in action ? action.claim : 'value' in action && 'variable' in action.value ? action.value.variable : undefined;
    if (used !== undefined && !names.includes(used)) throw new PolicySyntaxError(`"${used}" is not the name of a condition of its rule`);
    rules.push({ conditions, action });
  }
  parser.expect('}');
  parser.expect(';');
  return rules;
}

/** Parses a policy text, or throws a PolicySyntaxError saying where and why not. */
export function parseAttestationPolicy(text: string): AttestationPolicy {
  if (typeof text !== 'string' || text.length === 0) throw new PolicySyntaxError('the policy is empty');
  if (text.length > MAX_POLICY_LENGTH) throw new PolicySyntaxError(`the policy is longer than ${MAX_POLICY_LENGTH} characters`);
  const parser = new Parser(tokenize(text));
  parser.expect('version');
  parser.expect('=');
  const version = parser.next('a version').text;
  if (!VERSIONS.has(version)) throw new PolicySyntaxError(`unsupported policy version ${JSON.stringify(version)}`);
  parser.expect(';');
  const sections = new Map<string, Rule[]>();
  while (!parser.done) {
    const section = parser.name('a section').toLowerCase();
    if (!SECTIONS.has(section)) throw new PolicySyntaxError(`unknown section "${section}"`);
    if (sections.has(section)) throw new PolicySyntaxError(`the section "${section}" appears twice`);
    sections.set(section, parseRules(parser, section));
  }
  return { version, authorization: sections.get('authorizationrules'), issuance: sections.get('issuancerules') ?? [] };
}

function compare(actual: unknown, operator: Operator, operand: Literal): boolean {
  if (typeof actual !== typeof operand) return operator === '!=';
  switch (operator) {
    case '==':
      return actual === operand;
    case '!=':
      return actual !== operand;
    case '<':
      return (actual as Literal) < operand;
    case '<=':
      return (actual as Literal) <= operand;
    case '>':
      return (actual as Literal) > operand;
    case '>=':
      return (actual as Literal) >= operand;
  }
}

function matches(claim: PolicyClaim, condition: Condition): boolean {
  return condition.clauses.every((clause) => compare(claim[clause.field], clause.operator, clause.operand));
}

/** The claims a rule's conditions bind, by condition name, or undefined when a condition matches none. */
function bind(rule: Rule, claims: readonly PolicyClaim[]): Map<string, PolicyClaim> | undefined {
  const bound = new Map<string, PolicyClaim>();
  for (const condition of rule.conditions) {
    const claim = claims.find((candidate) => matches(candidate, condition));
    if (claim === undefined) return undefined;
    if (condition.variable !== undefined) bound.set(condition.variable, claim);
  }
  return bound;
}

function produced(action: Action, bound: Map<string, PolicyClaim>): PolicyClaim | undefined {
  if ('claim' in action) return bound.get(action.claim);
  if (!('value' in action)) return undefined;
  const value = 'literal' in action.value ? action.value.literal : bound.get(action.value.variable)?.value;
  return { type: action.type, value, issuer: ATTESTATION_SERVICE_ISSUER };
}

/** Runs `policy` over `incoming`. A policy without authorization rules permits (as MAA's TPM policies). */
export function evaluateAttestationPolicy(policy: AttestationPolicy, incoming: readonly PolicyClaim[]): PolicyOutcome {
  const claims = [...incoming];
  if (policy.authorization !== undefined) {
    let permit = false;
    for (const rule of policy.authorization) {
      const bound = bind(rule, claims);
      if (bound === undefined) continue;
      const { action } = rule;
      if (action.kind === 'deny')
        return { permitted: false, reason: 'A deny claim was issued in the authorizationrules section, authorization failed.' };
      if (action.kind === 'permit') permit = true;
      if (action.kind === 'add') {
        const claim = produced(action, bound);
        if (claim) claims.push(claim);
      }
    }
    if (!permit) return { permitted: false, reason: 'No Permit claim was issued in the authorizationrules section, authorization failed.' };
  }
  const issued: PolicyClaim[] = [];
  for (const rule of policy.issuance) {
    const bound = bind(rule, claims);
    if (bound === undefined) continue;
    const claim = produced(rule.action, bound);
    if (claim === undefined) continue;
    claims.push(claim);
    if (rule.action.kind === 'issue') issued.push(claim);
  }
  return { permitted: true, issued };
}
