import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHANNELS, createVerifier, type Verifier, type VerifierOptions } from '../../src/index.js';
import { REFRESH_BACKOFF_INITIAL_MS } from '../../src/keys/remote.js';
import { createTestAttestationService, type TestAttestationService } from '../../src/testing/index.js';
import { codeOf } from '../helpers/outcome.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let maa: TestAttestationService;
/** The one clock the verifier and the local MAA read, in milliseconds since the epoch. */
let clock = Date.now();
const advance = (ms: number) => {
  clock += ms;
};

beforeAll(async () => {
  maa = await createTestAttestationService({ now: () => clock });
});
afterAll(async () => {
  await maa.close();
});
beforeEach(() => {
  clock = Date.now();
  maa.clearFaults();
  maa.resetCounters();
});

function verifierFor(options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true, now: () => clock, fetchTimeoutMs: 400, ...options });
}

/** Lets lru-cache's background refresh (started by a stale read) finish. */
async function settle(verifier: Verifier): Promise<void> {
  for (let i = 0; i < 50 && verifier.keyStatus().some((status) => status.state !== 'fresh' && status.consecutiveFailures === 0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('single flight', () => {
  it('1000 concurrent verifications on a cold cache make one discovery and one /certs request', async () => {
    const verifier = verifierFor();
    const token = maa.mint();
    const codes = await Promise.all(Array.from({ length: 1000 }, () => codeOf(verifier, token)));
    expect(new Set(codes)).toEqual(new Set(['accepted']));
    expect(maa.requests).toEqual({ discovery: 1, certs: 1, attest: 0, total: 2 });
  });

  it('concurrent verifications on a stale cache are served at once and share one background refresh', async () => {
    const verifier = verifierFor();
    await verifier.warmUp();
    maa.resetCounters();
    advance(HOUR + 1);
    const codes = await Promise.all(Array.from({ length: 200 }, () => codeOf(verifier, maa.mint())));
    expect(new Set(codes)).toEqual(new Set(['accepted']));
    await settle(verifier);
    expect(maa.requests.certs).toBe(1);
    expect(verifier.keyStatus()[0]?.state).toBe('fresh');
  });
});

describe('outages', () => {
  it('keeps verifying through an outage after warm-up, until keysMaxStaleSeconds has passed', async () => {
    const verifier = verifierFor();
    await verifier.warmUp();
    maa.setFault('all', { status: 503 });
    advance(HOUR + 1);
    expect(await codeOf(verifier, maa.mint())).toBe('accepted');
    advance(DAY - 2);
    expect(await codeOf(verifier, maa.mint())).toBe('accepted');
    advance(10);
    expect(await codeOf(verifier, maa.mint())).toBe('ERR_METADATA_UNAVAILABLE');
    const status = verifier.keyStatus()[0]!;
    expect(status.state).toBe('expired');
    expect(status.lastError?.code).toBe('ERR_METADATA_UNAVAILABLE');
    expect(status.keyIds).toEqual([maa.activeKid]);
  });

  it('recovers on the first request after the issuer comes back, once the backoff has passed', async () => {
    const verifier = verifierFor();
    await verifier.warmUp();
    maa.setFault('all', { status: 500 });
    advance(HOUR + DAY + 1);
    expect(await codeOf(verifier, maa.mint())).toBe('ERR_METADATA_UNAVAILABLE');
    maa.clearFaults();
    advance(REFRESH_BACKOFF_INITIAL_MS);
    expect(await codeOf(verifier, maa.mint())).toBe('accepted');
    expect(verifier.keyStatus()[0]?.state).toBe('fresh');
  });

  it('backs off exponentially: during a backoff no request is sent', async () => {
    const verifier = verifierFor({ keysMaxStaleSeconds: 0 });
    maa.setFault('all', { status: 500 });
    expect(await codeOf(verifier, maa.mint())).toBe('ERR_METADATA_UNAVAILABLE');
    const afterFirst = maa.requests.total;
    for (let i = 0; i < 20; i++) expect(await codeOf(verifier, maa.mint())).toBe('ERR_METADATA_UNAVAILABLE');
    expect(maa.requests.total).toBe(afterFirst);
    const gaps: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const next = verifier.keyStatus()[0]!.nextAttemptAt!.getTime();
      gaps.push(next - clock);
      clock = next;
      expect(await codeOf(verifier, maa.mint())).toBe('ERR_METADATA_UNAVAILABLE');
    }
    expect(maa.requests.total).toBe(afterFirst * 6);
    // Each step's base doubles; jitter keeps each within [base/2, base].
    gaps.forEach((gap, index) => {
      const base = REFRESH_BACKOFF_INITIAL_MS * 2 ** index;
      expect(gap).toBeGreaterThanOrEqual(base / 2);
      expect(gap).toBeLessThanOrEqual(base);
    });
    expect(verifier.keyStatus()[0]?.consecutiveFailures).toBe(6);
  });

  it('warmUp rejects when an issuer is unreachable, and resolves when it is reachable', async () => {
    maa.setFault('all', { status: 500 });
    await expect(verifierFor().warmUp()).rejects.toMatchObject({ code: 'ERR_METADATA_UNAVAILABLE' });
    maa.clearFaults();
    await expect(verifierFor().warmUp()).resolves.toBeUndefined();
  });

  describe.each([
    ['hangs', { hang: true }],
    ['drips slowly', { dripBytesPerSecond: 50 }],
    ['is 50 MiB', { oversizeBytes: 50 * 1024 * 1024 }],
    ['redirects', { redirectTo: 'http://127.0.0.1:1/certs' }],
    ['is not JSON', { body: '<html>busy</html>' }],
    ['has the wrong shape', { body: JSON.stringify({ keys: 'none' }) }],
    ['has no usable key', { body: JSON.stringify({ keys: [{ kid: 'x', kty: 'RSA', x5c: ['AAAA'] }] }) }],
    ['answers 429', { status: 429 }],
  ])('a /certs answer that %s', (_name, fault) => {
    it('fails cold with ERR_METADATA_UNAVAILABLE within the timeout, memory flat', async () => {
      maa.setFault('certs', fault);
      const before = process.memoryUsage().heapUsed;
      const started = Date.now();
      expect(await codeOf(verifierFor(), maa.mint())).toBe('ERR_METADATA_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
    });

    it('leaves the good cached set untouched', async () => {
      const verifier = verifierFor();
      await verifier.warmUp();
      const good = verifier.keyStatus()[0]!;
      maa.setFault('certs', fault);
      advance(HOUR + 1);
      await expect(verifier.warmUp()).rejects.toMatchObject({ code: 'ERR_METADATA_UNAVAILABLE' });
      const after = verifier.keyStatus()[0]!;
      expect(after.keyIds).toEqual(good.keyIds);
      expect(after.fetchedAt).toEqual(good.fetchedAt);
      expect(after.state).toBe('stale');
      expect(await codeOf(verifier, maa.mint())).toBe('accepted');
    });
  });
});

describe('unknown kids', () => {
  it('a flood of 1000 random kids costs at most one refresh per interval (bound: 1 per 30 s)', async () => {
    const verifier = verifierFor();
    await verifier.warmUp();
    maa.resetCounters();
    const flood = () =>
      Promise.all(Array.from({ length: 1000 }, (_, i) => codeOf(verifier, maa.mint({}, { header: { kid: `random-${clock}-${i}` } }))));
    expect(new Set(await flood())).toEqual(new Set(['ERR_KEY_NOT_FOUND']));
    expect(maa.requests.certs).toBe(1);
    expect(new Set(await flood())).toEqual(new Set(['ERR_KEY_NOT_FOUND']));
    expect(maa.requests.certs).toBe(1);
    advance(30_000);
    await flood();
    expect(maa.requests.certs).toBe(2);
    expect(await codeOf(verifier, maa.mint())).toBe('accepted');
  });

  it('remembers an unknown kid for the interval', async () => {
    const verifier = verifierFor();
    await verifier.warmUp();
    const token = maa.mint({}, { header: { kid: 'not-yet-published' } });
    expect(await codeOf(verifier, token)).toBe('ERR_KEY_NOT_FOUND');
    maa.resetCounters();
    advance(29_000);
    expect(await codeOf(verifier, token)).toBe('ERR_KEY_NOT_FOUND');
    expect(maa.requests.certs).toBe(0);
    advance(1_001);
    expect(await codeOf(verifier, token)).toBe('ERR_KEY_NOT_FOUND');
    expect(maa.requests.certs).toBe(1);
  });

  it('an untrusted issuer costs no request at all', async () => {
    const verifier = verifierFor();
    const tokens = Array.from({ length: 100 }, (_, i) => maa.mint({ iss: `https://evil${i}.example` }, { header: { jku: undefined } }));
    const codes = await Promise.all(tokens.map((token) => codeOf(verifier, token)));
    expect(new Set(codes)).toEqual(new Set(['ERR_ISSUER_UNTRUSTED']));
    expect(maa.requests.total).toBe(0);
  });
});

describe('rotation', () => {
  it('a key rotated in verifies on first sight, even right after a routine fetch', async () => {
    const service = await createTestAttestationService();
    try {
      const verifier = createVerifier({ issuers: [service.issuer], allowInsecureLoopback: true, now: () => clock });
      await verifier.warmUp();
      service.rotateKeys();
      expect(await codeOf(verifier, service.mint())).toBe('accepted');
    } finally {
      await service.close();
    }
  });

  it('a key rotated out is refused after the next refresh', async () => {
    const service = await createTestAttestationService();
    try {
      const verifier = createVerifier({ issuers: [service.issuer], allowInsecureLoopback: true, now: () => clock });
      const old = service.activeKid;
      const oldToken = service.mint();
      expect(await codeOf(verifier, oldToken)).toBe('accepted');
      service.rotateKeys();
      advance(HOUR + 1);
      expect(await codeOf(verifier, oldToken)).toBe('accepted'); // stale set served while it refreshes
      await settle(verifier);
      expect(verifier.keyStatus()[0]?.keyIds).not.toContain(old);
      expect(await codeOf(verifier, oldToken)).toBe('ERR_KEY_NOT_FOUND');
    } finally {
      await service.close();
    }
  });

  it('rotation during concurrent load refuses no valid token', async () => {
    const service = await createTestAttestationService();
    try {
      const verifier = createVerifier({ issuers: [service.issuer], allowInsecureLoopback: true, now: () => clock });
      await verifier.warmUp();
      const codes: string[] = [];
      for (let round = 0; round < 5; round++) {
        // MAA publishes a new key before signing with it and retires the old one after: during the overlap,
        // tokens signed by either key are valid and in flight together.
        const previous = service.activeKid;
        const oldTokens = Array.from({ length: 100 }, () => service.mint());
        service.addKey({ activate: true });
        const batch = [...oldTokens, ...Array.from({ length: 100 }, () => service.mint())].map((token) => codeOf(verifier, token));
        codes.push(...(await Promise.all(batch)));
        service.removeKey(previous);
        advance(30_001);
      }
      expect(codes).toHaveLength(1000);
      expect(new Set(codes)).toEqual(new Set(['accepted']));
    } finally {
      await service.close();
    }
  });
});

describe('diagnostics', () => {
  it('publishes stale service and unknown kids', async () => {
    const seen: Array<[string, unknown]> = [];
    const names = [CHANNELS.staleServed, CHANNELS.unknownKid];
    const listeners = names.map((name) => {
      const listener = (message: unknown) => seen.push([name, message]);
      subscribe(name, listener);
      return () => unsubscribe(name, listener);
    });
    try {
      const verifier = verifierFor();
      await verifier.warmUp();
      maa.setFault('all', { status: 500 });
      advance(HOUR + 5);
      await codeOf(verifier, maa.mint());
      await codeOf(verifier, maa.mint({}, { header: { kid: 'nope' } }));
    } finally {
      listeners.forEach((stop) => stop());
    }
    expect(seen.find(([name]) => name === CHANNELS.staleServed)?.[1]).toMatchObject({ issuer: maa.issuer, ageMs: HOUR + 5 });
    expect(seen.find(([name]) => name === CHANNELS.unknownKid)?.[1]).toEqual({ issuer: maa.issuer, kid: 'nope' });
  });

  it('keyStatus reports pinned and remote issuers', async () => {
    const verifier = createVerifier({
      issuers: [maa.issuer, { issuer: 'https://pinned.wus.attest.azure.net', jwks: { keys: [] } }].slice(0, 1),
      allowInsecureLoopback: true,
      now: () => clock,
    });
    expect(verifier.keyStatus()[0]).toMatchObject({ issuer: maa.issuer, source: 'remote', state: 'empty', keyIds: [] });
    await verifier.warmUp();
    expect(verifier.keyStatus()[0]).toMatchObject({
      state: 'fresh',
      keyIds: [maa.activeKid],
      fetchedAt: new Date(clock),
      consecutiveFailures: 0,
    });
    const pinned = createVerifier({ issuers: [{ issuer: maa.issuer, jwks: maa.publicJwks() }], allowInsecureLoopback: true });
    expect(pinned.keyStatus()[0]).toMatchObject({ source: 'pinned', state: 'pinned', keyIds: [maa.activeKid] });
  });
});
