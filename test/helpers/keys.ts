import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { maaKeyId } from '../../src/keys/maa-kid.js';
import { createSelfSignedCertificate } from '../../src/testing/certificate.js';

export interface TestKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly kid: string;
}

export function rsaKey(modulusLength = 2048): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return { privateKey, publicKey, kid: maaKeyId(publicKey) };
}

/** A JWK shaped like MAA's: kid, kty and a self-signed certificate naming `commonName`. */
export function maaJwk(key: TestKey, commonName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const certificate = createSelfSignedCertificate({ commonName, privateKey: key.privateKey });
  return { kid: key.kid, kty: 'RSA', x5c: [certificate.base64], ...extra };
}
