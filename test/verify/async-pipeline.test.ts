/**
 * A new token's RSA runs on libuv's thread pool (the claims checked while it runs) or on the calling
 * thread (`signatureThread`; by default the pool only while another verification's RSA is on it, and
 * always for the request gate). What the choice must not change: the first failure reported (a forged
 * token is ERR_SIGNATURE_INVALID whatever its claims), the outcome of each of many concurrent
 * verifications, and the synchronous cache hit. What the pool does change, over HTTP, is stated and
 * proved in test/verify/async-http.test.ts.
 */
import { createHook } from 'node:async_hooks';
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type Verifier, type VerifierOptions, type VerifyOptions } from '../../src/index.js';
import { createTestAttestationService, type TestAttestationService } from '../../src/testing/index.js';
import { asyncOutcome } from '../helpers/outcome.js';

let maa: TestAttestationService;
let attackerKey: KeyObject;

beforeAll(async () => {
  maa = await createTestAttestationService();
  attackerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
});
afterAll(async () => {
  await maa.close();
});

function verifierFor(options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({ issuers: [{ issuer: maa.issuer, jwks: maa.publicJwks() }], allowInsecureLoopback: true, ...options });
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (segment: string) => JSON.parse(Buffer.from(segment, 'base64url').toString()) as Record<string, unknown>;

/** The token's header and payload (edited), signed by the attacker under the genuine kid. */
function forge(edit: (payload: Record<string, unknown>) => Record<string, unknown>): string {
  const [header, payload] = maa.mint().split('.') as [string, string];
  const input = `${header}.${b64(edit(decode(payload)))}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), attackerKey).toString('base64url')}`;
}

/**
 * Counts node:crypto sign/verify jobs that ran on libuv's thread pool while `run` ran: those whose
 * completion callback came back through the event loop (a synchronous `crypto.verify` creates the same
 * kind of job but never calls back).
 */
async function cryptoJobsDuring(run: () => Promise<unknown>): Promise<number> {
  const started = new Set<number>();
  let jobs = 0;
  const hook = createHook({
    init: (id, type) => void (type === 'SIGNREQUEST' && started.add(id)),
    before: (id) => void (started.has(id) && jobs++),
  }).enable();
  try {
    await run();
  } finally {
    hook.disable();
  }
  return jobs;
}

describe('where RSA runs: signatureThread', () => {
  it("'thread-pool' verifies a new token with one thread-pool job and answers a repeated one with none", async () => {
    const verifier = verifierFor();
    const token = maa.mint();
    await verifier.warmUp();
    expect(await cryptoJobsDuring(() => verifier.verify(token, { signatureThread: 'thread-pool' }))).toBe(1);
    expect(await cryptoJobsDuring(() => verifier.verify(token, { signatureThread: 'thread-pool' }))).toBe(0);
    expect(verifier.verifyCached(token)).toBeDefined();
  });

  it("'thread-pool' leaves the event loop free while RSA runs: the synchronous part of verify returns before the signature is checked", async () => {
    const verifier = verifierFor();
    let settled = false;
    const pending = verifier.verify(maa.mint(), { signatureThread: 'thread-pool' }).then(() => (settled = true));
    // A microtask turn later a synchronous implementation would have settled already.
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(false);
    await pending;
    expect(settled).toBe(true);
  });

  it("'caller' and the default, one at a time, verify on the calling thread: no thread-pool job", async () => {
    const verifier = verifierFor();
    await verifier.warmUp();
    expect(await cryptoJobsDuring(() => verifier.verify(maa.mint(), { signatureThread: 'caller' }))).toBe(0);
    expect(await cryptoJobsDuring(() => verifier.verify(maa.mint()))).toBe(0);
    expect(await cryptoJobsDuring(() => verifier.verify(maa.mint(), { signatureThread: 'auto' }))).toBe(0);
  });

  it('the default joins the thread pool while another verification is on it', async () => {
    const verifier = verifierFor();
    await verifier.warmUp();
    const jobs = await cryptoJobsDuring(() =>
      Promise.all([
        verifier.verify(maa.mint(), { signatureThread: 'thread-pool' }),
        verifier.verify(maa.mint()),
        verifier.verify(maa.mint()),
      ]),
    );
    expect(jobs).toBe(3);
    // Once the pool is idle again, the default is back on the calling thread.
    expect(await cryptoJobsDuring(() => verifier.verify(maa.mint()))).toBe(0);
  });

  it('a value that names no thread is ERR_CONFIG_INVALID, and only a new token asks', async () => {
    const verifier = verifierFor();
    const token = maa.mint();
    await verifier.verify(token);
    const bad = { signatureThread: 'worker' } as unknown as VerifyOptions;
    expect(await asyncOutcome(() => verifier.verify(maa.mint(), bad))).toBe('ERR_CONFIG_INVALID');
    expect(await asyncOutcome(() => verifier.verify(token, bad))).toBe('accepted');
  });
});

describe.each(['thread-pool', 'caller'] as const)('RSA on the %s thread: the same outcomes in the same order', (signatureThread) => {
  const options: VerifyOptions = { signatureThread };
  const codeOf = (verifier: Verifier, token: string) => asyncOutcome(() => verifier.verify(token, options));

  it.each([
    ['expired', (p: Record<string, unknown>) => ({ ...p, exp: 1000, iat: 500, nbf: 500 })],
    ['not yet valid', (p: Record<string, unknown>) => ({ ...p, nbf: (p.nbf as number) + 86_400 })],
    ['a malformed claim', (p: Record<string, unknown>) => ({ ...p, 'x-ms-sgx-svn': 'three' })],
    ['no attestation type (a policy-management response)', (p: Record<string, unknown>) => ({ ...p, 'x-ms-attestation-type': undefined })],
    ['a contradicting legacy alias', (p: Record<string, unknown>) => ({ ...p, svn: 99 })],
  ])('a forged token with %s is refused for its signature', async (_name, edit) => {
    expect(await codeOf(verifierFor(), forge(edit))).toBe('ERR_SIGNATURE_INVALID');
  });

  it('a genuine token with a bad claim gets the claim error once the signature verified', async () => {
    const verifier = verifierFor();
    expect(await codeOf(verifier, maa.mint({}, { iat: 1000, lifetimeSeconds: 100 }))).toBe('ERR_TOKEN_EXPIRED');
    expect(await codeOf(verifier, maa.mint({ 'x-ms-sgx-svn': 'three' }))).toBe('ERR_CLAIM_INVALID');
  });

  it('checks before the RSA stay first: a signature of the wrong length is refused without a thread-pool job', async () => {
    const verifier = verifierFor();
    const [header, payload] = maa.mint().split('.');
    const truncated = `${header}.${payload}.${Buffer.alloc(255, 1).toString('base64url')}`;
    let code = '';
    expect(await cryptoJobsDuring(async () => (code = await codeOf(verifier, truncated)))).toBe(0);
    expect(code).toBe('ERR_SIGNATURE_INVALID');
  });

  it('a key restricted to another algorithm is ERR_KEY_INVALID, before any RSA', async () => {
    const jwks = maa.publicJwks();
    const restricted = { keys: jwks.keys.map((key) => ({ ...key, alg: 'PS256' })) };
    const verifier = createVerifier({ issuers: [{ issuer: maa.issuer, jwks: restricted }], allowInsecureLoopback: true });
    const token = maa.mint();
    let code = '';
    const jobs = await cryptoJobsDuring(async () => (code = await codeOf(verifier, token)));
    expect(code).toBe('ERR_KEY_INVALID');
    expect(jobs).toBe(0);
  });

  it('gives each of 200 concurrent verifications its own outcome, and caches only the authentic ones', async () => {
    const verifier = verifierFor();
    const kinds = [
      ['accepted', () => maa.mint()],
      ['ERR_SIGNATURE_INVALID', () => forge((p) => p)],
      ['ERR_TOKEN_EXPIRED', () => maa.mint({}, { iat: 1000, lifetimeSeconds: 100 })],
      ['ERR_SIGNATURE_INVALID', () => forge((p) => ({ ...p, exp: 1 }))],
      ['ERR_TOKEN_MALFORMED', () => `${maa.mint()}x.y`],
    ] as const;
    const planned = Array.from({ length: 200 }, (_, i) => {
      const [expected, make] = kinds[i % kinds.length]!;
      return { expected, token: make() };
    });
    const outcomes = await Promise.all(planned.map(({ token }) => codeOf(verifier, token)));
    expect(outcomes).toEqual(planned.map(({ expected }) => expected));
    for (const { expected, token } of planned) expect(verifier.verifyCached(token) !== undefined).toBe(expected === 'accepted');
  });

  it('answers the same new token verified twice at once with equal results, and remembers it', async () => {
    const verifier = verifierFor();
    const token = maa.mint();
    const [a, b] = await Promise.all([verifier.verify(token, options), verifier.verify(token, options)]);
    expect(a).toEqual(b);
    expect(verifier.verifyCached(token)).toBeDefined();
  });
});
