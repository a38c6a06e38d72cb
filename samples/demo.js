// The main job, runnable as it is: a local MAA instance mints tokens, the verifier judges them, and a
// table shows what was accepted and why the rest was refused.
import { generateKeyPairSync } from 'node:crypto';
import { AttestationError, createVerifier } from 'attestation-gate';
import { createTestAttestationService } from 'attestation-gate/testing';

const maa = await createTestAttestationService();
const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const eightHoursAgo = Math.floor(Date.now() / 1000) - 9 * 3600;

const cases = [
  ['a production SGX enclave', maa.mint()],
  ['a debug enclave (authentic: the policy decides)', maa.mint({ 'x-ms-sgx-is-debuggable': true })],
  ['an expired token', maa.mint({}, { iat: eightHoursAgo })],
  ['a forged signature naming a genuine key', maa.mint({}, { signingKey: attacker })],
  ['an unsigned token (alg none)', maa.mint({}, { alg: 'none' })],
  ['an untrusted issuer', maa.mint({ iss: 'https://evil.example' }, { header: { jku: undefined } })],
  ['a policy-management response', maa.mint({ 'x-ms-attestation-type': undefined })],
  ['SVN as a string', maa.mint({ 'x-ms-sgx-svn': '3', svn: '3' })],
  ['no token', undefined],
];

const rows = [];
for (const [name, token] of cases) {
  try {
    const result = await verifier.verify(token);
    rows.push({ token: name, outcome: 'accepted', code: '', detail: `mrsigner ${result.sgx.mrsigner.slice(0, 12)}…, svn ${result.sgx.svn}` });
  } catch (error) {
    if (!(error instanceof AttestationError)) throw error;
    rows.push({ token: name, outcome: `refused (${error.status})`, code: error.code, detail: error.message });
  }
}
console.table(rows);
console.log(`metadata requests made: ${maa.requests.discovery} discovery, ${maa.requests.certs} /certs`);
await maa.close();
