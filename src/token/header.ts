import { LRUCache } from 'lru-cache';
import { quote } from '../errors.js';
import { own } from '../util/own.js';
import { throwRefusal, type Refusal, type Report } from '../util/rules.js';

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

type Header = Readonly<Record<string, unknown>>;

const headerInvalid = (message: string, why: string): Refusal => ({ code: 'ERR_HEADER_INVALID', message, why });

function algorithmRefusal(alg: unknown, allowed: ReadonlySet<string>): Refusal {
  const message = `the token algorithm ${quote(alg)} is not allowed`;
  let why: string;
  if (typeof alg !== 'string') why = 'a token without alg cannot say how it is signed';
  else if (alg.toLowerCase() === 'none') why = 'an unsigned token (MAA issues these when attesting against a draft policy)';
  else if (/^HS/i.test(alg)) why = 'HMAC: keyed with a public key it is the classic forgery';
  else if (!(RSA_ALGORITHMS as readonly string[]).includes(alg)) why = 'not an RSA signature algorithm';
  else why = `MAA signs with RS256 only; accepted only where the verifier's algorithms list it (here: ${[...allowed].join(', ')})`;
  return { code: 'ERR_ALG_NOT_ALLOWED', message, why };
}

const KEY_MATERIAL = ['jwk', 'x5c', 'x5u'] as const;

/**
 * Step 2 of verification, as named rules. A key, certificate or key URL that the token supplies is
 * never used: `jwk`, `x5c` and `x5u` are refused outright (Microsoft's SDKs fell back to a header
 * certificate, so a self-signed forgery passed), and `jku` may only repeat the trusted issuer's own
 * `/certs` address, which is judged once the issuer is known (`judgeJku`). Returns the members the
 * verifier uses when all pass.
 */
export function judgeHeader(header: Header, allowed: ReadonlySet<string>, report: Report): ValidatedHeader | undefined {
  const alg = own(header, 'alg');
  const algAllowed = typeof alg === 'string' && allowed.has(alg);
  if (!algAllowed) report('alg-allowed', algorithmRefusal(alg, allowed));
  const kid = own(header, 'kid');
  const kidValid = typeof kid === 'string' && kid.length > 0 && kid.length <= MAX_KID_LENGTH;
  if (!kidValid) {
    report(
      'kid-present',
      headerInvalid(
        `the token header needs a key id (kid): a non-empty string of at most ${MAX_KID_LENGTH} characters, not ${quote(kid)}`,
        "the kid names one of the issuer's published keys",
      ),
    );
  }
  const typ = own(header, 'typ');
  if (typ !== undefined && (typeof typ !== 'string' || typ.toUpperCase() !== 'JWT')) {
    report('typ-jwt', headerInvalid(`the token type ${quote(typ)} is not JWT`, 'only JWT (or no typ) is an MAA attestation token'));
  }
  if (Object.hasOwn(header, 'crit')) {
    report(
      'no-crit',
      headerInvalid(
        'the token header names critical extensions (crit), which are not supported',
        'an extension the verifier does not understand must not be ignored (RFC 7515 §4.1.11)',
      ),
    );
  }
  for (const name of KEY_MATERIAL) {
    if (Object.hasOwn(header, name)) {
      report(
        `no-${name}`,
        headerInvalid(
          `the token header carries its own key material (${name}), which is never used`,
          "a key from the token proves nothing (Microsoft's SDKs used it, so a self-signed forgery passed)",
        ),
      );
    }
  }
  const jku = own(header, 'jku');
  const jkuValid = jku === undefined || typeof jku === 'string';
  if (!jkuValid) report('jku-string', headerInvalid('the token header jku is not a string', 'jku, when present, is a URL'));
  return algAllowed && kidValid && jkuValid ? { alg: alg as SigningAlgorithm, kid, jku } : undefined;
}

/** The verifier's reading: throws the first refusal (an AttestationError), returns the members otherwise. */
export function validateHeader(header: Header, allowed: ReadonlySet<string>): ValidatedHeader {
  return judgeHeader(header, allowed, throwRefusal) as ValidatedHeader;
}

/** The rule `jku-is-issuer-certs`: `jku`, when present, must be exactly `<iss>/certs`; compared, never fetched. */
export function judgeJku(jku: unknown, issuer: unknown, report: Report): void {
  // A jku that is not a string was reported by jku-string already.
  if (typeof jku !== 'string' || (typeof issuer === 'string' && jku === `${issuer}/certs`)) return;
  report(
    'jku-is-issuer-certs',
    headerInvalid(`the token jku ${quote(jku)} is not its issuer's key endpoint`, 'only compared with <iss>/certs, never fetched'),
  );
}

export function checkJku(jku: string | undefined, issuer: string): void {
  judgeJku(jku, issuer, throwRefusal);
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
