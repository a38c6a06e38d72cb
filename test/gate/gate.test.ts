import * as diagnosticsChannel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import {
  AttestationError,
  CHANNELS,
  createChallengeStore,
  createMemoryReplayStore,
  createRequestGate,
  type GateOutcome,
  type RequestGateOptions,
} from '../../src/index.js';
import { DEFAULT_MRSIGNER } from '../../src/testing/index.js';
import { AUTHORITY, BEARER_COMPONENTS, enclave, plain, signed, useLocalMaa } from './helpers.js';

const local = useLocalMaa();
const policy = { mrsigner: [DEFAULT_MRSIGNER] };

function gate(options: Partial<RequestGateOptions> = {}) {
  return createRequestGate({ verifier: local.verifier, policy, ...options });
}

function codeOf(outcome: GateOutcome): string {
  return outcome.ok ? 'accepted' : outcome.error.code;
}

describe('createRequestGate: a plain request in, an outcome out', () => {
  it('accepts a bearer token and returns the verified attestation', async () => {
    const outcome = await gate().check(plain({ authorization: `Bearer ${local.maa.mint()}` }));
    expect(outcome.ok).toBe(true);
    expect(outcome.ok && outcome.attestation?.sgx?.mrsigner).toBe(DEFAULT_MRSIGNER);
  });

  it('refuses with status, RFC 6750 headers and a problem body computed from the error, which it leaves untouched', async () => {
    const outcome = await gate({ realm: 'rp' }).check(plain({}));
    expect(outcome).toMatchObject({ ok: false, status: 401, headers: { 'www-authenticate': 'Bearer realm="rp"' } });
    expect(!outcome.ok && outcome.problem).toEqual({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      code: 'ERR_TOKEN_MISSING',
      detail: 'An attestation token is required',
    });
    expect(!outcome.ok && outcome.error.headers).toBeUndefined();
    const bad = await gate().check(plain({ authorization: 'Bearer x.y.z' }));
    expect(bad).toMatchObject({
      ok: false,
      status: 401,
      headers: { 'www-authenticate': expect.stringContaining('error="invalid_token"') },
    });
    const denied = await gate({ policy: { mrsigner: ['ab'.repeat(32)] } }).check(plain({ authorization: `Bearer ${local.maa.mint()}` }));
    expect(denied).toMatchObject({ ok: false, status: 403, problem: { code: 'ERR_POLICY_DENIED' } });
  });

  it('passes a request without a token when not required, and still refuses a bad one', async () => {
    expect(await gate({ required: false }).check(plain({}))).toEqual({ ok: true, attestation: undefined });
    expect(codeOf(await gate({ required: false }).check(plain({ authorization: 'Bearer nope' })))).toBe('ERR_TOKEN_MALFORMED');
  });

  it('answers 503 with the configured Retry-After', async () => {
    const down = { ...local.verifier, verify: () => Promise.reject(new AttestationError('ERR_METADATA_UNAVAILABLE', 'down')) };
    const outcome = await createRequestGate({ verifier: down, policy, retryAfterSeconds: 7 }).check(
      plain({ authorization: `Bearer ${local.maa.mint()}` }),
    );
    expect(outcome).toMatchObject({ ok: false, status: 503, headers: { 'retry-after': '7' } });
  });
});

describe('token sources on a plain request', () => {
  it('finds the token in a named header, a cookie (also split over two fields), the query, or your function', async () => {
    const token = local.maa.mint();
    expect(
      codeOf(await gate({ token: { bearer: false, header: 'X-Attestation-Token' } }).check(plain({ 'x-attestation-token': token }))),
    ).toBe('accepted');
    const cookie = gate({ token: { bearer: false, cookie: 'att' } });
    expect(codeOf(await cookie.check(plain({ cookie: `theme=dark; att=${token}` })))).toBe('accepted');
    expect(codeOf(await cookie.check(plain({ cookie: ['theme=dark', `att=${token}`] })))).toBe('accepted');
    expect(codeOf(await gate({ token: { bearer: false, query: 'att' } }).check(plain({}, { target: `/data?att=${token}` })))).toBe(
      'accepted',
    );
    expect(
      codeOf(await gate({ token: { from: (request) => request.headers['x-mine'] as string } }).check(plain({ 'x-mine': token }))),
    ).toBe('accepted');
  });

  it('refuses a token presented twice, in two places or in a repeated header (raw list), as 400 invalid_request', async () => {
    const token = local.maa.mint();
    const both = gate({ token: { cookie: 'att' } });
    expect(await both.check(plain({ authorization: `Bearer ${token}`, cookie: `att=${token}` }))).toMatchObject({
      status: 400,
      problem: { code: 'ERR_REQUEST_INVALID' },
    });
    const raw = ['Authorization', `Bearer ${token}`, 'authorization', `Bearer ${local.maa.mint()}`];
    expect(codeOf(await gate().check(plain({ authorization: `Bearer ${token}` }, { rawHeaders: raw })))).toBe('ERR_REQUEST_INVALID');
    expect(codeOf(await gate().check(plain({ authorization: [`Bearer ${token}`, `Bearer ${token}`] })))).toBe('ERR_REQUEST_INVALID');
  });
});

describe('checkSync: the synchronous fast path', () => {
  it('answers a remembered token without a promise, and defers to check otherwise', async () => {
    const plainGate = gate();
    const request = plain({ authorization: `Bearer ${local.maa.mint()}` });
    expect(plainGate.checkSync(request)).toBeUndefined();
    await plainGate.check(request);
    expect(plainGate.checkSync(request)).toMatchObject({ ok: true });
    expect(plainGate.checkSync(plain({}))).toMatchObject({ ok: false, status: 401 });
    // Anything that consumes state or needs the request signature is never answered synchronously.
    expect(gate({ singleUse: createMemoryReplayStore() }).checkSync(request)).toBeUndefined();
    expect(gate({ possession: {} }).checkSync(request)).toBeUndefined();
  });
});

describe('construction validates every option (ERR_CONFIG_INVALID)', () => {
  const bad: Record<string, Partial<Record<keyof RequestGateOptions, unknown>>> = {
    'realm 123': { realm: 123 },
    'realm with a quote': { realm: 'a"b' },
    'realm empty': { realm: '' },
    "retryAfter 'abc'": { retryAfterSeconds: 'abc' },
    'retryAfter -1': { retryAfterSeconds: -1 },
    'retryAfter 1.5': { retryAfterSeconds: 1.5 },
    'retryAfter NaN': { retryAfterSeconds: Number.NaN },
    'required "yes"': { required: 'yes' },
    'onRefusal not a function': { onRefusal: 'log' },
    'token not an object': { token: 'bearer' },
    'token.header with a space': { token: { header: 'x token' } },
    'token.header authorization': { token: { header: 'Authorization' } },
    'token.cookie with =': { token: { cookie: 'a=b' } },
    'token.from not a function': { token: { from: 'x' } },
    'token naming no place': { token: { bearer: false } },
    'binding without a store': { binding: {} },
    'singleUse not a store': { singleUse: {} },
    'possession.authority empty': { possession: { authority: '' } },
    'possession with token.from': { possession: {}, token: { from: () => undefined } },
    'possession.maxAgeSeconds -1': { possession: { maxAgeSeconds: -1 } },
    'possession.nonceStore without once': { possession: { nonceStore: {} } },
    'possession.tokenComponent': { possession: { tokenComponent: 'cookie' } },
    'policy missing': { policy: undefined },
    'verifier missing': { verifier: undefined },
  };
  it.each(Object.entries(bad))('refuses %s', (_name, options) => {
    expect(() => createRequestGate({ verifier: local.verifier, policy, ...options } as RequestGateOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });

  it('accepts retryAfter 0 and a token68 realm with padding', () => {
    expect(() => gate({ retryAfterSeconds: 0, realm: 'rp.example/v1+a=' })).not.toThrow();
  });
});

describe('callbacks never crash the process', () => {
  it('an onRefusal that throws or rejects is published on the callback channel; the refusal stands', async () => {
    const published: unknown[] = [];
    const unhandled: unknown[] = [];
    const listener = (message: unknown) => published.push(message);
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    diagnosticsChannel.subscribe(CHANNELS.callbackError, listener);
    process.on('unhandledRejection', onUnhandled);
    try {
      const throwing = gate({
        onRefusal: () => {
          throw new Error('logger down');
        },
      });
      const rejecting = gate({ onRefusal: () => Promise.reject(new Error('async logger down')) });
      expect(await throwing.check(plain({}))).toMatchObject({ ok: false, status: 401 });
      expect(await rejecting.check(plain({}))).toMatchObject({ ok: false, status: 401 });
      expect(rejecting.checkSync(plain({}))).toMatchObject({ ok: false, status: 401 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      expect(published).toHaveLength(3);
      expect(published[1]).toMatchObject({ callback: 'onRefusal', error: expect.objectContaining({ message: 'async logger down' }) });
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.callbackError, listener);
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('an unexpected internal error is a 500 ERR_INTERNAL refusal, not blamed on the token', async () => {
    const throwing = gate({
      token: {
        from: () => {
          throw new TypeError('bug');
        },
      },
    });
    expect(await throwing.check(plain({}))).toMatchObject({ ok: false, status: 500, problem: { code: 'ERR_INTERNAL' } });
    const broken = { ...local.verifier, verify: () => Promise.reject(new TypeError('bug')) };
    const outcome = await createRequestGate({ verifier: broken, policy }).check(plain({ authorization: `Bearer ${local.maa.mint()}` }));
    expect(outcome).toMatchObject({ ok: false, status: 500, headers: {}, problem: { code: 'ERR_INTERNAL' } });
  });
});

describe('possession in the core', () => {
  it('accepts a request signed with the attested key over the token, refuses it unsigned or signed by another key', async () => {
    const { privateKey, token } = enclave(local.maa);
    const possession = gate({ possession: { authority: AUTHORITY } });
    const request = plain({ authorization: `Bearer ${token}` });
    expect(codeOf(await possession.check(signed(request, BEARER_COMPONENTS, privateKey)))).toBe('accepted');
    expect(codeOf(await possession.check(request))).toBe('ERR_POSSESSION');
    expect(codeOf(await possession.check(signed(request, BEARER_COMPONENTS, enclave(local.maa).privateKey)))).toBe('ERR_POSSESSION');
  });

  it('refuses a request whose body may follow unseen, and accepts one known to have none', async () => {
    const { privateKey, token } = enclave(local.maa);
    const possession = gate({ possession: { authority: AUTHORITY } });
    const request = signed(plain({ authorization: `Bearer ${token}` }, { method: 'POST' }), BEARER_COMPONENTS, privateKey);
    expect(codeOf(await possession.check(request))).toBe('accepted');
    expect(codeOf(await possession.check({ ...request, bodyMayFollow: true }))).toBe('ERR_POSSESSION');
    // An adapter that forgets to say is read as "a body may follow": fail closed.
    expect(codeOf(await possession.check({ ...request, bodyMayFollow: undefined as unknown as boolean }))).toBe('ERR_POSSESSION');
    // A captured body must be covered by content-digest.
    expect(codeOf(await possession.check({ ...request, body: Buffer.from('{"pay":1}'), bodyMayFollow: true }))).toBe('ERR_POSSESSION');
  });

  it('a failing nonce store is 503 with Retry-After (not the client at fault); a signature without a nonce needs no store', async () => {
    const { privateKey, token } = enclave(local.maa);
    const nonceStore = { once: () => Promise.reject(new Error('redis down')) };
    const possession = gate({ possession: { authority: AUTHORITY, nonceStore } });
    const request = plain({ authorization: `Bearer ${token}` });
    const outcome = await possession.check(signed(request, BEARER_COMPONENTS, privateKey, { nonce: 'n-1' }));
    expect(outcome).toMatchObject({ ok: false, status: 503, problem: { code: 'ERR_REPLAY_STORE_UNAVAILABLE' } });
    expect(outcome.ok === false && outcome.headers['retry-after']).toBeTruthy();
    expect(codeOf(await possession.check(signed(request, BEARER_COMPONENTS, privateKey)))).toBe('accepted');
  });

  it('answers a missing or malformed presentation synchronously, possession or not', () => {
    const possession = gate({ possession: { authority: AUTHORITY } });
    expect(possession.checkSync(plain({}))).toMatchObject({ ok: false, error: { code: 'ERR_TOKEN_MISSING' } });
    expect(possession.checkSync(plain({ authorization: 'Bearer a b' }))).toMatchObject({
      ok: false,
      error: { code: 'ERR_REQUEST_INVALID' },
    });
    expect(possession.checkSync(plain({ authorization: `Bearer ${local.maa.mint()}` }))).toBeUndefined();
  });

  it('uses the configured authority, not the one the request names', async () => {
    const { privateKey, token } = enclave(local.maa);
    const request = signed(plain({ authorization: `Bearer ${token}` }, { authority: 'other.example' }), BEARER_COMPONENTS, privateKey);
    expect(codeOf(await gate({ possession: { authority: AUTHORITY } }).check(request))).toBe('ERR_POSSESSION');
    expect(codeOf(await gate({ possession: {} }).check(request))).toBe('accepted');
  });
});

describe('binding and single use through the gate', () => {
  it('consumes the challenge nonce and the jti once', async () => {
    const challenges = createChallengeStore();
    const { nonce } = await challenges.issue();
    const bound = gate({ binding: { challenges }, singleUse: createMemoryReplayStore() });
    const request = plain({ authorization: `Bearer ${enclave(local.maa, { nonce }).token}` });
    expect(codeOf(await bound.check(request))).toBe('accepted');
    expect(codeOf(await bound.check(request))).toBe('ERR_REPLAY');
  });
});
