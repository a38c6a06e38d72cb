export { compilePolicy } from './compile.js';
export { isCompiledPolicy, type CompiledPolicy } from './compiled.js';
export { assertPolicy, evaluatePolicy, PolicyDeniedError, type PolicySubject } from './evaluate.js';
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
