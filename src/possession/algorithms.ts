import { constants, createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { AttestationError } from '../errors.js';

/** RFC 9421 §6.2.2 algorithm names this profile signs and verifies with. */
export const SIGNATURE_ALGORITHMS = ['ecdsa-p256-sha256', 'rsa-pss-sha512', 'rsa-v1_5-sha256', 'ed25519'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** The README's `minRsaModulusBits` default: enclave-held RSA keys (e.g. `HCLAkPub`) are 2048 bits. */
const MIN_RSA_MODULUS_BITS = 2048;

/**
 * The algorithms a key can be used with, strongest first. The request's `alg` only ever selects among
 * these: the key type, which comes from the attestation, decides what is possible — never the request.
 * `rsa-pss` KeyObjects (keys restricted to PSS at generation) are not supported: runtime keys come from
 * JWKs, which always import as plain `rsa`.
 */
export function algorithmsForKey(key: KeyObject): readonly SignatureAlgorithm[] {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      return details.namedCurve === 'prime256v1' ? ['ecdsa-p256-sha256'] : [];
    case 'ed25519':
      return ['ed25519'];
    case 'rsa':
      return (details.modulusLength ?? 0) >= MIN_RSA_MODULUS_BITS ? ['rsa-pss-sha512', 'rsa-v1_5-sha256'] : [];
    default:
      return [];
  }
}

export function isSignatureAlgorithm(value: string): value is SignatureAlgorithm {
  return (SIGNATURE_ALGORITHMS as readonly string[]).includes(value);
}

/** node:crypto arguments per algorithm, as RFC 9421 §3.3 defines them. */
interface KeyInput {
  readonly key: KeyObject;
  readonly dsaEncoding?: 'ieee-p1363';
  readonly padding?: number;
  readonly saltLength?: number;
}

function cryptoArguments(algorithm: SignatureAlgorithm, key: KeyObject): [digest: string | null, key: KeyInput] {
  switch (algorithm) {
    case 'ecdsa-p256-sha256':
      // §3.3.4: the signature is r || s (IEEE P1363), not the DER node:crypto uses by default.
      return ['sha256', { key, dsaEncoding: 'ieee-p1363' }];
    case 'rsa-pss-sha512':
      // §3.3.1: MGF1 with SHA-512 and a 64-byte salt, exactly; verifying with an automatic salt length would accept more than the algorithm.
      return ['sha512', { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 }];
    case 'rsa-v1_5-sha256':
      return ['sha256', { key, padding: constants.RSA_PKCS1_PADDING }];
    case 'ed25519':
      return [null, { key }];
  }
}

export function signWith(algorithm: SignatureAlgorithm, privateKey: KeyObject, data: Buffer): Buffer {
  const [digest, key] = cryptoArguments(algorithm, privateKey);
  return sign(digest, data, key);
}

/** False for any failure: a malformed signature is just an invalid one. */
export function verifyWith(algorithm: SignatureAlgorithm, publicKey: KeyObject, data: Buffer, signature: Buffer): boolean {
  const [digest, key] = cryptoArguments(algorithm, publicKey);
  try {
    return verify(digest, data, key, signature);
  } catch {
    return false;
  }
}

/** The JWK members RFC 7638 hashes, per key type, in the lexical order it requires. */
const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/** Thumbprints already computed; KeyObjects are immutable, so a key's thumbprint never changes. */
const thumbprints = new WeakMap<KeyObject, string>();

/**
 * The RFC 7638 JWK thumbprint (SHA-256, base64url) of a key's public part: the client's default `keyid`,
 * and what the verifier scopes nonces by, so one key's nonces can never collide with another's.
 */
export function keyThumbprint(key: KeyObject): string {
  const cached = thumbprints.get(key);
  if (cached !== undefined) return cached;
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const members = typeof jwk.kty === 'string' ? THUMBPRINT_MEMBERS[jwk.kty] : undefined;
  if (members === undefined) throw new AttestationError('ERR_POSSESSION', 'unsupported key type');
  const canonical = `{${members.map((name) => `${JSON.stringify(name)}:${JSON.stringify(jwk[name])}`).join(',')}}`;
  const thumbprint = createHash('sha256').update(canonical).digest('base64url');
  thumbprints.set(key, thumbprint);
  return thumbprint;
}
