// A CommonJS consumer on Node: require() of every entry point, the testing kit minting and the verifier
// verifying, and import() of the package yielding the very same classes (no dual-package hazard).
const assert = require('node:assert/strict');
const { AttestationError, createVerifier } = require('attestation-gate');
const { createTestAttestationService } = require('attestation-gate/testing');
const client = require('attestation-gate/client');
require('attestation-gate/augment-express');
const { createFetchGate } = require('attestation-gate/fetch');
const { attestationGate } = require('attestation-gate/fastify');
const { koaAttestation } = require('attestation-gate/koa');

async function main() {
  // Node (>= 20.19) matches "module-sync" for require too: one ES module copy serves both, so no second
  // set of classes and caches exists.
  assert.match(require.resolve('attestation-gate'), /[\\/]dist[\\/]index\.js$/, 'require loads the ES build on Node');
  assert.equal((await import('attestation-gate')).AttestationError, AttestationError, 'import and require share one AttestationError');
  assert.equal(client.AttestationError, AttestationError, 'the client entry shares the AttestationError class');
  const maa = await createTestAttestationService();
  try {
    const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
    const attestation = await verifier.verify(maa.mint({ 'x-ms-sgx-svn': 3 }));
    assert.equal(attestation.sgx.svn, 3);
    assert.equal(typeof attestationGate, 'function');
    assert.equal(typeof koaAttestation({ verifier, policy: { mrsigner: ['00'.repeat(32)] } }), 'function');
    const gate = createFetchGate({ verifier, policy: { mrsigner: [require('attestation-gate/testing').DEFAULT_MRSIGNER] } });
    assert.equal((await gate(new Request('http://service.example/', { headers: { authorization: `Bearer ${maa.mint()}` } }))).ok, true);
    await assert.rejects(
      verifier.verify(maa.mint({}, { iat: new Date(Date.now() - 86_400_000), lifetimeSeconds: 60 })),
      (error) => error instanceof AttestationError && error.code === 'ERR_TOKEN_EXPIRED',
    );
  } finally {
    await maa.close();
  }
  console.log('cjs consumer: ok');
}
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
