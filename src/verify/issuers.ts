import type { Report } from '../util/rules.js';
import { normalizeIssuer } from '../util/issuer-url.js';

/** The configured issuers, normalised: a Set of them, or the verifier's map of key sources by issuer. */
export interface TrustedIssuers {
  has(issuer: string): boolean;
}

/**
 * The rule `issuer-trusted` (step 3): the token's `iss`, compared as it is with the normalised configured
 * issuers. Decided before any I/O, so a token naming an untrusted issuer costs no request. Without a
 * configuration (`inspect` given no `--issuer`), the question is whether ANY configuration could trust it:
 * only an `iss` already in the normal form `normalizeIssuer` gives can ever equal a configured issuer.
 */
export function judgeIssuer(iss: unknown, trusted: TrustedIssuers | undefined, report: Report): void {
  if (typeof iss === 'string' && (trusted === undefined ? inNormalForm(iss) : trusted.has(iss))) return;
  const why =
    typeof iss !== 'string'
      ? 'no verifier can trust a token without an issuer URL'
      : trusted === undefined
        ? 'not an https URL in normal form, so it can never equal a configured issuer'
        : "it must equal one of the verifier's issuers exactly";
  report('issuer-trusted', { code: 'ERR_ISSUER_UNTRUSTED', message: 'the token issuer is not trusted', why });
}

function inNormalForm(iss: string): boolean {
  try {
    return normalizeIssuer(iss, true) === iss;
  } catch {
    return false;
  }
}
