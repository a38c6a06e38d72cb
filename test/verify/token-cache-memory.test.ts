/**
 * The token cache's byte bound against the heap it really takes: for each token shape (real MAA shapes
 * and adversarial ones built to be cheap on the wire and dear in memory), the estimate an entry is
 * charged must be within 20% of the heap growth per cached token, and a byte bound must hold when
 * thousands of such tokens arrive. A 512-bit key keeps minting fast; the cache does not depend on it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../../src/index.js';
import { createTestAttestationService, runtimeDataClaims, type TestAttestationService } from '../../src/testing/index.js';
import { freezeJson } from '../../src/verify/result.js';
import { ENTRY_FIXED_BYTES } from '../../src/verify/token-cache.js';
import { MiB, settledHeap } from '../hardening/helpers.js';

const TOKENS_PER_SHAPE = 400;
const TOLERANCE = 0.2;

let maa: TestAttestationService;
beforeAll(async () => {
  maa = await createTestAttestationService({ modulusLength: 512 });
});
afterAll(async () => {
  await maa.close();
});

const azurevm = (() => {
  const { payload } = JSON.parse(
    readFileSync(new URL('../fixtures/maa/decoded/cvmguest-azurevm-sharedweu-2023.json', import.meta.url), 'utf8'),
  ) as { payload: Record<string, unknown> };
  const { iss: _iss, iat: _iat, exp: _exp, nbf: _nbf, jti: _jti, ...claims } = payload;
  return claims;
})();

/** Claims per shape; each token also gets a distinct jti. */
const SHAPES: Record<string, () => Record<string, unknown>> = {
  'SGX (default policy)': () => ({}),
  'SGX with 900 bytes of runtime data': () => runtimeDataClaims(randomBytes(900)),
  azurevm: () => azurevm,
  '2 500 empty objects': () => ({ junk: Array.from({ length: 2500 }, () => ({})) }),
  '2 500 empty arrays': () => ({ junk: Array.from({ length: 2500 }, () => []) }),
  '1 200 non-integer numbers': () => ({ junk: Array.from({ length: 1200 }, (_, i) => i + 0.5) }),
  '2 000 one-letter strings': () => ({ junk: Array.from({ length: 2000 }, (_, i) => String.fromCharCode(97 + (i % 26))) }),
  '700 distinct 8-letter strings': () => ({ junk: Array.from({ length: 700 }, () => randomBytes(6).toString('base64url')) }),
  '20 strings of 400 characters': () => ({ junk: Array.from({ length: 20 }, () => randomBytes(200).toString('hex')) }),
  '400 top-level members (a hash-table object)': () => Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`k${i}`, i])),
};

function mintAll(make: () => Record<string, unknown>, count: number): string[] {
  return Array.from({ length: count }, (_, i) => maa.mint({ ...make(), jti: i.toString(16).padStart(32, '0') }));
}

function verifierWith(tokenCache: { maxEntries: number; maxBytes: number }) {
  return createVerifier({
    issuers: [{ issuer: maa.issuer, jwks: maa.publicJwks() }],
    allowInsecureLoopback: true,
    minRsaModulusBits: 512,
    tokenCache,
  });
}

/** The bytes the cache charges for one token, computed as the verifier does. */
function estimateOf(token: string): number {
  return ENTRY_FIXED_BYTES + freezeJson(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as object);
}

describe('the token cache charges each entry what it costs in heap', () => {
  it.each(Object.keys(SHAPES))('%s: estimate within 0.8–1.2 × the measured heap growth per entry', async (shape) => {
    const tokens = mintAll(SHAPES[shape]!, TOKENS_PER_SHAPE + 1);
    const verifier = verifierWith({ maxEntries: 10 * TOKENS_PER_SHAPE, maxBytes: 2 ** 40 });
    // The first token warms up what every entry shares (the remembered header, hidden classes, code).
    await verifier.verify(tokens[0]);
    const before = settledHeap();
    for (const token of tokens.slice(1)) await verifier.verify(token);
    const perEntry = (settledHeap() - before) / TOKENS_PER_SHAPE;
    expect(verifier.verifyCached(tokens[1]!)).toBeDefined();
    const estimate = estimateOf(tokens[1]!);
    if (process.env.HARDENING_REPORT)
      console.log(`${shape}: token ${tokens[1]!.length} B, measured ${perEntry.toFixed(0)} B/entry, estimate ${estimate} B`);
    expect(estimate / perEntry).toBeGreaterThan(1 - TOLERANCE);
    expect(estimate / perEntry).toBeLessThan(1 + TOLERANCE);
  });

  it('a byte bound holds under tokens made of many tiny objects (160 KB of heap each, 13 KB on the wire)', async () => {
    const bound = 4 * MiB;
    const tokens = mintAll(SHAPES['2 500 empty objects']!, 300);
    const verifier = verifierWith({ maxEntries: 100_000, maxBytes: bound });
    await verifier.verify(tokens[0]);
    const before = settledHeap();
    for (const token of tokens.slice(1)) await verifier.verify(token);
    const growth = settledHeap() - before;
    // Unbounded, these 299 entries would take about 48 MiB.
    expect(growth).toBeLessThan(bound * (1 + TOLERANCE));
    const remembered = tokens.filter((token) => verifier.verifyCached(token) !== undefined).length;
    expect(remembered).toBeGreaterThan(10);
    expect(remembered).toBeLessThan(30);
  });
});
