import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src/diagnostics.js';
import { fetchJson } from '../../src/keys/fetch.js';

const ORIGIN = 'https://example.wus.attest.azure.net';
let agent: MockAgent;
beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
});
afterEach(async () => {
  await agent.close();
});

const options = () => ({ dispatcher: agent, timeoutMs: 500, maxBytes: 1024, issuer: ORIGIN });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { code?: string; message: string }) => `${error.code}: ${error.message}`,
  );

describe('fetchJson: a hardened GET for key metadata', () => {
  it('returns the parsed JSON and asks for an uncompressed JSON body', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: '/certs', method: 'GET', headers: { 'accept-encoding': 'identity', accept: 'application/json' } })
      .reply(200, { keys: [] });
    expect(await fetchJson(`${ORIGIN}/certs`, options())).toEqual({ keys: [] });
  });

  it.each([404, 429, 500, 503])('refuses status %i', async (status) => {
    agent.get(ORIGIN).intercept({ path: '/certs' }).reply(status, '{}');
    expect(await failure(fetchJson(`${ORIGIN}/certs`, options()))).toMatch(new RegExp(`ERR_METADATA_UNAVAILABLE: .*status ${status}`));
  });

  it.each([301, 302, 307, 308])('refuses a %i redirect instead of following it', async (status) => {
    agent
      .get(ORIGIN)
      .intercept({ path: '/certs' })
      .reply(status, '', { headers: { location: 'https://attacker.example/certs' } });
    expect(await failure(fetchJson(`${ORIGIN}/certs`, options()))).toMatch(/ERR_METADATA_UNAVAILABLE: .*redirect/);
  });

  it('refuses a compressed body', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: '/certs' })
      .reply(200, 'xx', { headers: { 'content-encoding': 'gzip' } });
    expect(await failure(fetchJson(`${ORIGIN}/certs`, options()))).toMatch(/compressed/);
  });

  it('refuses a body declared over the cap, and one that is over the cap without declaring it', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: '/a' })
      .reply(200, 'x'.repeat(2000), { headers: { 'content-length': '2000' } });
    expect(await failure(fetchJson(`${ORIGIN}/a`, options()))).toMatch(/declared a body over 1024/);
    agent
      .get(ORIGIN)
      .intercept({ path: '/b' })
      .reply(200, `{"k":"${'x'.repeat(2000)}"}`);
    expect(await failure(fetchJson(`${ORIGIN}/b`, options()))).toMatch(/over 1024 bytes/);
  });

  it('refuses a body that is not JSON', async () => {
    agent.get(ORIGIN).intercept({ path: '/certs' }).reply(200, '<html>');
    expect(await failure(fetchJson(`${ORIGIN}/certs`, options()))).toMatch(/did not answer with JSON/);
  });

  it('gives up at the deadline when the answer is slow', async () => {
    agent.get(ORIGIN).intercept({ path: '/certs' }).reply(200, '{}').delay(3000);
    const started = Date.now();
    expect(await failure(fetchJson(`${ORIGIN}/certs`, options()))).toMatch(/ERR_METADATA_UNAVAILABLE: .*within 500 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('turns a connection error into ERR_METADATA_UNAVAILABLE with the cause', async () => {
    agent.get(ORIGIN).intercept({ path: '/certs' }).replyWithError(new Error('ECONNREFUSED'));
    await expect(fetchJson(`${ORIGIN}/certs`, options())).rejects.toMatchObject({
      code: 'ERR_METADATA_UNAVAILABLE',
      cause: expect.any(Error),
    });
  });

  it('publishes start, end and error diagnostics', async () => {
    const seen: Array<[string, unknown]> = [];
    const listeners = [CHANNELS.fetchStart, CHANNELS.fetchEnd, CHANNELS.fetchError].map((name) => {
      const listener = (message: unknown) => seen.push([name, message]);
      subscribe(name, listener);
      return () => unsubscribe(name, listener);
    });
    agent.get(ORIGIN).intercept({ path: '/ok' }).reply(200, '{}');
    agent.get(ORIGIN).intercept({ path: '/bad' }).reply(500, '');
    await fetchJson(`${ORIGIN}/ok`, options());
    await fetchJson(`${ORIGIN}/bad`, options()).catch(() => undefined);
    listeners.forEach((stop) => stop());
    expect(seen.map(([name]) => name)).toEqual([CHANNELS.fetchStart, CHANNELS.fetchEnd, CHANNELS.fetchStart, CHANNELS.fetchError]);
    expect(seen[1]?.[1]).toMatchObject({ issuer: ORIGIN, url: `${ORIGIN}/ok`, status: 200, bytes: 2 });
  });
});
