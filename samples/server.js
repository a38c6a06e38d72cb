// A relying-party server: routes gated by different attestation policies. Runnable as it is:
//   node samples/server.js                       → with an embedded local MAA instance (prints a token to try)
//   MAA_ISSUER=https://<name>.<region>.attest.azure.net MRSIGNER=<hex> node samples/server.js
import express from 'express';
import { getAttestation, requireAttestation } from 'attestation-gate';
import { announce, isMain, trust } from './trust.js';

/**
 * Builds the app. `policies.enclave` gates /secrets (production enclaves of one signer);
 * `policies.admin` gates /admin (the same signer at a higher security version).
 */
export function createApp({ verifier, mrsigner, minSvn = 1, adminSvn = 5, onRefusal }) {
  const app = express();
  const enclave = requireAttestation({ verifier, policy: { mrsigner: [mrsigner], minSvn }, onRefusal });
  const admin = requireAttestation({ verifier, policy: { mrsigner: [mrsigner], minSvn: adminSvn }, onRefusal });

  app.get('/health', (_req, res) => {
    res.json({ keys: verifier.keyStatus().map(({ issuer, state, keyIds }) => ({ issuer, state, keys: keyIds.length })) });
  });
  app.get('/secrets', enclave, (req, res) => {
    const { sgx } = getAttestation(req);
    res.json({ secret: 'the launch codes', for: { mrenclave: sgx.mrenclave, svn: sgx.svn } });
  });
  app.get('/admin', admin, (_req, res) => {
    res.json({ admin: true });
  });
  return app;
}

async function main() {
  const { verifier, mrsigner, maa, issuer } = await trust();
  const app = createApp({
    verifier,
    mrsigner,
    onRefusal: (error, req) => console.error(`refused ${req.method} ${req.url}: ${error.code} ${error.message}`),
  });
  const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
    const url = `http://127.0.0.1:${server.address().port}`;
    announce({ framework: 'Express', url, issuer, maa, close: () => new Promise((resolve) => server.close(resolve)) });
  });
}

if (isMain(import.meta.url)) {
  await main();
}
