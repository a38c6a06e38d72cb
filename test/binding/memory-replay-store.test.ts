import { describe, expect, it } from 'vitest';
import { createMemoryReplayStore } from '../../src/binding/index.js';

/** A settable clock; starts away from 0 on purpose except where 0 itself is the point. */
function manualClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('createMemoryReplayStore', () => {
  it('issues a key once and consumes it once', async () => {
    const store = createMemoryReplayStore();
    expect(await store.issue('n1', 60_000)).toBe(true);
    expect(await store.issue('n1', 60_000)).toBe(false);
    expect(await store.consume('n1')).toBe('consumed');
    expect(await store.consume('n1')).toBe('replayed');
    expect(await store.consume('n1')).toBe('replayed');
    // A used key is still there: it cannot be issued again and then consumed a second time.
    expect(await store.issue('n1', 60_000)).toBe(false);
    expect(await store.consume('never-issued')).toBe('unknown');
  });

  it('records one-time values: true the first time only', async () => {
    const store = createMemoryReplayStore();
    expect(await store.once('jti-1', 60_000)).toBe(true);
    expect(await store.once('jti-1', 60_000)).toBe(false);
    expect(await store.once('jti-2', 60_000)).toBe(true);
  });

  it('keeps nonces and one-time values apart', async () => {
    const store = createMemoryReplayStore();
    expect(await store.once('same', 60_000)).toBe(true);
    expect(await store.consume('same')).toBe('unknown');
    expect(await store.issue('same', 60_000)).toBe(true);
    expect(await store.once('same', 60_000)).toBe(false);
    expect(await store.consume('same')).toBe('consumed');
  });

  it('forgets an issued key at its expiry: unknown, and issuable again', async () => {
    const clock = manualClock();
    const store = createMemoryReplayStore({ now: clock.now });
    await store.issue('n', 1_000);
    clock.advance(999);
    expect(await store.issue('n', 1_000)).toBe(false);
    clock.advance(1);
    expect(await store.consume('n')).toBe('unknown');
    expect(await store.issue('n', 1_000)).toBe(true);
    expect(await store.consume('n')).toBe('consumed');
  });

  it('remembers a used key until the original expiry, not longer', async () => {
    const clock = manualClock();
    const store = createMemoryReplayStore({ now: clock.now });
    await store.issue('n', 1_000);
    clock.advance(900);
    expect(await store.consume('n')).toBe('consumed');
    clock.advance(99);
    expect(await store.consume('n')).toBe('replayed');
    clock.advance(1); // 1000 ms after issue, not after consume
    expect(await store.consume('n')).toBe('unknown');
  });

  it('forgets a one-time value at its expiry', async () => {
    const clock = manualClock();
    const store = createMemoryReplayStore({ now: clock.now });
    expect(await store.once('jti', 500)).toBe(true);
    clock.advance(499);
    expect(await store.once('jti', 500)).toBe(false);
    clock.advance(1);
    expect(await store.once('jti', 500)).toBe(true);
  });

  it('expires entries even when the injected clock starts at 0', async () => {
    // lru-cache treats an entry started at time 0 as never stale; expiry must not depend on that.
    const clock = manualClock(0);
    const store = createMemoryReplayStore({ now: clock.now });
    await store.issue('n', 1_000);
    expect(await store.once('jti', 1_000)).toBe(true);
    clock.advance(1_000);
    expect(await store.consume('n')).toBe('unknown');
    expect(await store.once('jti', 1_000)).toBe(true);
  });

  it('rounds fractional ttls up instead of down to zero', async () => {
    const clock = manualClock();
    const store = createMemoryReplayStore({ now: clock.now });
    await store.issue('n', 0.4);
    expect(await store.consume('n')).toBe('consumed');
  });

  describe('bounds', () => {
    it('never holds more than maxEntries; an evicted issued nonce is unknown (fails closed)', async () => {
      const store = createMemoryReplayStore({ maxEntries: 3 });
      for (const key of ['a', 'b', 'c', 'd']) expect(await store.issue(key, 60_000)).toBe(true);
      expect(await store.consume('a')).toBe('unknown');
      expect(await store.consume('d')).toBe('consumed');
      expect(await store.consume('b')).toBe('consumed');
    });

    it('stays bounded under a flood: 10 000 keys through 100 slots', async () => {
      const store = createMemoryReplayStore({ maxEntries: 100 });
      for (let i = 0; i < 10_000; i += 1) await store.issue(`k${i}`, 60_000);
      let remembered = 0;
      for (let i = 0; i < 10_000; i += 1) if ((await store.consume(`k${i}`)) === 'consumed') remembered += 1;
      expect(remembered).toBe(100);
    });

    it('sweeps expired entries before evicting live ones when full', async () => {
      const clock = manualClock();
      const store = createMemoryReplayStore({ maxEntries: 3, now: clock.now });
      // The long-lived jti is the least recently used entry once the short-lived nonces arrive.
      expect(await store.once('jti', 8 * 3600_000)).toBe(true);
      await store.issue('old-1', 1_000);
      await store.issue('old-2', 1_000);
      clock.advance(2_000);
      await store.issue('new-1', 1_000);
      await store.issue('new-2', 1_000);
      expect(await store.once('jti', 8 * 3600_000)).toBe(false);
      expect(await store.consume('new-1')).toBe('consumed');
    });

    it('a flood of challenges never evicts a recorded one-time value: the jti is still refused', async () => {
      // The challenge endpoint is unauthenticated: whoever can request nonces can fill the nonce space.
      const store = createMemoryReplayStore({ maxEntries: 3 });
      expect(await store.once('jti', 60_000)).toBe(true);
      for (let i = 0; i < 50; i += 1) expect(await store.issue(`flood-${i}`, 60_000)).toBe(true);
      expect(await store.once('jti', 60_000)).toBe(false);
    });

    it('full of live one-time values, a new one is refused (ERR_REPLAY_STORE_UNAVAILABLE), never recorded by forgetting another', async () => {
      const clock = manualClock();
      const store = createMemoryReplayStore({ maxEntries: 2, now: clock.now });
      expect(await store.once('a', 60_000)).toBe(true);
      expect(await store.once('b', 1_000)).toBe(true);
      await expect(store.once('c', 60_000)).rejects.toMatchObject({ code: 'ERR_REPLAY_STORE_UNAVAILABLE' });
      expect(await store.once('a', 60_000)).toBe(false);
      expect(await store.once('b', 60_000)).toBe(false);
      // Once one expires there is room again.
      clock.advance(2_000);
      expect(await store.once('c', 60_000)).toBe(true);
      expect(await store.once('a', 60_000)).toBe(false);
    });

    it('stores keys as fixed-size digests: long keys stay distinct', async () => {
      const store = createMemoryReplayStore();
      const long = 'x'.repeat(100_000);
      expect(await store.once(`${long}1`, 60_000)).toBe(true);
      expect(await store.once(`${long}2`, 60_000)).toBe(true);
      expect(await store.once(`${long}1`, 60_000)).toBe(false);
    });
  });

  describe('refuses misuse with ERR_CONFIG_INVALID', () => {
    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number])('maxEntries %s', (maxEntries) => {
      expect(() => createMemoryReplayStore({ maxEntries })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    });

    it('a clock that is not a function', () => {
      expect(() => createMemoryReplayStore({ now: 5 as unknown as () => number })).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
      );
    });

    it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY, '100' as unknown as number])('ttl %s', async (ttl) => {
      const store = createMemoryReplayStore();
      await expect(store.issue('k', ttl)).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
      await expect(store.once('k', ttl)).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
      expect(await store.consume('k')).toBe('unknown');
    });

    it('a key that is not a string', async () => {
      const store = createMemoryReplayStore();
      await expect(store.once(42 as unknown as string, 1_000)).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    });
  });
});
