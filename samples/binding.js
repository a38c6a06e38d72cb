// Binding tokens to requests, the whole flow: the relying party issues a challenge; the enclave puts the
// nonce and its public key in the runtime data it sends to MAA; the client presents the token once to
// open a session (the nonce is consumed) and signs every request with the enclave's key (RFC 9421), so
// neither a replayed nor a stolen token gets in. Runnable as it is: `node samples/binding.js` (an
// embedded local MAA instance stands in for the enclave's attestation).
import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import { challengeHandler, createChallengeStore, createVerifier, getAttestation, requireAttestation } from 'attestation-gate';
import { createAttestedFetch } from 'attestation-gate/client';
import { createTestAttestationService, DEFAULT_MRSIGNER, runtimeDataClaims } from 'attestation-gate/testing';
import { isMain } from './trust.js';

/** The relying party: /challenge issues nonces, /session needs a fresh bound token, /data a signed request. */
export function createBindingApp({ verifier, challenges, mrsigner, onRefusal }) {
  const policy = { mrsigner: [mrsigner] };
  const app = express();
  app.post('/challenge', challengeHandler(challenges));
  // The raw body is captured before the gate: its Content-Digest is part of what the client signs.
  app.post(
    '/session',
    express.raw({ type: '*/*' }),
    requireAttestation({ verifier, policy, binding: { challenges }, possession: {}, onRefusal }),
    (req, res) => {
      res.json({ session: 'opened', mrenclave: getAttestation(req).sgx.mrenclave });
    },
  );
  app.get('/data', requireAttestation({ verifier, policy, possession: {}, onRefusal }), (_req, res) => {
    res.json({ data: 'only for the enclave that holds the key' });
  });
  return app;
}

/**
 * What runs in (and next to) the enclave: a key pair that never leaves it, and runtime data carrying
 * the relying party's nonce and the public key. A real enclave sends this runtime data with its quote to
 * MAA; here the local MAA instance mints the token MAA would return.
 */
export function attestInEnclave(maa, nonce) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const runtimeData = JSON.stringify({ nonce, jwk: publicKey.export({ format: 'jwk' }) });
  return { privateKey, token: maa.mint(runtimeDataClaims(runtimeData)) };
}

async function main() {
  const maa = await createTestAttestationService();
  const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
  const challenges = createChallengeStore({ ttlSeconds: 300 });
  const server = createBindingApp({ verifier, challenges, mrsigner: DEFAULT_MRSIGNER }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const { nonce } = await (await fetch(`${base}/challenge`, { method: 'POST' })).json();
    const { token, privateKey } = attestInEnclave(maa, nonce);
    const attested = createAttestedFetch({ token, privateKey });
    const show = async (what, response) => console.log(`${what}: ${response.status} ${JSON.stringify(await response.json())}`);

    await show('open a session with the fresh token', await attested(`${base}/session`, { method: 'POST', body: '{"hello":"rp"}' }));
    await show('signed request', await attested(`${base}/data`));
    await show('the same token replayed to /session', await attested(`${base}/session`, { method: 'POST', body: '{}' }));
    const thief = createAttestedFetch({ token, privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey });
    await show('the token stolen, signed with another key', await thief(`${base}/data`));
    await show('the token alone, unsigned', await fetch(`${base}/data`, { headers: { authorization: `Bearer ${token}` } }));
  } finally {
    server.close();
    await maa.close();
  }
}

if (isMain(import.meta.url)) {
  await main();
}
