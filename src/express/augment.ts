/**
 * Opt-in typing of `req.attestation` for Express: `import 'attestation-gate/augment-express'` once in your
 * app. Opt-in because declaration merging into Express's global namespace changes every Request type in
 * the program, which a library should not do behind your back.
 */
import type { VerifiedAttestation } from '../verify/result.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `requireAttestation` when the request's token verified and satisfied the route's policy. */
      attestation?: VerifiedAttestation;
    }
  }
}

export {};
