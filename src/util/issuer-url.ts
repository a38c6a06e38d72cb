import { AttestationError, quote } from '../errors.js';

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
      throw new AttestationError(
        'ERR_CONFIG_INVALID',
        `issuer ${quote(input)} must use https: plain http is only for loopback test instances`,
      );
    }
    if (!allowInsecureLoopback) {
      throw new AttestationError(
        'ERR_CONFIG_INVALID',
        `issuer ${quote(input)} uses plain http: set allowInsecureLoopback: true for a local test instance`,
      );
    }
  } else if (url.protocol !== 'https:') {
    throw new AttestationError('ERR_CONFIG_INVALID', `issuer ${quote(input)} must use https`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}
