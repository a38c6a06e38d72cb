// An ES module consumer: the verifier verifies what the testing kit mints, refusals carry stable codes,
// and require() of the package yields the very same classes as import (no dual-package hazard).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { AttestationError, createVerifier, isAttestationError } from 'attestation-gate';
import { createTestAttestationService } from 'attestation-gate/testing';
import * as client from 'attestation-gate/client';
import { createFetchGate } from 'attestation-gate/fetch';
import { DEFAULT_MRSIGNER } from 'attestation-gate/testing';

const require = createRequire(import.meta.url);
assert.equal(require('attestation-gate').AttestationError, AttestationError, 'require and import share one AttestationError');
assert.equal(client.AttestationError, AttestationError, 'the client entry shares the AttestationError class');

const maa = await createTestAttestationService();
try {
  const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
  const attestation = await verifier.verify(maa.mint({ 'x-ms-sgx-svn': 3 }));
  assert.equal(attestation.issuer, maa.issuer);
  assert.equal(attestation.sgx?.svn, 3);
  const refusal = await verifier.verify('not-a-token').catch((error) => error);
  assert.ok(refusal instanceof AttestationError && isAttestationError(refusal));
  assert.equal(refusal.code, 'ERR_TOKEN_MALFORMED');
  const gate = createFetchGate({ verifier, policy: { mrsigner: [DEFAULT_MRSIGNER] } });
  const outcome = await gate(new Request('http://service.example/data', { headers: { authorization: `Bearer ${maa.mint()}` } }));
  assert.equal(outcome.ok, true);
  const refused = await gate(new Request('http://service.example/data'));
  assert.equal(refused.ok === false && refused.response.status, 401);
} finally {
  await maa.close();
}
console.log('esm consumer: ok');
