// A CommonJS Jest 30 project, the way integration tests are often written: Jest loads packages through
// its own module system, which (before Node 24.9) cannot require an ES module, so this runs on the CommonJS build.
const { AttestationError, createVerifier, requireAttestation } = require('attestation-gate');
const { createTestAttestationService, DEFAULT_MRSIGNER } = require('attestation-gate/testing');
const client = require('attestation-gate/client');
const Fastify = require('fastify');
const { attestationGate } = require('attestation-gate/fastify');

let maa;
beforeAll(async () => {
  maa = await createTestAttestationService();
});
afterAll(() => maa.close());

test('Jest loads one build for every entry point', () => {
  // The CommonJS build where Jest cannot require ES modules; where it can (Node 24.9+), maybe the ES one,
  // but never a mix: a mix would mean two AttestationError classes.
  const inCjs = (name) => /[\\/]dist[\\/]cjs[\\/]/.test(require.resolve(name));
  const builds = ['attestation-gate', 'attestation-gate/testing', 'attestation-gate/client', 'attestation-gate/fastify'].map(inCjs);
  expect(new Set(builds).size).toBe(1);
});

test('the testing kit mints and the verifier verifies', async () => {
  const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
  const attestation = await verifier.verify(maa.mint({ 'x-ms-sgx-svn': 7 }));
  expect(attestation.sgx.svn).toBe(7);
  expect(typeof requireAttestation({ verifier, policy: { mrsigner: [DEFAULT_MRSIGNER], minSvn: 1 } })).toBe('function');
});

test('refusals carry stable codes and one AttestationError class across entry points', async () => {
  const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
  const refusal = await verifier
    .verify(maa.mint({}, { iat: new Date(Date.now() - 86_400_000), lifetimeSeconds: 60 }))
    .catch((error) => error);
  expect(refusal).toBeInstanceOf(AttestationError);
  expect(refusal).toBeInstanceOf(client.AttestationError);
  expect(refusal.code).toBe('ERR_TOKEN_EXPIRED');
});

test('the Fastify plugin gates a route', async () => {
  const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
  const app = Fastify();
  await app.register(attestationGate, { verifier });
  app.get('/data', { onRequest: app.requireAttestation({ policy: { mrsigner: [DEFAULT_MRSIGNER] } }) }, async (request) => ({
    svn: request.attestation.sgx.svn,
  }));
  // Over loopback rather than app.inject: light-my-request requires an ES-only package, which Jest on
  // Node 20 cannot load.
  const origin = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const accepted = await fetch(`${origin}/data`, { headers: { authorization: `Bearer ${maa.mint({ 'x-ms-sgx-svn': 2 })}` } });
    expect(await accepted.json()).toEqual({ svn: 2 });
    const refused = await fetch(`${origin}/data`);
    expect(refused.status).toBe(401);
    expect((await refused.json()).code).toBe('ERR_TOKEN_MISSING');
  } finally {
    await app.close();
  }
});
