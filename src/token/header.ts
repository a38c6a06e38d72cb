import { LRUCache } from 'lru-cache';
import { AttestationError, quote } from '../errors.js';
import { own } from '../util/own.js';

/** Algorithms an RSA signing key can verify. MAA signs with RS256 only. */
export const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;
export type SigningAlgorithm = (typeof RSA_ALGORITHMS)[number];

/** The header members the verifier relies on, after validation. */
export interface ValidatedHeader {
  readonly alg: SigningAlgorithm;
  readonly kid: string;
  readonly jku: string | undefined;
}

/** Longest `kid` accepted: MAA's are 44 characters; anything far longer is junk or an attack. */
export const MAX_KID_LENGTH = 256;

/**
 * Step 2 of verification. A key, certificate or key URL that the token supplies is never used: `jwk`,
 * `x5c` and `x5u` are refused outright (Microsoft's SDKs fell back to a header certificate, so a
 * self-signed forgery passed), and `jku` may only repeat the trusted issuer's own `/certs` address,
 * which is checked once the issuer is known (see `checkJku`).
 */
export function validateHeader(header: Readonly<Record<string, unknown>>, allowed: ReadonlySet<string>): ValidatedHeader {
  const alg = own(header, 'alg');
  if (typeof alg !== 'string' || !allowed.has(alg)) {
    throw new AttestationError('ERR_ALG_NOT_ALLOWED', `the token algorithm ${quote(alg)} is not allowed`);
  }
  const kid = own(header, 'kid');
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    throw new AttestationError('ERR_HEADER_INVALID', 'the token header needs a key id (kid): a non-empty string');
  }
  const typ = own(header, 'typ');
  if (typ !== undefined && (typeof typ !== 'string' || typ.toUpperCase() !== 'JWT')) {
    throw new AttestationError('ERR_HEADER_INVALID', `the token type ${quote(typ)} is not JWT`);
  }
  if (Object.hasOwn(header, 'crit')) {
    throw new AttestationError('ERR_HEADER_INVALID', 'the token header names critical extensions (crit), which are not supported');
  }
  for (const name of ['jwk', 'x5c', 'x5u'] as const) {
    if (Object.hasOwn(header, name)) {
      throw new AttestationError('ERR_HEADER_INVALID', `the token header carries its own key material (${name}), which is never used`);
    }
  }
  const jku = own(header, 'jku');
  if (jku !== undefined && typeof jku !== 'string') {
    throw new AttestationError('ERR_HEADER_INVALID', 'the token header jku is not a string');
  }
  return { alg: alg as SigningAlgorithm, kid, jku };
}

/** `jku`, when present, must be exactly `<iss>/certs`: it is checked, never fetched. */
export function checkJku(jku: string | undefined, issuer: string): void {
  if (jku !== undefined && jku !== `${issuer}/certs`) {
    throw new AttestationError('ERR_HEADER_INVALID', `the token jku ${quote(jku)} is not its issuer's key endpoint`);
  }
}

/** A header that passed `validateHeader`, with the decoded object it came from. */
export interface KnownHeader extends ValidatedHeader {
  readonly header: Readonly<Record<string, unknown>>;
}

/** How many distinct verified headers a verifier remembers: MAA's differ only by key, a handful per issuer. */
export const MAX_KNOWN_HEADERS = 32;

/**
 * Verified headers by their base64url text. Every token an MAA key signs carries the same header (`alg`,
 * `jku`, `kid`, `typ`), so a header seen in a token whose signature verified need not be decoded, parsed
 * and validated again: equal text decodes to an equal object. Bounded, and filled only after a signature
 * verified, so forged headers cannot push the real ones out.
 */
export class KnownHeaders {
  readonly #byText = new LRUCache<string, KnownHeader>({ max: MAX_KNOWN_HEADERS });

  get(segment: string): KnownHeader | undefined {
    return this.#byText.get(segment);
  }

  remember(segment: string, header: KnownHeader): void {
    this.#byText.set(segment, header);
  }
}
