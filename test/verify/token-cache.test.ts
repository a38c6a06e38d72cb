import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AttestationError, compilePolicy, createVerifier, type Verifier, type VerifierOptions } from '../../src/index.js';
import { createTestAttestationService, DEFAULT_MRSIGNER, type TestAttestationService } from '../../src/testing/index.js';
import { freezeJson } from '../../src/verify/result.js';
import { ENTRY_FIXED_BYTES } from '../../src/verify/token-cache.js';
import { ACCEPTED, outcome } from '../helpers/outcome.js';

let maa: TestAttestationService;
/** The one clock, in seconds since the epoch (token times are whole seconds). */
let now: number;

beforeAll(async () => {
  maa = await createTestAttestationService();
});
afterAll(async () => {
  await maa.close();
});
beforeEach(() => {
  now = Math.floor(Date.now() / 1000);
  maa.resetCounters();
});

function verifierFor(options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    issuers: [maa.issuer],
    allowInsecureLoopback: true,
    now: () => now * 1000,
    ...options,
  });
}

/** 'hit' or 'miss' for verifyCached, or the code it threw. */
function codeOf(run: () => unknown): string {
  let hit = false;
  const answer = outcome(() => (hit = run() !== undefined));
  return answer === ACCEPTED ? (hit ? 'hit' : 'miss') : answer;
}

describe('the verified-token cache', () => {
  it('answers a repeated token synchronously, with the same frozen result', async () => {
    const verifier = verifierFor();
    const token = maa.mint();
    expect(verifier.verifyCached(token)).toBeUndefined();
    const first = await verifier.verify(token);
    expect(verifier.verifyCached(token)).toBe(first);
    expect(await verifier.verify(token)).toBe(first);
    expect(Object.isFrozen(first.sgx)).toBe(true);
  });

  it('does not answer for a different token with the same signature or payload', async () => {
    const verifier = verifierFor();
    const token = maa.mint();
    await verifier.verify(token);
    const [header, payload, signature] = token.split('.');
    const edited = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), 'x-ms-sgx-svn': 9 })).toString('base64url')}.${signature}`;
    expect(verifier.verifyCached(edited)).toBeUndefined();
    await expect(verifier.verify(edited)).rejects.toMatchObject({ code: 'ERR_SIGNATURE_INVALID' });
  });

  it('honours expiry on hits: a remembered token that has expired is refused', async () => {
    const verifier = verifierFor();
    const token = maa.mint({}, { iat: now - 1000, lifetimeSeconds: 2000 });
    await verifier.verify(token);
    now += 999;
    expect(codeOf(() => verifier.verifyCached(token))).toBe('hit');
    now += 100;
    expect(codeOf(() => verifier.verifyCached(token))).toBe('ERR_TOKEN_EXPIRED');
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
  });

  it('honours maxTokenAge on hits', async () => {
    const verifier = verifierFor({ maxTokenAgeSeconds: 600 });
    const token = maa.mint({}, { iat: now });
    await verifier.verify(token);
    now += 700;
    expect(codeOf(() => verifier.verifyCached(token))).toBe('ERR_TOKEN_TOO_OLD');
  });

  it('evaluates the policy on every hit', async () => {
    const verifier = verifierFor();
    const token = maa.mint({ 'x-ms-sgx-svn': 3 });
    const low = compilePolicy({ mrsigner: [DEFAULT_MRSIGNER], minSvn: 2 });
    const high = compilePolicy({ mrsigner: [DEFAULT_MRSIGNER], minSvn: 5 });
    await verifier.verify(token, { policy: low });
    expect(codeOf(() => verifier.verifyCached(token, { policy: low }))).toBe('hit');
    expect(codeOf(() => verifier.verifyCached(token, { policy: high }))).toBe('ERR_POLICY_DENIED');
    await expect(verifier.verify(token, { policy: high })).rejects.toMatchObject({ code: 'ERR_POLICY_DENIED' });
    const debug = maa.mint({ 'x-ms-sgx-is-debuggable': true });
    await expect(verifier.verify(debug, { policy: low })).rejects.toMatchObject({ code: 'ERR_POLICY_DENIED' });
    // Refused by the policy it was checked against, so never cached: it is verified in full again.
    expect(codeOf(() => verifier.verifyCached(debug, { policy: low }))).toBe('miss');
  });

  it('remembers the last policy an entry passed, and still evaluates any other', async () => {
    const verifier = verifierFor();
    const token = maa.mint({ 'x-ms-sgx-svn': 3, svn: 3 });
    const low = compilePolicy({ mrsigner: [DEFAULT_MRSIGNER], minSvn: 2 });
    const high = compilePolicy({ mrsigner: [DEFAULT_MRSIGNER], minSvn: 5 });
    const equalToLow = compilePolicy({ mrsigner: [DEFAULT_MRSIGNER], minSvn: 2 });
    await verifier.verify(token, { policy: low });
    for (let i = 0; i < 3; i++) {
      expect(codeOf(() => verifier.verifyCached(token, { policy: low }))).toBe('hit');
      expect(codeOf(() => verifier.verifyCached(token, { policy: high }))).toBe('ERR_POLICY_DENIED');
      expect(codeOf(() => verifier.verifyCached(token, { policy: equalToLow }))).toBe('hit');
    }
    // A denial is never remembered as a pass, nor a pass as a denial, whatever the order.
    expect(codeOf(() => verifier.verifyCached(token, { policy: high }))).toBe('ERR_POLICY_DENIED');
    expect(codeOf(() => verifier.verifyCached(token))).toBe('hit');
  });

  it("compares the clock with the entry's validity span, and refuses with the precise code outside it", async () => {
    // Keys fresh for the whole hour-long walk: this test is about token times, not the key cache's age.
    const verifier = verifierFor({ keysMaxAgeSeconds: 86_400 });
    const token = maa.mint({}, { iat: now, lifetimeSeconds: 3600 });
    await verifier.verify(token);
    now -= 100; // the clock set back beyond nbf and the 30 s tolerance
    expect(codeOf(() => verifier.verifyCached(token))).toBe('ERR_TOKEN_NOT_YET_VALID');
    now += 100;
    expect(codeOf(() => verifier.verifyCached(token))).toBe('hit');
    now += 3600 + 29;
    expect(codeOf(() => verifier.verifyCached(token))).toBe('hit');
    now += 2;
    expect(codeOf(() => verifier.verifyCached(token))).toBe('ERR_TOKEN_EXPIRED');
    // An expired entry leaves the cache: with the clock back, the token is verified from scratch.
    now -= 60;
    expect(codeOf(() => verifier.verifyCached(token))).toBe('miss');
    expect((await verifier.verify(token)).issuer).toBe(maa.issuer);
  });

  it('a remembered header changes no outcome for tokens that share or imitate it', async () => {
    const verifier = verifierFor();
    const genuine = maa.mint();
    await verifier.verify(genuine);
    const [header, payload, signature] = genuine.split('.') as [string, string, string];
    const forged = maa.mint({}, { signingKey: maa.privateKey(maa.addKey()), kid: maa.activeKid });
    const headerJson = JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>;
    const withCrit = Buffer.from(JSON.stringify({ ...headerJson, crit: ['x'] })).toString('base64url');
    const cases: Array<[string, string]> = [
      [`${header}.${payload.slice(0, -1)}\u0141.${signature}`, 'ERR_TOKEN_MALFORMED'],
      [`${header}.${payload}.${signature.slice(0, -2)}`, 'ERR_SIGNATURE_INVALID'],
      [forged, 'ERR_SIGNATURE_INVALID'],
      [`${withCrit}.${payload}.${signature}`, 'ERR_HEADER_INVALID'],
      [`${header}x.${payload}.${signature}`, 'ERR_TOKEN_MALFORMED'],
    ];
    for (const [token, code] of cases) {
      await expect(verifier.verify(token)).rejects.toMatchObject({ code });
      await expect(verifierFor().verify(token)).rejects.toMatchObject({ code });
    }
    const second = await verifier.verify(maa.mint());
    expect(second.header).toEqual(headerJson);
    expect(Object.isFrozen(second.header)).toBe(true);
  });

  it('drops an entry whose signing key has left the key set', async () => {
    const service = await createTestAttestationService();
    try {
      const verifier = createVerifier({ issuers: [service.issuer], allowInsecureLoopback: true, now: () => now * 1000 });
      const token = service.mint();
      await verifier.verify(token);
      expect(codeOf(() => verifier.verifyCached(token))).toBe('hit');
      service.rotateKeys();
      // Past keysMaxAgeSeconds the key set is not fresh: a hit is not served until the set is refreshed.
      now += 3601;
      expect(codeOf(() => verifier.verifyCached(token))).toBe('miss');
      await verifier.warmUp();
      expect(codeOf(() => verifier.verifyCached(token))).toBe('miss');
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' });
    } finally {
      await service.close();
    }
  });

  it('keeps serving hits across a refresh that re-publishes the same key', async () => {
    const verifier = verifierFor();
    const token = maa.mint();
    await verifier.verify(token);
    now += 3601;
    await verifier.warmUp();
    expect(codeOf(() => verifier.verifyCached(token))).toBe('hit');
  });

  it('never remembers failures', async () => {
    const verifier = verifierFor();
    const forged = maa.mint({}, { signingKey: maa.privateKey(maa.addKey()), kid: maa.activeKid });
    const debug = maa.mint({ 'x-ms-sgx-svn': '3' });
    for (const token of ['junk', forged, debug]) {
      await expect(verifier.verify(token)).rejects.toBeInstanceOf(AttestationError);
      expect(codeOf(() => verifier.verifyCached(token))).toBe('miss');
    }
  });

  it('stays within its bounds', async () => {
    const verifier = verifierFor({ tokenCache: { maxEntries: 5 } });
    const tokens = Array.from({ length: 20 }, () => maa.mint());
    for (const token of tokens) await verifier.verify(token);
    const remembered = tokens.filter((token) => verifier.verifyCached(token) !== undefined);
    expect(remembered).toEqual(tokens.slice(15));
    // Every token here has the same shape, so each is charged the same estimate (the first also its header).
    const entryBytes = ENTRY_FIXED_BYTES + freezeJson(JSON.parse(Buffer.from(tokens[1]!.split('.')[1]!, 'base64url').toString()) as object);
    const bySize = verifierFor({ tokenCache: { maxBytes: Math.floor(3.5 * entryBytes) } });
    for (const token of tokens) await bySize.verify(token);
    expect(tokens.filter((token) => bySize.verifyCached(token) !== undefined)).toHaveLength(3);
  });

  it('recognises a repeated token on the same connection, and never confuses two tokens on it', async () => {
    const verifier = verifierFor();
    const connection = {};
    const token = maa.mint();
    const first = await verifier.verify(token, { connection });
    expect(verifier.verifyCached(`${token}`, { connection })).toBe(first);
    const forged = maa.mint({}, { signingKey: maa.privateKey(maa.addKey()), kid: maa.activeKid });
    expect(verifier.verifyCached(forged, { connection })).toBeUndefined();
    await expect(verifier.verify(forged, { connection })).rejects.toMatchObject({ code: 'ERR_SIGNATURE_INVALID' });
    const other = maa.mint({ 'x-ms-sgx-svn': 7, svn: 7 });
    expect((await verifier.verify(other, { connection })).sgx?.svn).toBe(7);
    expect(verifier.verifyCached(token, { connection })).toBe(first);
    expect(verifier.verifyCached(token, { connection: {} })).toBe(first);
  });

  describe('per connection (the entry a keep-alive client last used, rechecked as a cache hit is)', () => {
    it('refuses a token that expired between two requests on one connection, and drops it', async () => {
      const verifier = verifierFor();
      const connection = {};
      const token = maa.mint({}, { iat: now - 1000, lifetimeSeconds: 2000 });
      await verifier.verify(token, { connection });
      expect(codeOf(() => verifier.verifyCached(token, { connection }))).toBe('hit');
      now += 1100;
      expect(codeOf(() => verifier.verifyCached(token, { connection }))).toBe('ERR_TOKEN_EXPIRED');
      // Dropped from the cache, so not served from the connection either once the clock goes back.
      now -= 1100;
      expect(codeOf(() => verifier.verifyCached(token, { connection }))).toBe('miss');
      expect(codeOf(() => verifier.verifyCached(token))).toBe('miss');
    });

    it('stops serving a token whose signing key has left the key set', async () => {
      const service = await createTestAttestationService();
      try {
        let clock = Date.now();
        const verifier = createVerifier({ issuers: [service.issuer], allowInsecureLoopback: true, now: () => clock });
        const connection = {};
        const token = service.mint();
        await verifier.verify(token, { connection });
        expect(codeOf(() => verifier.verifyCached(token, { connection }))).toBe('hit');
        service.rotateKeys();
        clock += 3_600_001;
        await verifier.warmUp();
        expect(codeOf(() => verifier.verifyCached(token, { connection }))).toBe('miss');
        await expect(verifier.verify(token, { connection })).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' });
        expect(codeOf(() => verifier.verifyCached(token, { connection }))).toBe('miss');
      } finally {
        await service.close();
      }
    });

    it("evaluates each route's policy for the same token on one connection", async () => {
      const verifier = verifierFor();
      const connection = {};
      const token = maa.mint({ 'x-ms-sgx-svn': 3, svn: 3 });
      const low = compilePolicy({ mrsigner: [DEFAULT_MRSIGNER], minSvn: 2 });
      const high = compilePolicy({ mrsigner: [DEFAULT_MRSIGNER], minSvn: 5 });
      await verifier.verify(token, { policy: low, connection });
      for (let i = 0; i < 3; i++) {
        expect(codeOf(() => verifier.verifyCached(token, { policy: low, connection }))).toBe('hit');
        expect(codeOf(() => verifier.verifyCached(token, { policy: high, connection }))).toBe('ERR_POLICY_DENIED');
        await expect(verifier.verify(token, { policy: high, connection })).rejects.toMatchObject({ code: 'ERR_POLICY_DENIED' });
      }
    });

    it('answers a different token on the same connection by its own entry, never by the last one', async () => {
      const verifier = verifierFor();
      const connection = {};
      const first = maa.mint({ 'x-ms-sgx-svn': 3, svn: 3 });
      const second = maa.mint({ 'x-ms-sgx-svn': 4, svn: 4 });
      await verifier.verify(first, { connection });
      expect(verifier.verifyCached(second, { connection })).toBeUndefined();
      expect((await verifier.verify(second, { connection })).sgx?.svn).toBe(4);
      expect(verifier.verifyCached(second, { connection })?.sgx?.svn).toBe(4);
      expect(verifier.verifyCached(first, { connection })?.sgx?.svn).toBe(3);
      const [header, payload] = first.split('.');
      const forged = `${header}.${payload}.${second.split('.')[2]}`;
      expect(verifier.verifyCached(forged, { connection })).toBeUndefined();
      await expect(verifier.verify(forged, { connection })).rejects.toMatchObject({ code: 'ERR_SIGNATURE_INVALID' });
    });

    it('does not serve an entry the cache has evicted', async () => {
      const verifier = verifierFor({ tokenCache: { maxEntries: 1 } });
      const connection = {};
      const token = maa.mint();
      await verifier.verify(token, { connection });
      expect(codeOf(() => verifier.verifyCached(token, { connection }))).toBe('hit');
      await verifier.verify(maa.mint());
      expect(codeOf(() => verifier.verifyCached(token, { connection }))).toBe('miss');
    });

    it('never outlives the connection', async () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const verifier = verifierFor();
      const token = maa.mint();
      let collected = false;
      const registry = new FinalizationRegistry(() => (collected = true));
      await (async () => {
        const connection = {};
        registry.register(connection, 'connection');
        await verifier.verify(token, { connection });
        expect(verifier.verifyCached(token, { connection })).toBeDefined();
      })();
      for (let i = 0; i < 20 && !collected; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(collected).toBe(true);
      // The verifier is still alive and still holds the token in its cache: only the connection went.
      expect(verifier.verifyCached(token)).toBeDefined();
    });
  });

  it('can be turned off', async () => {
    const verifier = verifierFor({ tokenCache: false });
    const token = maa.mint();
    const first = await verifier.verify(token);
    expect(verifier.verifyCached(token)).toBeUndefined();
    expect(await verifier.verify(token)).not.toBe(first);
  });
});
