import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { AttestationError, quote, type AttestationErrorCode } from '../errors.js';
import { CHANNELS, printable, publish } from '../diagnostics.js';
import { decodeBase64UrlStrict } from '../token/base64url.js';
import { RSA_ALGORITHMS, type SigningAlgorithm } from '../token/header.js';
import { own, isJsonObject, isList } from '../util/own.js';
import { normalizeIssuer } from '../util/issuer-url.js';
import { STANDARD_BASE64_TEXT } from './maa-kid.js';
import { parseCertificate } from '../util/pem.js';
import { verifyMaaSigningCertificate, type MaaKeyCheckFailure, type SignerPin, type VerifiedMaaEnclave } from './maa-quote.js';
import type { KeySet, SigningKey } from './signing-key.js';
import { isSignedBy, publicKeyOf } from '../sgx/pck-chain.js';

export interface ImportOptions {
  /** Smallest RSA modulus accepted, in bits. */
  readonly minRsaModulusBits: number;
  /** Accept only keys whose certificate carries a quote of an MAA enclave matching this pin. */
  readonly signer?: SignerPin | undefined;
  /** The code thrown when the document as a whole is unusable (metadata vs. configuration). */
  readonly errorCode: AttestationErrorCode;
  /**
   * The verification time (the verifier's `now`), in milliseconds since the epoch: the PCK certificates in MAA's
   * quotes must be valid then. Read once per key load. Default `Date.now`.
   */
  readonly verificationTime?: (() => number) | undefined;
}

/** More keys than any MAA instance publishes (3–5 seen); bounds the work one response can cause. */
const MAX_KEYS = 64;

/**
 * Builds an issuer's usable keys from a JWKS, the MAA way. Why not jose's `createLocalJWKSet`: MAA's
 * `/certs` keys carry only `kid`, `kty` and `x5c` (jose cannot import x5c-only JWKs), 1024-bit keys were
 * served until 2022 (jose refuses keys under 2048 bits, and we let a user lower the floor explicitly),
 * and a key must be checked against the certificate's subject, which jose has no notion of.
 *
 * Each key is checked on its own; an unusable key is skipped with a diagnostic and remembered, so a token
 * naming it fails with ERR_KEY_INVALID rather than ERR_KEY_NOT_FOUND. A set with no usable key throws.
 */
export function importKeySet(jwks: unknown, issuer: string, options: ImportOptions): KeySet {
  const list = isJsonObject(jwks) ? own(jwks, 'keys') : undefined;
  if (!Array.isArray(list)) {
    throw new AttestationError(options.errorCode, `the key set of ${issuer} is not a JWKS ({"keys": [...]})`);
  }
  if (list.length > MAX_KEYS) {
    throw new AttestationError(options.errorCode, `the key set of ${issuer} lists more than ${MAX_KEYS} keys`);
  }
  const keys = new Map<string, SigningKey>();
  const invalid = new Map<string, string>();
  for (const jwk of list) {
    const kid = isJsonObject(jwk) ? own(jwk, 'kid') : undefined;
    if (typeof kid !== 'string' || kid.length === 0) {
      publish(CHANNELS.keySkipped, () => ({ issuer, kid: undefined, reason: 'the key has no kid' }));
      continue;
    }
    const outcome = importKey(jwk as Record<string, unknown>, kid, issuer, options);
    const failure: MaaKeyCheckFailure | { step: undefined; reason: string } | undefined =
      typeof outcome === 'string'
        ? { step: undefined, reason: outcome }
        : 'reason' in outcome
          ? outcome
          : keys.has(kid) || invalid.has(kid)
            ? { step: undefined, reason: 'the kid is published twice' }
            : undefined;
    if (failure !== undefined) {
      // A duplicated kid is ambiguous: neither copy may verify anything.
      keys.delete(kid);
      invalid.set(kid, failure.reason);
      // `step` names the enclave-quote check that failed (see MaaKeyCheckStep); undefined for other reasons.
      // The kid comes from the metadata path (an attacker on it, in the signer-pin threat model): escaped and cut.
      publish(CHANNELS.keySkipped, () => ({ issuer, kid: printable(kid), reason: failure.reason, step: failure.step }));
    } else {
      keys.set(kid, outcome as SigningKey);
    }
  }
  if (keys.size === 0) {
    throw new AttestationError(options.errorCode, `the key set of ${issuer} has no usable signing key`);
  }
  return { keys, invalid };
}

/** Returns the key, or the reason it cannot be used. */
function importKey(
  jwk: Record<string, unknown>,
  kid: string,
  issuer: string,
  { minRsaModulusBits, signer, verificationTime }: ImportOptions,
): SigningKey | MaaKeyCheckFailure | string {
  const kty = own(jwk, 'kty');
  if (kty !== undefined && kty !== 'RSA') return `the key type ${quote(kty)} is not RSA`;
  const use = own(jwk, 'use');
  if (use !== undefined && use !== 'sig') return `the key use ${quote(use)} is not sig`;
  const alg = own(jwk, 'alg');
  if (alg !== undefined && !(RSA_ALGORITHMS as readonly unknown[]).includes(alg))
    return `the key algorithm ${quote(alg)} is not an RSA signature algorithm`;

  const x5c = own(jwk, 'x5c');
  const n = own(jwk, 'n');
  const e = own(jwk, 'e');
  let key: KeyObject;
  let certificate: X509Certificate | undefined;
  if (x5c !== undefined) {
    const fromCertificate = keyFromCertificate(x5c, issuer);
    if (typeof fromCertificate === 'string') return fromCertificate;
    ({ key, certificate } = fromCertificate);
    if (n !== undefined || e !== undefined) {
      const exported = key.export({ format: 'jwk' });
      if (!sameBase64UrlInteger(n, exported.n) || !sameBase64UrlInteger(e, exported.e)) {
        return 'the key n/e disagree with its certificate';
      }
    }
  } else if (typeof n === 'string' && typeof e === 'string') {
    if (!decodeBase64UrlStrict(n)?.length || !decodeBase64UrlStrict(e)?.length) return 'the key n/e are not base64url integers';
    try {
      key = createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' });
    } catch {
      return 'the key n/e are not a valid RSA public key';
    }
  } else {
    return 'the key has neither x5c nor n/e';
  }
  if (key.asymmetricKeyType !== 'rsa') return 'the key is not an RSA key';
  const modulusBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (modulusBits < minRsaModulusBits) return `the key has ${modulusBits} bits, below the minimum of ${minRsaModulusBits}`;
  let enclave: VerifiedMaaEnclave | undefined;
  if (signer !== undefined) {
    if (!Array.isArray(x5c) || typeof x5c[0] !== 'string')
      return 'quote-extension: the key has no certificate to carry an MAA enclave quote, and a signer is pinned';
    const verified = verifyMaaSigningCertificate(x5c[0], key, kid, signer, {
      at: new Date((verificationTime ?? Date.now)()),
      collateral: signer.collateral,
    });
    if ('reason' in verified) return verified;
    enclave = verified;
  }
  return { kid, key, modulusBits, alg: alg as SigningAlgorithm | undefined, certificate, enclave };
}

/**
 * An MAA token-signing key is a self-signed certificate whose subject is exactly `CN=<issuer>`. The
 * "Microsoft Azure Attestation 20xx" keys (three-certificate chains to Microsoft's root) are skipped:
 * no token has been seen signed by one, and trusting them would widen what can sign for this issuer.
 */
function keyFromCertificate(x5c: unknown, issuer: string): { key: KeyObject; certificate: X509Certificate } | string {
  if (!isList(x5c) || x5c.length === 0) return 'x5c is not a non-empty array';
  if (x5c.length > 1) return 'x5c is a certificate chain, not an MAA instance key';
  const der = x5c[0];
  if (typeof der !== 'string' || !STANDARD_BASE64_TEXT.test(der)) return 'x5c[0] is not base64';
  const certificate = parseCertificate(der);
  if (certificate === undefined) return 'x5c[0] is not an X.509 certificate';
  const subject = certificate.subject;
  if (!subject.startsWith('CN=') || subject.includes('\n') || subject !== certificate.issuer) {
    return 'the certificate is not self-signed with a single CN';
  }
  if (!namesIssuer(subject.slice(3), issuer)) return 'the certificate names another instance';
  // Node decodes the key only when asked, and throws an OpenSSL error for one it cannot decode.
  const key = publicKeyOf(certificate);
  if (key === undefined) return 'the certificate public key cannot be decoded';
  if (!isSignedBy(certificate, certificate)) return 'the certificate self-signature does not verify';
  return { key, certificate };
}

function namesIssuer(commonName: string, issuer: string): boolean {
  try {
    return normalizeIssuer(commonName, true) === issuer;
  } catch {
    return false;
  }
}

/** Compares JWK integers, ignoring leading zero bytes some encoders add. */
function sameBase64UrlInteger(given: unknown, expected: string | undefined): boolean {
  if (typeof given !== 'string' || expected === undefined) return false;
  const strip = (value: string) => {
    const bytes = Buffer.from(value, 'base64url');
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    return bytes.subarray(start);
  };
  return strip(given).equals(strip(expected));
}
