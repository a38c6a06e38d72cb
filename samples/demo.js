// `npm run demo`: the sample relying party against an embedded local MAA instance. Sends one request per
// case over real HTTP on loopback and prints what the gate answered, and why (the reason is from the
// server's log; clients only ever see the code).
import { generateKeyPairSync } from 'node:crypto';
import { createChallengeStore, createVerifier } from 'attestation-gate';
import { createAttestedFetch } from 'attestation-gate/client';
import { createTestAttestationService, DEFAULT_MRSIGNER } from 'attestation-gate/testing';
import { attestInEnclave, createBindingApp } from './binding.js';
import { createApp } from './server.js';

const maa = await createTestAttestationService();
const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
await verifier.warmUp();

const reasons = new Map();
const app = createApp({
  verifier,
  mrsigner: DEFAULT_MRSIGNER,
  minSvn: 2,
  onRefusal: (error, req) => {
    const reason = error.decision?.reasons[0]?.message ?? error.message;
    reasons.set(req.headers['x-case'], reason.replace(/"([0-9a-f]{12})[0-9a-f]{52}"/g, '$1…'));
  },
});
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const now = Math.floor(Date.now() / 1000);
const cases = [
  ['allowed enclave (SVN 2)', maa.mint({ 'x-ms-sgx-svn': 2 })],
  ['debug enclave', maa.mint({ 'x-ms-sgx-svn': 2, 'x-ms-sgx-is-debuggable': true })],
  ['wrong MRSIGNER', maa.mint({ 'x-ms-sgx-svn': 2, 'x-ms-sgx-mrsigner': 'ab'.repeat(32) })],
  ['SVN below the minimum', maa.mint({ 'x-ms-sgx-svn': 1 })],
  ['expired token', maa.mint({ 'x-ms-sgx-svn': 2 }, { iat: now - 9 * 3600 })],
  ['forged token', maa.mint({ 'x-ms-sgx-svn': 2 }, { signingKey: attacker })],
  ['unsigned token (alg none)', maa.mint({ 'x-ms-sgx-svn': 2 }, { alg: 'none' })],
  ['no token', undefined],
];

const rows = [];
const bindingReasons = new Map();
const bindingServer = createBindingApp({
  verifier,
  challenges: createChallengeStore(),
  mrsigner: DEFAULT_MRSIGNER,
  onRefusal: (error, req) => bindingReasons.set(req.headers['x-case'], error.message),
}).listen(0, '127.0.0.1');
await new Promise((resolve) => bindingServer.once('listening', resolve));
const bindingBase = `http://127.0.0.1:${bindingServer.address().port}`;

try {
  for (const [name, token] of cases) {
    const headers = { 'x-case': name, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) };
    const response = await fetch(`${base}/secrets`, { headers });
    const body = await response.json();
    rows.push({
      request: `GET /secrets: ${name}`,
      status: response.status,
      code: body.code ?? '',
      reason: response.ok ? `served to mrenclave ${body.for.mrenclave.slice(0, 12)}…, svn ${body.for.svn}` : reasons.get(name),
    });
  }

  // Binding: a challenge nonce in the runtime data, consumed once; every request signed with the enclave's key.
  const { nonce } = await (await fetch(`${bindingBase}/challenge`, { method: 'POST' })).json();
  const { token, privateKey } = attestInEnclave(maa, nonce);
  const enclave = createAttestedFetch({ token, privateKey });
  const thief = createAttestedFetch({ token, privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey });
  const bound = [
    [
      'POST /session: token bound to a fresh challenge',
      () => enclave(`${bindingBase}/session`, { method: 'POST', body: '{}', headers: { 'x-case': 'fresh' } }),
    ],
    [
      'POST /session: the same token replayed',
      () => enclave(`${bindingBase}/session`, { method: 'POST', body: '{}', headers: { 'x-case': 'replayed' } }),
    ],
    ['GET /data: signed with the enclave key', () => enclave(`${bindingBase}/data`, { headers: { 'x-case': 'signed' } })],
    ['GET /data: stolen token, signed with another key', () => thief(`${bindingBase}/data`, { headers: { 'x-case': 'stolen' } })],
  ];
  for (const [name, send] of bound) {
    const response = await send();
    const body = await response.json();
    const key = name.includes('replayed') ? 'replayed' : name.includes('stolen') ? 'stolen' : undefined;
    rows.push({ request: name, status: response.status, code: body.code ?? '', reason: response.ok ? 'served' : bindingReasons.get(key) });
  }
} finally {
  server.close();
  bindingServer.close();
  await maa.close();
}
console.log(`A relying party trusting ${maa.issuer} for enclaves signed by ${DEFAULT_MRSIGNER.slice(0, 12)}… at SVN ≥ 2:\n`);
console.table(rows);
console.log(
  `\nmetadata requests: ${maa.requests.discovery} discovery, ${maa.requests.certs} /certs (fetched once at warm-up, then cached)`,
);
