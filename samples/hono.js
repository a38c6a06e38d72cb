// The relying-party server of server.js, on Hono, through the Fetch adapter (the same gate serves
// Next.js route handlers and any other Request/Response server). Runnable as it is:
//   node samples/hono.js                         → with an embedded local MAA instance (prints a token to try)
//   MAA_ISSUER=https://<name>.<region>.attest.azure.net MRSIGNER=<hex> node samples/hono.js
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createFetchGate } from 'attestation-gate/fetch';
import { announce, isMain, trust } from './trust.js';

/** Hono middleware over a fetch gate: refusals are the gate's ready Response; the attestation goes in c.var. */
export function requireAttestation(options) {
  const gate = createFetchGate(options);
  return async (c, next) => {
    // Under @hono/node-server, Node's socket: a keep-alive client's repeated token is recognised on it.
    const outcome = await gate(c.req.raw, { connection: c.env?.incoming?.socket });
    if (!outcome.ok) return outcome.response;
    c.set('attestation', outcome.attestation);
    await next();
  };
}

/** /secrets for production enclaves of one signer; /admin for the same signer at a higher security version. */
export function createApp({ verifier, mrsigner, minSvn = 1, adminSvn = 5, onRefusal }) {
  const app = new Hono();
  app.get('/secrets', requireAttestation({ verifier, policy: { mrsigner: [mrsigner], minSvn }, onRefusal }), (c) => {
    const { sgx } = c.get('attestation');
    return c.json({ secret: 'the launch codes', for: { mrenclave: sgx.mrenclave, svn: sgx.svn } });
  });
  app.get('/admin', requireAttestation({ verifier, policy: { mrsigner: [mrsigner], minSvn: adminSvn }, onRefusal }), (c) =>
    c.json({ admin: true }),
  );
  return app;
}

async function main() {
  const { verifier, mrsigner, maa, issuer } = await trust();
  const app = createApp({
    verifier,
    mrsigner,
    onRefusal: (error, request) => console.error(`refused ${request.method} ${request.url}: ${error.code} ${error.message}`),
  });
  const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' }, ({ port }) => {
    const url = `http://127.0.0.1:${port}`;
    announce({ framework: 'Hono', url, issuer, maa, close: () => new Promise((resolve) => server.close(resolve)) });
  });
}

if (isMain(import.meta.url)) {
  await main();
}
