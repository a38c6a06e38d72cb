/** The framework-neutral request gate: one decision per request, which every HTTP adapter writes back. */
export { createRequestGate } from './gate.js';
export { errorResponse, type ErrorResponse, type RespondOptions } from './respond.js';
export { nodeGateRequest, nodeBodyMayFollow, type NodeGateExtras, type NodeRequestLike } from './node.js';
export type {
  RequestGate,
  RequestGateOptions,
  GateRequest,
  GateHeaders,
  GateOutcome,
  GateAccepted,
  GateRefused,
  TokenSources,
  PossessionOptions,
  RefusalListener,
  ProblemDetails,
} from './types.js';
