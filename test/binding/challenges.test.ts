import { describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { createChallengeStore, createMemoryReplayStore, type ReplayStore } from '../../src/binding/index.js';
import { AttestationError } from '../../src/errors.js';

const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/;

/** A memory store whose calls are counted. */
function spiedStore(store: ReplayStore = createMemoryReplayStore()) {
  return {
    issue: vi.fn(store.issue.bind(store)),
    consume: vi.fn(store.consume.bind(store)),
    once: vi.fn(store.once.bind(store)),
  };
}

describe('createChallengeStore', () => {
  it('issues unguessable nonces: 1000 distinct, 32 bytes as 43 base64url characters', async () => {
    const challenges = createChallengeStore();
    const nonces = await Promise.all(Array.from({ length: 1000 }, async () => (await challenges.issue()).nonce));
    expect(new Set(nonces).size).toBe(1000);
    for (const nonce of nonces) {
      expect(nonce).toMatch(BASE64URL_43);
      expect(Buffer.from(nonce, 'base64url')).toHaveLength(32);
      expect(Buffer.from(nonce, 'base64url').toString('base64url')).toBe(nonce);
    }
  });

  it('accepts a nonce once; a second use is ERR_REPLAY (401)', async () => {
    const challenges = createChallengeStore();
    const { nonce } = await challenges.issue();
    await expect(challenges.consume(nonce)).resolves.toBeUndefined();
    const replay = await challenges.consume(nonce).catch((error: unknown) => error);
    expect(replay).toBeInstanceOf(AttestationError);
    expect(replay).toMatchObject({ code: 'ERR_REPLAY', status: 401 });
    await expect(challenges.consume(nonce)).rejects.toMatchObject({ code: 'ERR_REPLAY' });
  });

  it('refuses a well-formed nonce it never issued with ERR_BINDING_MISMATCH (401)', async () => {
    const challenges = createChallengeStore();
    const foreign = createChallengeStore();
    const { nonce } = await foreign.issue();
    await expect(challenges.consume(nonce)).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH', status: 401 });
    // Refusing it did not use it up where it was issued.
    await expect(foreign.consume(nonce)).resolves.toBeUndefined();
  });

  it('expires nonces after ttl seconds; expiresAt says when', async () => {
    let storeNow = 5_000;
    const epoch = Date.UTC(2025, 0, 1);
    const challenges = createChallengeStore({ ttlSeconds: 60, store: createMemoryReplayStore({ now: () => storeNow }), now: () => epoch });
    expect(challenges.ttlSeconds).toBe(60);
    const first = await challenges.issue();
    const second = await challenges.issue();
    expect(first.expiresAt).toEqual(new Date(epoch + 60_000));
    storeNow += 59_999;
    await expect(challenges.consume(first.nonce)).resolves.toBeUndefined();
    storeNow += 1;
    await expect(challenges.consume(second.nonce)).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH' });
    // An expired used nonce is forgotten too: still refused, as unknown.
    await expect(challenges.consume(first.nonce)).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH' });
  });

  it('passes the ttl to the store in milliseconds, fractional seconds included', async () => {
    const store = spiedStore();
    await createChallengeStore({ ttlSeconds: 0.3, store }).issue();
    expect(store.issue).toHaveBeenCalledWith(expect.stringMatching(/^[0-9a-f]{128}$/), 300);
    await createChallengeStore({ store }).issue();
    expect(store.issue).toHaveBeenLastCalledWith(expect.any(String), 300_000);
  });

  describe('a nonce named by its SHA-512 (TDX and SEV-SNP user-data)', () => {
    const sha512 = (nonce: string) => `sha512:${createHash('sha512').update(nonce).digest('hex')}`;

    it('consumes the issued nonce once, whichever way it is named', async () => {
      const challenges = createChallengeStore();
      const [first, second] = [await challenges.issue(), await challenges.issue()];
      await expect(challenges.consume(sha512(first.nonce))).resolves.toBeUndefined();
      await expect(challenges.consume(sha512(first.nonce))).rejects.toMatchObject({ code: 'ERR_REPLAY' });
      await expect(challenges.consume(first.nonce)).rejects.toMatchObject({ code: 'ERR_REPLAY' });
      await expect(challenges.consume(second.nonce)).resolves.toBeUndefined();
      await expect(challenges.consume(sha512(second.nonce))).rejects.toMatchObject({ code: 'ERR_REPLAY' });
    });

    it('refuses the hash of a nonce it never issued, and malformed hashes without asking the store', async () => {
      const store = spiedStore();
      const challenges = createChallengeStore({ store });
      await expect(challenges.consume(sha512('A'.repeat(43)))).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH' });
      expect(store.consume).toHaveBeenCalledTimes(1);
      const digest = sha512('x').slice('sha512:'.length);
      for (const bad of [
        `sha512:${digest.toUpperCase()}`,
        `sha512:${digest.slice(1)}`,
        `sha512:${digest}0`,
        `SHA512:${digest}`,
        'sha512:',
        digest,
      ]) {
        await expect(challenges.consume(bad), bad).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH' });
      }
      expect(store.consume).toHaveBeenCalledTimes(1);
    });
  });

  describe('malformed nonces are ERR_BINDING_MISMATCH and never reach the store', () => {
    const valid = 'A'.repeat(43);
    const cases: [string, unknown][] = [
      ['empty', ''],
      ['short', 'abc'],
      ['42 characters', valid.slice(1)],
      ['44 characters', `${valid}A`],
      ['base64 alphabet (+/)', `${'+'.repeat(42)}A`],
      ['padding', `${valid.slice(2)}A=`],
      ['non-canonical last character', `${valid.slice(1)}B`],
      ['a trailing newline', `${valid}\n`],
      ['whitespace', ` ${valid.slice(1)}`],
      ['non-ASCII', `${valid.slice(1)}é`],
      ['a megabyte', 'A'.repeat(1 << 20)],
      ['a number', 42],
      ['null', null],
      ['undefined', undefined],
      ['an object', { toString: () => valid }],
    ];

    it.each(cases)('%s', async (_name, nonce) => {
      const store = spiedStore();
      const challenges = createChallengeStore({ store });
      await expect(challenges.consume(nonce as string)).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH' });
      expect(store.consume).not.toHaveBeenCalled();
    });

    it('while a well-formed one does reach it', async () => {
      const store = spiedStore();
      await expect(createChallengeStore({ store }).consume(valid)).rejects.toMatchObject({ code: 'ERR_BINDING_MISMATCH' });
      expect(store.consume).toHaveBeenCalledOnce();
    });

    it('the message quotes the junk shortly', async () => {
      const error = (await createChallengeStore()
        .consume('\u0000'.repeat(10_000))
        .then(
          () => undefined,
          (e: unknown) => e,
        )) as Error;
      expect(error.message.length).toBeLessThan(500);
      expect(error.message).not.toContain('\u0000');
    });
  });

  describe('a failing store is ERR_REPLAY_STORE_UNAVAILABLE (503), never a pass', () => {
    const nonce = 'A'.repeat(43);
    const broken = (overrides: Partial<ReplayStore>): ReplayStore => ({ ...createMemoryReplayStore(), ...overrides });

    it('consume rejecting', async () => {
      const cause = new Error('connection reset');
      const challenges = createChallengeStore({ store: broken({ consume: () => Promise.reject(cause) }) });
      const error = await challenges.consume(nonce).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE', status: 503, cause });
    });

    it('consume throwing synchronously', async () => {
      const challenges = createChallengeStore({
        store: broken({
          consume: () => {
            throw new TypeError('boom');
          },
        }),
      });
      await expect(challenges.consume(nonce)).rejects.toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE' });
    });

    it('consume answering something else', async () => {
      const challenges = createChallengeStore({ store: broken({ consume: async () => 'ok' as 'consumed' }) });
      await expect(challenges.consume(nonce)).rejects.toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE' });
    });

    it('issue rejecting, or claiming a fresh nonce already exists', async () => {
      await expect(
        createChallengeStore({ store: broken({ issue: () => Promise.reject(new Error('down')) }) }).issue(),
      ).rejects.toMatchObject({
        code: 'ERR_REPLAY_STORE_UNAVAILABLE',
      });
      await expect(createChallengeStore({ store: broken({ issue: async () => false }) }).issue()).rejects.toMatchObject({
        code: 'ERR_REPLAY_STORE_UNAVAILABLE',
      });
    });

    it('an unavailable error from the store passes through unchanged', async () => {
      const original = new AttestationError('ERR_REPLAY_STORE_UNAVAILABLE', 'redis timed out');
      const challenges = createChallengeStore({ store: broken({ consume: () => Promise.reject(original) }) });
      await expect(challenges.consume(nonce)).rejects.toBe(original);
    });
  });

  describe('refuses bad options with ERR_CONFIG_INVALID', () => {
    it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '300' as unknown as number])('ttlSeconds %s', (ttlSeconds) => {
      expect(() => createChallengeStore({ ttlSeconds })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    });

    it('a store without issue/consume', () => {
      expect(() => createChallengeStore({ store: {} as ReplayStore })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    });
  });
});
