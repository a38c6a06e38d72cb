/**
 * Faults of the key-metadata endpoints (discovery and /certs), injected with the local MAA instance's
 * `setFault`, an undici MockAgent (for headers the local instance cannot send), a connector that never
 * connects, and a TCP server on 127.0.0.1 that accepts and never answers.
 *
 * Each fault is checked twice at once: on a cold verifier (the expected error, within a time bound) and on
 * a warm one whose forced refresh fails while the good key set stays cached, unchanged, and keeps
 * verifying — also once stale, served at once without waiting for the network. Memory is measured around
 * each case after a real gc. test/keys/remote.test.ts already covers /certs that hangs, drips at 50 B/s,
 * is 50 MiB, redirects, is not JSON, has the wrong shape, or answers 429: those are not repeated here.
 */
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Agent, buildConnector, MockAgent, type Dispatcher } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createVerifier, type Verifier, type VerifierOptions } from '../../src/index.js';
import {
  createSelfSignedCertificate,
  createTestAttestationService,
  maaKeyId,
  type Fault,
  type FaultRoute,
  type TestAttestationService,
  type TestJwk,
} from '../../src/testing/index.js';
import { codeOf, decodeSegment, gc, MiB, segmentsOf, settledHeap, signJws } from './helpers.js';

const FETCH_TIMEOUT = 300;
/** A cold verification makes at most two deadline-bound requests (discovery, then /certs). */
const FAULT_BOUND_MS = 2 * FETCH_TIMEOUT + 700;
/** heapUsed growth allowed per case, after gc (more without a real gc). */
const HEAP_BOUND = gc ? 8 * MiB : 48 * MiB;
const HOUR = 3_600_000;

let maa: TestAttestationService;
let attacker: TestAttestationService;
let clock = Date.now();

beforeAll(async () => {
  [maa, attacker] = await Promise.all([createTestAttestationService(), createTestAttestationService()]);
});
afterAll(async () => {
  await Promise.all([maa.close(), attacker.close()]);
});
beforeEach(() => {
  clock = Date.now();
  for (const service of [maa, attacker]) {
    service.clearFaults();
    service.resetCounters();
  }
});

function verifierFor(service: TestAttestationService, options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    issuers: [service.issuer],
    allowInsecureLoopback: true,
    fetchTimeoutMs: FETCH_TIMEOUT,
    now: () => clock,
    ...options,
  });
}

const port = (service: TestAttestationService) => new URL(service.issuer).port;
const body = (value: unknown) => JSON.stringify(value);

interface FaultCase {
  /** Applies the fault; called once the warm verifier has its good key set. */
  readonly inject: () => void;
  readonly service?: TestAttestationService;
  readonly dispatcher?: Dispatcher;
  /** What the cold verifier answers. */
  readonly code?: string;
  readonly boundMs?: number;
  /** The fault must stop the load before any /certs request (no fallback). */
  readonly certsUntouched?: boolean;
}

/**
 * The expected error cold, no poisoning warm (forced refresh fails, the good set stays and verifies, also
 * when stale), time and memory bounded, nothing sent to the attacker instance.
 */
async function expectFaultContained({
  inject,
  service = maa,
  dispatcher,
  code = 'ERR_METADATA_UNAVAILABLE',
  boundMs = FAULT_BOUND_MS,
  certsUntouched = false,
}: FaultCase): Promise<void> {
  const options = dispatcher === undefined ? {} : { dispatcher };
  const warm = verifierFor(service, options);
  await warm.warmUp();
  const good = warm.keyStatus()[0]!;
  expect(good.keyIds.length).toBeGreaterThan(0);
  const heapBefore = settledHeap();

  service.resetCounters();
  inject();
  const cold = verifierFor(service, options);
  const started = performance.now();
  const [coldCode, refresh] = await Promise.all([
    codeOf(cold, service.mint()),
    warm.warmUp().then(
      () => 'refreshed',
      (error: { code?: string }) => error.code,
    ),
  ]);
  const elapsed = performance.now() - started;
  expect(coldCode).toBe(code);
  expect(refresh).toBe('ERR_METADATA_UNAVAILABLE');
  expect(elapsed).toBeLessThan(boundMs);
  if (certsUntouched) {
    expect(service.requests.discovery).toBe(2);
    expect(service.requests.certs).toBe(0);
  }

  // No poisoning: the same set, fetched at the same time, still verifying — fresh, and stale while failing.
  const after = warm.keyStatus()[0]!;
  expect(after.keyIds).toEqual(good.keyIds);
  expect(after.fetchedAt).toEqual(good.fetchedAt);
  expect(after.lastError?.code).toBe('ERR_METADATA_UNAVAILABLE');
  expect(await codeOf(warm, service.mint())).toBe('accepted');
  clock += HOUR + 1;
  const staleStarted = performance.now();
  expect(await codeOf(warm, service.mint())).toBe('accepted');
  expect(performance.now() - staleStarted).toBeLessThan(FETCH_TIMEOUT);

  const growth = settledHeap() - heapBefore;
  expect(growth).toBeLessThan(HEAP_BOUND);
  expect(attacker.requests.total, 'nothing reaches another origin').toBe(0);
  if (process.env['HARDENING_REPORT'])
    console.info(`metadata fault: cold ${elapsed.toFixed(0)} ms, heapUsed growth after gc ${(growth / MiB).toFixed(2)} MiB`);
}

/** A discovery fault alone: verification falls back to <issuer>/certs and still succeeds. */
async function expectFallback(inject: () => void): Promise<void> {
  const warm = verifierFor(maa);
  await warm.warmUp();
  inject();
  const started = performance.now();
  const [coldCode, refresh] = await Promise.all([
    codeOf(verifierFor(maa), maa.mint()),
    warm.warmUp().then(
      () => 'refreshed',
      (error: { code?: string }) => error.code,
    ),
  ]);
  expect(coldCode).toBe('accepted');
  expect(refresh).toBe('refreshed');
  expect(performance.now() - started).toBeLessThan(FETCH_TIMEOUT + 700);
  expect(maa.requests.certs).toBeGreaterThanOrEqual(2);
  expect(attacker.requests.total).toBe(0);
}

const fault = (route: FaultRoute, value: Fault) => () => maa.setFault(route, value);

describe('status codes', () => {
  it.each([
    ['certs', 404],
    ['certs', 500],
    ['certs', 502],
    ['certs', 503],
    ['certs', 204],
    ['certs', 206],
    ['certs', 304],
    ['all', 401],
    ['all', 403],
    ['all', 404],
  ] as const)('%s answering %i: ERR_METADATA_UNAVAILABLE cold, the cached set unharmed', async (route, status) => {
    await expectFaultContained({ inject: fault(route, { status }) });
  });

  it('every endpoint answering 429 with Retry-After: ERR_METADATA_UNAVAILABLE cold, the cached set unharmed', async () => {
    await expectFaultContained({ inject: fault('all', { status: 429, headers: { 'Retry-After': '3600' } }) });
  });

  it('/certs answering 200 with the body of a 500: ERR_METADATA_UNAVAILABLE', async () => {
    await expectFaultContained({
      inject: fault('certs', { status: 200, body: body({ error: { code: 'InternalServerError', message: 'x' } }) }),
    });
  });
});

describe('timeouts', () => {
  let silent: TcpServer;
  let silentConnections = 0;
  const held = new Set<Socket>();
  beforeAll(async () => {
    // Accepts connections and never writes a byte: the client waits for headers that never come.
    silent = createTcpServer((socket) => {
      silentConnections += 1;
      held.add(socket);
      socket.on('close', () => held.delete(socket));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  /**
   * An Agent whose connections go normally until `switchTo` changes the mode; switching also destroys the
   * sockets opened so far, so that no kept-alive connection hides the fault.
   */
  function switchableAgent() {
    const connect = buildConnector({});
    const opened = new Set<Socket>();
    const pending: buildConnector.Callback[] = [];
    let mode: 'normal' | 'never-connect' | 'silent-server' = 'normal';
    const agent = new Agent({
      connect: (options, callback) => {
        if (mode === 'never-connect') {
          pending.push(callback); // never called back: a SYN dropped for ever
          return;
        }
        const address = silent.address();
        const silentPort = typeof address === 'object' && address !== null ? String(address.port) : '0';
        const track = ((error: Error | null, socket: Socket | null) => {
          if (socket !== null) opened.add(socket);
          (callback as (error: Error | null, socket: Socket | null) => void)(error, socket);
        }) as buildConnector.Callback;
        connect(mode === 'silent-server' ? { ...options, port: silentPort } : options, track);
      },
    });
    const switchTo = (next: typeof mode) => {
      mode = next;
      for (const socket of opened) socket.destroy();
      opened.clear();
    };
    const close = async () => {
      for (const callback of pending.splice(0)) callback(new Error('test over'), null);
      await agent.destroy();
    };
    return { agent, switchTo, pending, close };
  }

  it('a connect that never completes: ERR_METADATA_UNAVAILABLE within the deadline, the cached set unharmed', async () => {
    const { agent, switchTo, pending, close } = switchableAgent();
    try {
      await expectFaultContained({ dispatcher: agent, inject: () => switchTo('never-connect') });
      expect(pending.length).toBeGreaterThan(0); // the connector really was left hanging
    } finally {
      await close();
    }
  });

  it('a TCP server on 127.0.0.1 that accepts and never answers: ERR_METADATA_UNAVAILABLE within the deadline', async () => {
    const { agent, switchTo, close } = switchableAgent();
    try {
      const before = silentConnections;
      await expectFaultContained({ dispatcher: agent, inject: () => switchTo('silent-server') });
      expect(silentConnections).toBeGreaterThan(before); // the silent server really took the connections
    } finally {
      await close();
    }
  });

  it('both endpoints accepting the request and never sending headers: ERR_METADATA_UNAVAILABLE within two deadlines', async () => {
    await expectFaultContained({ inject: fault('all', { hang: true }) });
  });

  it('/certs sending its headers, then never its body: ERR_METADATA_UNAVAILABLE within the deadline', async () => {
    await expectFaultContained({ inject: fault('certs', { dripBytesPerSecond: 0.001 }) });
  });

  it('both endpoints dripping at 100 B/s, each chunk well inside any per-chunk timeout: ERR_METADATA_UNAVAILABLE', async () => {
    await expectFaultContained({ inject: fault('all', { dripBytesPerSecond: 100 }) });
  });

  it('both endpoints answering just after the deadline: ERR_METADATA_UNAVAILABLE', async () => {
    await expectFaultContained({ inject: fault('all', { delayMs: FETCH_TIMEOUT * 3 }) });
  });
});

describe('sizes', () => {
  it('50 MiB from both endpoints, streamed without Content-Length: cut at the cap, memory flat', async () => {
    await expectFaultContained({ inject: fault('all', { oversizeBytes: 50 * MiB }) });
  });

  it('a key set larger than a lowered maxMetadataBytes: ERR_METADATA_UNAVAILABLE', async () => {
    const size = Buffer.byteLength(body(maa.publicJwks()));
    const verifier = verifierFor(maa, { maxMetadataBytes: size - 1 });
    expect(await codeOf(verifier, maa.mint())).toBe('ERR_METADATA_UNAVAILABLE');
    expect(await codeOf(verifierFor(maa, { maxMetadataBytes: 2 * size }), maa.mint())).toBe('accepted');
  });

  describe('headers the local instance cannot send (MockAgent at the issuer origin)', () => {
    /** Discovery always normal; /certs normal until `state.fault` is set. */
    function mockIssuer(faultReply: () => { statusCode: number; data: string | Buffer; headers: Record<string, string> }) {
      const agent = new MockAgent();
      agent.disableNetConnect();
      const pool = agent.get(maa.issuer);
      const state = { fault: false };
      pool
        .intercept({ path: '/.well-known/openid-configuration', method: 'GET' })
        .reply(200, body(maa.openidConfiguration()), { headers: { 'content-type': 'application/json' } })
        .persist();
      pool
        .intercept({ path: '/certs', method: 'GET' })
        .reply(() => {
          if (!state.fault)
            return { statusCode: 200, data: body(maa.publicJwks()), responseOptions: { headers: { 'content-type': 'application/json' } } };
          const { statusCode, data, headers } = faultReply();
          return { statusCode, data, responseOptions: { headers } };
        })
        .persist();
      return { agent, state };
    }

    it('a Content-Length declaring 50 MiB: refused on the header, ERR_METADATA_UNAVAILABLE', async () => {
      const { agent, state } = mockIssuer(() => ({
        statusCode: 200,
        data: body(maa.publicJwks()),
        headers: { 'content-length': String(50 * MiB) },
      }));
      try {
        await expectFaultContained({ dispatcher: agent, inject: () => (state.fault = true) });
      } finally {
        await agent.close();
      }
    });

    it('a gzip-compressed key set despite accept-encoding: identity: ERR_METADATA_UNAVAILABLE', async () => {
      const { agent, state } = mockIssuer(() => ({
        statusCode: 200,
        data: gzipSync(body(maa.publicJwks())),
        headers: { 'content-encoding': 'gzip' },
      }));
      try {
        await expectFaultContained({ dispatcher: agent, inject: () => (state.fault = true) });
      } finally {
        await agent.close();
      }
    });
  });
});

describe('bodies that are not a key set', () => {
  it.each([
    ['truncated JSON', () => body(maa.publicJwks()).slice(0, -3)],
    ['an empty body', () => ''],
    ['JSON with a byte-order mark', () => `\ufeff${body(maa.publicJwks())}`],
    ['a NaN literal', () => '{"keys":NaN}'],
  ])('/certs with %s: ERR_METADATA_UNAVAILABLE', async (_name, text) => {
    await expectFaultContained({ inject: () => maa.setFault('certs', { body: text() }) });
  });

  it.each([
    ['an array of keys', () => maa.publicJwks().keys],
    ['null', () => null],
    ['keys as an object', () => ({ keys: { 0: maa.publicJwks().keys[0] } })],
    ['keys of the wrong types', () => ({ keys: [1, 'x', null, [], true] })],
    ['no keys', () => ({ keys: [] })],
    ['keys without kid', () => ({ keys: maa.publicJwks().keys.map(({ kid: _kid, ...rest }) => rest) })],
    ['the genuine keys only under __proto__', () => JSON.parse(`{"__proto__":${body(maa.publicJwks())}}`) as unknown],
    [
      '65 keys, over the limit of 64',
      () => ({ keys: Array.from({ length: 65 }, (_, i) => ({ ...maa.publicJwks().keys[0], kid: i === 0 ? maa.activeKid : `k${i}` })) }),
    ],
    ['the genuine key published twice', () => ({ keys: [maa.publicJwks().keys[0], maa.publicJwks().keys[0]] })],
    ['an EC key under the genuine kid', () => ({ keys: [{ kid: maa.activeKid, kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }] })],
    ['an oct (HMAC) key under the genuine kid', () => ({ keys: [{ kid: maa.activeKid, kty: 'oct', k: 'c2VjcmV0' }] })],
  ])('/certs with %s: ERR_METADATA_UNAVAILABLE', async (_name, value) => {
    await expectFaultContained({ inject: () => maa.setFault('certs', { body: body(value()) }) });
  });

  it.each([
    ['that is an array', () => [maa.openidConfiguration()]],
    ['that is a string', () => 'openid'],
    ['whose jwks_uri is not a string', () => ({ ...maa.openidConfiguration(), jwks_uri: 5 })],
    ['naming another issuer', () => ({ ...maa.openidConfiguration(), issuer: attacker.issuer })],
  ])('a discovery document %s: ERR_METADATA_UNAVAILABLE, no fallback to /certs', async (_name, value) => {
    await expectFaultContained({ inject: () => maa.setFault('discovery', { body: body(value()) }), certsUntouched: true });
  });
});

describe('discovery faults alone fall back to <issuer>/certs', () => {
  it.each([
    ['404', () => maa.setFault('discovery', { status: 404 })],
    ['500', () => maa.setFault('discovery', { status: 500 })],
    ['invalid JSON', () => maa.setFault('discovery', { body: '<html>' })],
    ['a hang', () => maa.setFault('discovery', { hang: true })],
    ['a drip', () => maa.setFault('discovery', { dripBytesPerSecond: 20 })],
    ['50 MiB', () => maa.setFault('discovery', { oversizeBytes: 50 * MiB })],
    ['a redirect to the attacker', () => maa.setFault('discovery', { redirectTo: `${attacker.issuer}/.well-known/openid-configuration` })],
    [
      'jwks_uri only under __proto__, naming the attacker',
      () => maa.setFault('discovery', { body: `{"__proto__":{"jwks_uri":"${attacker.jwksUri}"},"issuer":"${maa.issuer}"}` }),
    ],
  ])('discovery with %s: verification still succeeds from /certs, nothing sent to the attacker', async (_name, inject) => {
    await expectFallback(inject);
  });
});

describe('redirects are refused, never followed', () => {
  it.each([
    ['302 from /certs to the attacker', () => maa.setFault('certs', { redirectTo: attacker.jwksUri })],
    ['301 from /certs to the attacker', () => maa.setFault('certs', { status: 301, headers: { Location: attacker.jwksUri } })],
    ['307 from /certs to the attacker', () => maa.setFault('certs', { status: 307, headers: { Location: attacker.jwksUri } })],
    ['308 from /certs to the attacker', () => maa.setFault('certs', { status: 308, headers: { Location: attacker.jwksUri } })],
    ['302 from both endpoints to the attacker', () => maa.setFault('all', { redirectTo: attacker.jwksUri })],
    ['302 from /certs to /certs on the same origin', () => maa.setFault('certs', { redirectTo: `${maa.issuer}/certs?again` })],
  ])('%s: ERR_METADATA_UNAVAILABLE, not followed, the attacker never asked', async (_name, inject) => {
    await expectFaultContained({ inject });
  });
});

describe('discovery pointing jwks_uri away from the issuer origin', () => {
  it.each([
    ['the attacker instance', () => attacker.jwksUri],
    ['localhost, same port', () => `http://localhost:${port(maa)}/certs`],
    ['https, same host and port', () => `https://127.0.0.1:${port(maa)}/certs`],
    ['the same origin with user info', () => `http://user:pw@127.0.0.1:${port(maa)}/certs`],
    ['a relative URL', () => '/certs'],
    ['a protocol-relative URL', () => `//127.0.0.1:${port(attacker)}/certs`],
    ['user info that looks like the issuer', () => `http://127.0.0.1:${port(maa)}@127.0.0.1:${port(attacker)}/certs`],
  ])('jwks_uri on %s: ERR_METADATA_UNAVAILABLE, never fetched, no fallback', async (_name, uri) => {
    await expectFaultContained({
      inject: () => maa.setFault('discovery', { body: body({ ...maa.openidConfiguration(), jwks_uri: uri() }) }),
      certsUntouched: true,
    });
  });
});

describe('keys that must not be used', () => {
  // The instance's own key, certified for another subject, or replaced: what each bad key looks like.
  const key1024 = () => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
  let other: KeyObject;
  beforeAll(() => {
    other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  });
  const certificateFor = (commonName: string, privateKey: KeyObject, publicKey?: KeyObject) =>
    createSelfSignedCertificate({ commonName, privateKey, ...(publicKey ? { publicKey } : {}) }).base64;

  describe('as the only key, after a good set was cached', () => {
    const soleKey = (jwk: () => Record<string, unknown>) => () => maa.setFault('certs', { body: body({ keys: [jwk()] }) });

    it.each([
      [
        'n disagreeing with x5c',
        () => ({ ...maa.publicJwks().keys[0], n: maa.publicKey().export({ format: 'jwk' }).n?.replace(/^./, 'A'), e: 'AQAB' }),
      ],
      ['e disagreeing with x5c', () => ({ ...maa.publicJwks().keys[0], ...maa.publicKey().export({ format: 'jwk' }), e: 'Aw' })],
      [
        'n/e of another key next to the genuine x5c',
        () => ({ ...maa.publicJwks().keys[0], n: other.export({ format: 'jwk' }).n, e: 'AQAB' }),
      ],
      [
        'a 1024-bit key certified for the issuer',
        () => {
          const weak = key1024();
          return { kid: maa.activeKid, kty: 'RSA', x5c: [certificateFor(maa.issuer, weak)] };
        },
      ],
      [
        'a certificate naming the attacker instance',
        () => ({ kid: maa.activeKid, kty: 'RSA', x5c: [certificateFor(attacker.issuer, maa.privateKey())] }),
      ],
      [
        'a certificate naming localhost instead of 127.0.0.1',
        () => ({ kid: maa.activeKid, kty: 'RSA', x5c: [certificateFor(`http://localhost:${port(maa)}`, maa.privateKey())] }),
      ],
      [
        'a certificate naming the issuer /certs URL',
        () => ({ kid: maa.activeKid, kty: 'RSA', x5c: [certificateFor(maa.jwksUri, maa.privateKey())] }),
      ],
      [
        'a certificate of the genuine key signed by another key',
        () => ({ kid: maa.activeKid, kty: 'RSA', x5c: [certificateFor(maa.issuer, other, maa.publicKey())] }),
      ],
      [
        'a two-certificate chain',
        () => ({ kid: maa.activeKid, kty: 'RSA', x5c: [maa.certificate().base64, certificateFor(maa.issuer, other)] }),
      ],
      ['x5c that is not base64', () => ({ kid: maa.activeKid, kty: 'RSA', x5c: ['-----BEGIN CERTIFICATE-----'] })],
      ['use: enc', () => ({ ...maa.publicJwks().keys[0], use: 'enc' })],
      ['alg: HS256', () => ({ ...maa.publicJwks().keys[0], alg: 'HS256' })],
    ])('%s: ERR_METADATA_UNAVAILABLE cold, the cached set unharmed', async (_name, jwk) => {
      await expectFaultContained({ inject: soleKey(jwk) });
    });
  });

  describe('next to a usable key', () => {
    let pair: TestAttestationService;
    beforeAll(async () => {
      pair = await createTestAttestationService({ keyCount: 2, jwksIncludesModulus: true });
    });
    afterAll(async () => {
      await pair.close();
    });

    /** Serves the genuine first key and `bad` (named `kid`); returns the code of a token naming `kid` signed by `signer`. */
    async function codeNaming(kid: string, bad: Record<string, unknown>, signer: KeyObject): Promise<{ bad: string; good: string }> {
      pair.setFault('certs', { body: body({ keys: [pair.publicJwks().keys[0], bad] }) });
      try {
        const verifier = verifierFor(pair);
        const claims = decodeSegment(segmentsOf(pair.mint())[1]);
        const token = signJws({ alg: 'RS256', jku: pair.jwksUri, kid, typ: 'JWT' }, claims, signer);
        return { bad: await codeOf(verifier, token), good: await codeOf(verifier, pair.mint({}, { kid: pair.keys()[0] })) };
      } finally {
        pair.clearFaults();
      }
    }

    const second = (): TestJwk => pair.publicJwks().keys[1]!;

    it('n disagreeing with x5c: a token naming it fails with ERR_KEY_INVALID, the other key verifies', async () => {
      const jwk = { ...second(), n: pair.publicKey(pair.keys()[0]).export({ format: 'jwk' }).n };
      expect(await codeNaming(second().kid, jwk, pair.privateKey(second().kid))).toEqual({ bad: 'ERR_KEY_INVALID', good: 'accepted' });
    });

    it('e disagreeing with x5c: ERR_KEY_INVALID', async () => {
      expect(await codeNaming(second().kid, { ...second(), e: 'Aw' }, pair.privateKey(second().kid))).toEqual({
        bad: 'ERR_KEY_INVALID',
        good: 'accepted',
      });
    });

    it('a 1024-bit key: ERR_KEY_INVALID', async () => {
      const weak = key1024();
      const kid = maaKeyId(weak);
      expect(await codeNaming(kid, { kid, kty: 'RSA', x5c: [certificateFor(pair.issuer, weak)] }, weak)).toEqual({
        bad: 'ERR_KEY_INVALID',
        good: 'accepted',
      });
    });

    it('a certificate naming another instance: ERR_KEY_INVALID', async () => {
      const kid = second().kid;
      const signer = pair.privateKey(kid);
      expect(await codeNaming(kid, { kid, kty: 'RSA', x5c: [certificateFor(attacker.issuer, signer)] }, signer)).toEqual({
        bad: 'ERR_KEY_INVALID',
        good: 'accepted',
      });
    });

    it('a certificate chain: ERR_KEY_INVALID', async () => {
      const kid = second().kid;
      const signer = pair.privateKey(kid);
      expect(
        await codeNaming(kid, { kid, kty: 'RSA', x5c: [pair.certificate(kid).base64, certificateFor(pair.issuer, other)] }, signer),
      ).toEqual({
        bad: 'ERR_KEY_INVALID',
        good: 'accepted',
      });
    });
  });
});

describe('a long run of faults on one verifier', () => {
  it('30 forced refreshes against rotating faults leave the good set in place and memory flat', async () => {
    const verifier = verifierFor(maa);
    await verifier.warmUp();
    const good = verifier.keyStatus()[0]!;
    const faults: Fault[] = [
      { status: 500 },
      { body: '{' },
      { body: body({ keys: [] }) },
      { oversizeBytes: 4 * MiB },
      { redirectTo: attacker.jwksUri },
      {
        body: body({
          keys: [
            {
              kid: maa.activeKid,
              kty: 'RSA',
              x5c: [createSelfSignedCertificate({ commonName: attacker.issuer, privateKey: maa.privateKey() }).base64],
            },
          ],
        }),
      },
    ];
    const heapBefore = settledHeap();
    for (let round = 0; round < 30; round++) {
      maa.setFault('certs', faults[round % faults.length]!);
      await expect(verifier.warmUp()).rejects.toMatchObject({ code: 'ERR_METADATA_UNAVAILABLE' });
    }
    const growth = settledHeap() - heapBefore;
    expect(growth).toBeLessThan(HEAP_BOUND);
    expect(verifier.keyStatus()[0]).toMatchObject({ keyIds: good.keyIds, fetchedAt: good.fetchedAt, consecutiveFailures: 30 });
    expect(await codeOf(verifier, maa.mint())).toBe('accepted');
    maa.clearFaults();
    await verifier.warmUp();
    expect(verifier.keyStatus()[0]?.consecutiveFailures).toBe(0);
    expect(attacker.requests.total).toBe(0);
  });
});
