import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { SignatureAlgorithm } from '../../src/possession/algorithms.js';
import type { NonceStore } from '../../src/possession/verify-request.js';
import { asyncRefusalOf } from '../helpers/outcome.js';

export interface KeyCase {
  readonly name: string;
  readonly algorithm: SignatureAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** One key per supported algorithm, generated once per test file (RSA generation is slow). */
export function keyCases(): readonly KeyCase[] {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ed = generateKeyPairSync('ed25519');
  return [
    { name: 'EC P-256', algorithm: 'ecdsa-p256-sha256', ...ec },
    { name: 'RSA-PSS', algorithm: 'rsa-pss-sha512', ...rsa },
    { name: 'RSA v1.5', algorithm: 'rsa-v1_5-sha256', ...rsa },
    { name: 'Ed25519', algorithm: 'ed25519', ...ed },
  ];
}

/** The tiny nonce store the tests need: a Map of nonce to expiry. */
export function memoryNonceStore(clock: () => number = Date.now): NonceStore & { readonly seen: Map<string, number> } {
  const seen = new Map<string, number>();
  return {
    seen,
    async once(key, ttlMs) {
      const until = seen.get(key);
      if (until !== undefined && until > clock()) return false;
      seen.set(key, clock() + ttlMs);
      return true;
    },
  };
}

/** The refusal's code, or 'accepted'; any error other than an AttestationError fails the test. */
export { asyncOutcome as outcome } from '../helpers/outcome.js';

/** The message of the ERR_POSSESSION refusal, for tests that pin which check refused. */
export async function refusal(run: () => Promise<unknown>): Promise<string> {
  return (await asyncRefusalOf(run, 'ERR_POSSESSION')).message;
}
