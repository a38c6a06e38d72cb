import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { expect } from 'vitest';
import { AttestationError } from '../../src/errors.js';
import type { SignatureAlgorithm } from '../../src/possession/algorithms.js';
import type { NonceStore } from '../../src/possession/verify-request.js';

export { refusalCode as outcome } from '../helpers/outcome.js';

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

/** The message of the refusal, for tests that pin which check refused. */
export async function refusal(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(AttestationError);
    expect((error as AttestationError).code).toBe('ERR_POSSESSION');
    return (error as AttestationError).message;
  }
  throw new Error('expected a refusal');
}
