import { AttestationError, quote } from '../errors.js';
import { own, isJsonObject } from '../util/own.js';
import { fetchJson, type FetchOptions } from './fetch.js';

/**
 * Finds the issuer's key endpoint from `/.well-known/openid-configuration`. The document may only point
 * at the issuer's own origin (a `jwks_uri` elsewhere is refused, not followed), and must not claim to be
 * another issuer. When discovery itself is unavailable we fall back to `<issuer>/certs`, where every MAA
 * instance serves its keys, so a discovery outage alone does not stop verification.
 */
export async function discoverJwksUri(issuer: string, options: FetchOptions): Promise<string> {
  const fallback = `${issuer}/certs`;
  let document: unknown;
  try {
    document = await fetchJson(`${issuer}/.well-known/openid-configuration`, options);
  } catch {
    return fallback;
  }
  if (!isJsonObject(document)) {
    throw new AttestationError('ERR_METADATA_UNAVAILABLE', `the discovery document of ${issuer} is not a JSON object`);
  }
  const claimedIssuer = own(document, 'issuer');
  if (claimedIssuer !== undefined && claimedIssuer !== issuer) {
    throw new AttestationError(
      'ERR_METADATA_UNAVAILABLE',
      `the discovery document of ${issuer} names another issuer ${quote(claimedIssuer)}`,
    );
  }
  const jwksUri = own(document, 'jwks_uri');
  if (jwksUri === undefined) return fallback;
  if (typeof jwksUri !== 'string' || !sameOrigin(jwksUri, issuer)) {
    throw new AttestationError(
      'ERR_METADATA_UNAVAILABLE',
      `the discovery document of ${issuer} points jwks_uri away from the issuer's origin`,
    );
  }
  // The URL as checked, not the text: the parser skips tabs and newlines the text may carry.
  return new URL(jwksUri).href;
}

function sameOrigin(candidate: string, issuer: string): boolean {
  try {
    const url = new URL(candidate);
    return url.origin === new URL(issuer).origin && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
