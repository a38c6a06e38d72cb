export {
  requireAttestation,
  getAttestation,
  type RequireAttestationOptions,
  type AttestedRequest,
  type PossessionOptions,
} from './middleware.js';
export { extractToken, type TokenSources, type RequestLike } from './extract.js';
export { challengeHandler, type ChallengeHandlerOptions } from './challenge-handler.js';
export { errorResponse, type ErrorResponse, type ProblemDetails } from './respond.js';
