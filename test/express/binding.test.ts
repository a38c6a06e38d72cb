import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/client/index.js';
import { createChallengeStore, createMemoryReplayStore, requireAttestation, type ChallengeStore } from '../../src/index.js';
import { DEFAULT_MRSIGNER } from '../../src/testing/index.js';
import { enclave, useLocalMaa } from '../gate/helpers.js';

const local = useLocalMaa();
const policy = { mrsigner: [DEFAULT_MRSIGNER] };

let origin = 'http://127.0.0.1';

/** Headers for a request signed as the client helper would sign it, for the server under test. */
function signed(method: string, path: string, token: string, privateKey: import('node:crypto').KeyObject, body?: string) {
  return signRequest({ method, url: `${origin}${path}`, privateKey, token, ...(body === undefined ? {} : { body }) });
}

describe('requireAttestation with binding (challenge nonces)', () => {
  let challenges: ChallengeStore;
  let app: express.Express;
  beforeAll(() => {
    challenges = createChallengeStore();
    app = express();
    app.get('/bound', requireAttestation({ verifier: local.verifier, policy, binding: { challenges } }), (_req, res) => {
      res.json({ ok: true });
    });
  });

  it('accepts a token bound to an issued nonce once, then answers 401 ERR_REPLAY', async () => {
    const { nonce } = await challenges.issue();
    const { token } = enclave(local.maa, { nonce });
    expect((await request(app).get('/bound').set('authorization', `Bearer ${token}`)).status).toBe(200);
    const again = await request(app).get('/bound').set('authorization', `Bearer ${token}`);
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('ERR_REPLAY');
    expect(again.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('answers 401 ERR_BINDING_MISMATCH for a nonce never issued, and for a token without one', async () => {
    const foreign = await request(app)
      .get('/bound')
      .set('authorization', `Bearer ${enclave(local.maa, { nonce: Buffer.alloc(32, 9).toString('base64url') }).token}`);
    expect(foreign.body.code).toBe('ERR_BINDING_MISMATCH');
    const unbound = await request(app).get('/bound').set('authorization', `Bearer ${local.maa.mint()}`);
    expect(unbound.body.code).toBe('ERR_BINDING_MISMATCH');
  });
});

describe('requireAttestation with singleUse', () => {
  it('accepts each token once', async () => {
    const app = express();
    app.get('/once', requireAttestation({ verifier: local.verifier, policy, singleUse: createMemoryReplayStore() }), (_req, res) => {
      res.json({ ok: true });
    });
    const token = local.maa.mint();
    expect((await request(app).get('/once').set('authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await request(app).get('/once').set('authorization', `Bearer ${token}`)).body.code).toBe('ERR_REPLAY');
  });
});

describe('requireAttestation with possession (RFC 9421 request signatures)', () => {
  const app = express();
  let server: import('node:http').Server;
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeAll(async () => {
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    origin = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
    app.get('/data', requireAttestation({ verifier: local.verifier, policy, possession: {} }), (_req, res) => {
      res.json({ ok: true });
    });
    app.post(
      '/data',
      express.raw({ type: '*/*' }),
      requireAttestation({ verifier: local.verifier, policy, possession: {} }),
      (_req, res) => {
        res.json({ ok: true });
      },
    );
    app.post('/unparsed', requireAttestation({ verifier: local.verifier, policy, possession: {} }), (_req, res) => {
      res.json({ ok: true });
    });
  });

  it('accepts a request signed with the enclave key, repeatedly (cached token)', async () => {
    const { token, privateKey } = enclave(local.maa);
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await request(server)
            .get('/data?x=1')
            .set(signed('GET', '/data?x=1', token, privateKey))
        ).status,
      ).toBe(200);
    }
  });

  it('accepts a signed body and refuses a tampered one', async () => {
    const { token, privateKey } = enclave(local.maa);
    const headers = signed('POST', '/data', token, privateKey, '{"a":1}');
    expect((await request(server).post('/data').set(headers).send('{"a":1}')).status).toBe(200);
    const tampered = await request(server).post('/data').set(headers).send('{"a":2}');
    expect(tampered.status).toBe(401);
    expect(tampered.body.code).toBe('ERR_POSSESSION');
  });

  it('refuses a stolen token signed with another key, and the token alone', async () => {
    const { token } = enclave(local.maa);
    const thief = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(
      (
        await request(server)
          .get('/data')
          .set(signed('GET', '/data', token, thief))
      ).body.code,
    ).toBe('ERR_POSSESSION');
    expect((await request(server).get('/data').set('authorization', `Bearer ${token}`)).body.code).toBe('ERR_POSSESSION');
  });

  it('refuses a signature made for another path or another token', async () => {
    const { token, privateKey } = enclave(local.maa);
    expect(
      (
        await request(server)
          .get('/data')
          .set(signed('GET', '/other', token, privateKey))
      ).body.code,
    ).toBe('ERR_POSSESSION');
    const other = enclave(local.maa);
    const borrowed = { ...signed('GET', '/data', other.token, privateKey), authorization: `Bearer ${token}` };
    expect((await request(server).get('/data').set(borrowed)).body.code).toBe('ERR_POSSESSION');
  });

  it('refuses when the attestation carries no enclave key', async () => {
    const token = local.maa.mint();
    const headers = signed('GET', '/data', token, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    const response = await request(server).get('/data').set(headers);
    expect(response.body.code).toBe('ERR_POSSESSION');
  });

  it('with a configured authority, refuses a request signed for another service', async () => {
    const pinned = express();
    pinned.get('/data', requireAttestation({ verifier: local.verifier, policy, possession: { authority: 'rp.example' } }), (_req, res) => {
      res.json({ ok: true });
    });
    const { token, privateKey } = enclave(local.maa);
    // Signed for the host the request is sent to, which is not the service's configured authority.
    const response = await request(pinned)
      .get('/data')
      .set(signed('GET', '/data', token, privateKey));
    expect(response.body.code).toBe('ERR_POSSESSION');
    const forUs = signRequest({ method: 'GET', url: 'http://rp.example/data', privateKey, token });
    expect((await request(pinned).get('/data').set(forUs)).status).toBe(200);
  });

  it('refuses a misconfigured possession option at construction, not per request', () => {
    expect(() => requireAttestation({ verifier: local.verifier, policy, possession: { requireNonce: true } })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
    expect(() => requireAttestation({ verifier: local.verifier, policy, possession: { maxAgeSeconds: -1 } })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
    expect(() => requireAttestation({ verifier: local.verifier, policy, possession: { authority: '' } })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });

  it('refuses a request whose body the gate cannot see, instead of skipping the digest', async () => {
    const { token, privateKey } = enclave(local.maa);
    const response = await request(server)
      .post('/unparsed')
      .set(signed('POST', '/unparsed', token, privateKey, 'x'))
      .send('x');
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('ERR_POSSESSION');
  });
});
