import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, createVerifier, type Verifier } from '../../src/index.js';
import { createTestAttestationService, type TestAttestationService } from '../../src/testing/index.js';
import { codeOf } from '../helpers/outcome.js';

let maa: TestAttestationService;
let verifier: Verifier;
const messages: Record<string, unknown>[] = [];
const listener = (message: unknown): void => void messages.push(message as Record<string, unknown>);

beforeAll(async () => {
  maa = await createTestAttestationService();
  verifier = createVerifier({ issuers: [{ issuer: maa.issuer, jwks: maa.publicJwks() }], allowInsecureLoopback: true });
});
afterAll(async () => {
  await maa.close();
});
afterEach(() => {
  unsubscribe(CHANNELS.verification, listener);
  messages.length = 0;
});

describe(`the ${CHANNELS.verification} diagnostics channel`, () => {
  it('publishes one message per verification: accepted (fresh, then cached) and rejected with the code', async () => {
    subscribe(CHANNELS.verification, listener);
    const token = maa.mint({ 'x-ms-sgx-svn': 7 });
    await verifier.verify(token);
    expect(verifier.verifyCached(token)).toBeDefined();
    expect(await codeOf(verifier, maa.mint({}, { alg: 'none' }))).toBe('ERR_ALG_NOT_ALLOWED');
    expect(() => verifier.verifyCached(42)).not.toThrow(); // not cacheable: a miss, and no message

    expect(messages).toEqual([
      { outcome: 'accepted', issuer: maa.issuer, attestationType: 'sgx', cached: false, durationMs: expect.any(Number) },
      { outcome: 'accepted', issuer: maa.issuer, attestationType: 'sgx', cached: true, durationMs: expect.any(Number) },
      { outcome: 'rejected', code: 'ERR_ALG_NOT_ALLOWED', durationMs: expect.any(Number) },
    ]);
    for (const message of messages) expect(message.durationMs).toBeGreaterThanOrEqual(0);
    // Nothing from the token beyond issuer and type: a subscriber's log carries no claims.
    expect(JSON.stringify(messages)).not.toContain('x-ms-sgx-svn');
  });

  it('a refusal from verifyCached is published too', async () => {
    const past = createVerifier({
      issuers: [{ issuer: maa.issuer, jwks: maa.publicJwks() }],
      allowInsecureLoopback: true,
      now: () => clock,
    });
    let clock = Date.now();
    const token = maa.mint();
    await past.verify(token);
    clock = Date.now() + 24 * 3600_000;
    subscribe(CHANNELS.verification, listener);
    expect(() => past.verifyCached(token)).toThrow(expect.objectContaining({ code: 'ERR_TOKEN_EXPIRED' }));
    expect(messages).toEqual([{ outcome: 'rejected', code: 'ERR_TOKEN_EXPIRED', durationMs: expect.any(Number) }]);
  });

  it('publishes nothing once unsubscribed', async () => {
    subscribe(CHANNELS.verification, listener);
    unsubscribe(CHANNELS.verification, listener);
    await verifier.verify(maa.mint());
    expect(messages).toEqual([]);
  });
});
