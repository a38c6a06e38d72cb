export { compilePolicy } from './compile.js';
export type { CompiledPolicy } from './compiled.js';
export type { PolicyForm, ResolvedFlags } from './document.js';
export { evaluatePolicy, PolicyDeniedError, type PolicySubject } from './evaluate.js';
export type {
  AttestationPolicy,
  AuthorityBlock,
  ClaimValue,
  OperatorValues,
  PolicyCondition,
  PolicyDecision,
  PolicyFailure,
  PolicyFlags,
  PolicyGroup,
  PolicyOperator,
  PolicyRule,
  ShorthandPolicy,
  SkrPolicy,
} from './types.js';
