import { afterAll, beforeAll } from 'vitest';
import { createVerifier, type Verifier } from '../../src/index.js';
import { createTestAttestationService, type TestAttestationService } from '../../src/testing/index.js';

/**
 * Starts a local MAA instance and a verifier that trusts it (loopback allowed) before a suite's tests,
 * hands both to `ready`, and closes the instance after them.
 */
export function useLocalMaa(ready: (maa: TestAttestationService, verifier: Verifier) => void): void {
  let maa: TestAttestationService | undefined;
  beforeAll(async () => {
    maa = await createTestAttestationService();
    ready(maa, createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true }));
  });
  afterAll(() => maa?.close());
}
