// A CommonJS Jest 30 project, the way integration tests are often written: Jest loads packages through
// its own module system, which cannot require an ES module, so this runs on the package's CommonJS build.
const { AttestationError, createVerifier, requireAttestation } = require('attestation-gate');
const { createTestAttestationService, DEFAULT_MRSIGNER } = require('attestation-gate/testing');
const client = require('attestation-gate/client');

let maa;
beforeAll(async () => {
  maa = await createTestAttestationService();
});
afterAll(() => maa.close());

test('Jest loads the CommonJS build', () => {
  expect(require.resolve('attestation-gate')).toMatch(/dist[\\/]cjs[\\/]index\.js$/);
});

test('the testing kit mints and the verifier verifies', async () => {
  const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
  const attestation = await verifier.verify(maa.mint({ 'x-ms-sgx-svn': 7 }));
  expect(attestation.sgx.svn).toBe(7);
  expect(typeof requireAttestation({ verifier, policy: { mrsigner: [DEFAULT_MRSIGNER], minSvn: 1 } })).toBe('function');
});

test('refusals carry stable codes and one AttestationError class across entry points', async () => {
  const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
  const refusal = await verifier.verify(maa.mint({}, { iat: new Date(Date.now() - 86_400_000), lifetimeSeconds: 60 })).catch((error) => error);
  expect(refusal).toBeInstanceOf(AttestationError);
  expect(refusal).toBeInstanceOf(client.AttestationError);
  expect(refusal.code).toBe('ERR_TOKEN_EXPIRED');
});
