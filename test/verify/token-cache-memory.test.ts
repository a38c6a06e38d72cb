/**
 * The token cache's memory bound is measured, not estimated: filled far past its `maxBytes` with tokens of
 * every shape a genuine token can take (the runtime data is the enclave's to write, so an attacker with a
 * debug enclave on a shared instance chooses it), the heap grows by no more than `maxBytes`.
 */
import { describe, expect, it } from 'vitest';
import { createVerifier } from '../../src/index.js';
import { createTestAttestationService } from '../../src/testing/index.js';
import { gc, MiB, settledHeap } from '../hardening/helpers.js';

/** Runtime data of each shape, each making a token just under the 16 KiB limit. */
const SHAPES: Record<string, () => unknown> = {
  'a typical token': () => undefined,
  'empty objects': () => Array.from({ length: 2500 }, () => ({})),
  'empty arrays': () => Array.from({ length: 3000 }, () => []),
  'nested arrays': () => {
    let value: unknown = [];
    for (let i = 0; i < 2500; i += 1) value = [value];
    return value;
  },
  'an object of many members': () => Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, 0])),
  'small numbers and floats': () => Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? 1 : 1.5)),
  'one long string': () => 'a'.repeat(8000),
};

const MAX_BYTES = 4 * MiB;

describe.skipIf(gc === undefined)('the token cache under maxBytes', () => {
  it.each(Object.entries(SHAPES))('%s: heap growth stays within maxBytes', async (_shape, make) => {
    const maa = await createTestAttestationService();
    try {
      const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true, tokenCache: { maxEntries: 100_000, maxBytes: MAX_BYTES } });
      await verifier.verify(maa.mint());
      const runtime = make();
      // Enough tokens that, at the measured heap per entry, they would take several times maxBytes.
      const tokens = Array.from({ length: runtime === undefined ? 1500 : 120 }, () => maa.mint(runtime === undefined ? {} : { 'x-ms-runtime': { a: runtime } }));
      expect(tokens[0]!.length).toBeLessThan(16 * 1024);
      const before = settledHeap();
      for (const token of tokens) await verifier.verify(token);
      const growth = settledHeap() - before;
      // The newest token is still answered from the cache: it was filled, not bypassed.
      expect(verifier.verifyCached(tokens.at(-1))).toBeDefined();
      expect(growth).toBeLessThan(MAX_BYTES);
    } finally {
      await maa.close();
    }
  });
});
