// Microsoft's own client against the local MAA instance, end to end: the relying party issues a
// challenge; the "enclave" builds a quote whose report data binds runtime data (the nonce and its public
// key); @azure/attestation's AttestationClient sends quote and runtime data to the local instance's
// /attest/SgxEnclave, exactly as it would to a real MAA instance, and gets the token back; the relying
// party's middleware accepts it once, bound to the challenge, and only with requests signed by the
// enclave's key. Runnable as it is: `node samples/azure-sdk.js`.
//
// The local instance does not check the quote's signature or Intel's collateral: a test enclave is
// trusted by construction. Everything after the quote (the API, the token, the relying party) is real.
import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import { AttestationClient } from '@azure/attestation';
import { challengeHandler, createChallengeStore, createVerifier, getAttestation, requireAttestation } from 'attestation-gate';
import { createAttestedFetch } from 'attestation-gate/client';
import { createBindingRuntimeData, createSgxQuote, createTestAttestationService } from 'attestation-gate/testing';
import { isMain } from './trust.js';

/** The enclave under test: who signed it, what it measures, its product and security version. */
const ENCLAVE = {
  mrsigner: '3c7ecf9a2a1b4e7f6c30e4ed2d41d7a8c5c7b1a4d1f96c9b1d7e0f5a6b2c8d90',
  mrenclave: '9b2f0c5d4e6a7b8c1d2e3f405162738495a6b7c8d9e0f1021324354657687980',
  productId: 4,
  svn: 3,
};

/** The relying party: /challenge issues nonces; /session needs a fresh token bound to one, and a signed request. */
export function createRelyingParty({ verifier, challenges, onRefusal }) {
  const policy = { mrsigner: [ENCLAVE.mrsigner], productId: ENCLAVE.productId, minSvn: ENCLAVE.svn };
  const app = express();
  app.get('/challenge', challengeHandler(challenges));
  // The raw body is captured before the gate: its Content-Digest is part of what the client signs.
  app.post(
    '/session',
    express.raw({ type: '*/*' }),
    requireAttestation({ verifier, policy, binding: { challenges }, possession: {}, onRefusal }),
    (req, res) => {
      const { sgx } = getAttestation(req);
      res.json({ session: 'opened', mrenclave: sgx.mrenclave, svn: sgx.svn });
    },
  );
  return app;
}

/**
 * What runs in the enclave: a key pair that never leaves it, and a quote whose report data is SHA-256 of
 * the runtime data (the relying party's nonce and the public key).
 */
export function enclave(nonce) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const runtimeData = createBindingRuntimeData({ nonce, publicKey });
  return { privateKey, runtimeData, quote: createSgxQuote({ ...ENCLAVE, runtimeData }) };
}

async function main() {
  const maa = await createTestAttestationService();
  const verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
  const challenges = createChallengeStore({ ttlSeconds: 300 });
  const server = createRelyingParty({ verifier, challenges }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const { nonce } = await (await fetch(`${base}/challenge`)).json();
    const { quote, runtimeData, privateKey } = enclave(nonce);

    // Microsoft's client, unchanged: only the endpoint and plain http differ from production.
    const client = new AttestationClient(maa.issuer, { allowInsecureConnection: true });
    const response = await client.attestSgxEnclave(quote, { runTimeData: runtimeData });
    const token = response.token.serialize();
    console.log(
      `AttestationClient.attestSgxEnclave: token from ${response.body.issuer}, mrsigner ${response.body.mrSigner}, svn ${response.body.svn}`,
    );

    const attested = createAttestedFetch({ token, privateKey });
    const show = async (what, res) => console.log(`${what}: ${res.status} ${JSON.stringify(await res.json())}`);
    await show('relying party, fresh bound token', await attested(`${base}/session`, { method: 'POST', body: '{}' }));
    await show('relying party, the same token again', await attested(`${base}/session`, { method: 'POST', body: '{}' }));
  } finally {
    server.close();
    await maa.close();
  }
}

if (isMain(import.meta.url)) {
  await main();
}
