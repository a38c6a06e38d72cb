import { AttestationError, quote } from '../errors.js';
import type { Report } from '../util/rules.js';

/**
 * Turns a configured issuer URL into the one exact string a token's `iss` must equal: lower-case scheme
 * and host (URL does that), default port dropped, no trailing slash, no query, fragment or credentials.
 * Only the configuration is normalised, once; a token's `iss` is compared as it is.
 */
export function normalizeIssuer(input: string, allowInsecureLoopback: boolean): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new AttestationError('ERR_CONFIG_INVALID', `issuer ${quote(input)} is not an absolute URL`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || input.includes('?') || input.includes('#')) {
    throw new AttestationError('ERR_CONFIG_INVALID', `issuer ${quote(input)} must not carry credentials, a query or a fragment`);
  }
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname)) {
      throw new AttestationError('ERR_CONFIG_INVALID', `issuer ${quote(input)} must use https: plain http is only for loopback test instances`);
    }
    if (!allowInsecureLoopback) {
      throw new AttestationError('ERR_CONFIG_INVALID', `issuer ${quote(input)} uses plain http: set allowInsecureLoopback: true for a local test instance`);
    }
  } else if (url.protocol !== 'https:') {
    throw new AttestationError('ERR_CONFIG_INVALID', `issuer ${quote(input)} must use https`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

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
