// An integration test of a relying-party app, as a user would write it: the local MAA instance from
// attestation-gate/testing mints real, signed tokens; supertest drives the app.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from 'attestation-gate';
import { createTestAttestationService, DEFAULT_MRSIGNER } from 'attestation-gate/testing';
import { createApp } from './server.js';

let maa;
let app;

beforeAll(async () => {
  maa = await createTestAttestationService();
  const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
  app = createApp({ verifier, mrsigner: DEFAULT_MRSIGNER });
});
afterAll(() => maa.close());

describe('the relying-party sample app', () => {
  it('serves secrets to a production enclave of the trusted signer', async () => {
    const response = await request(app).get('/secrets').set('authorization', `Bearer ${maa.mint()}`);
    expect(response.status).toBe(200);
    expect(response.body.secret).toBeDefined();
  });

  it('refuses a debug enclave and another signer with 403', async () => {
    const debug = await request(app)
      .get('/secrets')
      .set('authorization', `Bearer ${maa.mint({ 'x-ms-sgx-is-debuggable': true })}`);
    const other = await request(app)
      .get('/secrets')
      .set('authorization', `Bearer ${maa.mint({ 'x-ms-sgx-mrsigner': 'ab'.repeat(32) })}`);
    expect([debug.status, other.status]).toEqual([403, 403]);
  });

  it('keeps /admin for enclaves at SVN 5 or later', async () => {
    expect((await request(app).get('/admin').set('authorization', `Bearer ${maa.mint()}`)).status).toBe(403);
    expect(
      (
        await request(app)
          .get('/admin')
          .set('authorization', `Bearer ${maa.mint({ 'x-ms-sgx-svn': 5 })}`)
      ).status,
    ).toBe(200);
  });

  it('asks for a token when none is sent', async () => {
    const response = await request(app).get('/secrets');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="attestation"');
  });
});
