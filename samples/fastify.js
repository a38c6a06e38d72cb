// The relying-party server of server.js, on Fastify 5. Runnable as it is:
//   node samples/fastify.js                      → with an embedded local MAA instance (prints a token to try)
//   MAA_ISSUER=https://<name>.<region>.attest.azure.net MRSIGNER=<hex> node samples/fastify.js
import Fastify from 'fastify';
import attestationGate from 'attestation-gate/fastify';
import { announce, isMain, trust } from './trust.js';

/** /secrets for production enclaves of one signer; /admin for the same signer at a higher security version. */
export async function createApp({ verifier, mrsigner, minSvn = 1, adminSvn = 5, onRefusal }) {
  const app = Fastify();
  await app.register(attestationGate, { verifier, onRefusal });
  app.get('/health', async () => ({
    keys: verifier.keyStatus().map(({ issuer, state, keyIds }) => ({ issuer, state, keys: keyIds.length })),
  }));
  // onRequest: a refused request is answered before its body is even read.
  app.get('/secrets', { onRequest: app.requireAttestation({ policy: { mrsigner: [mrsigner], minSvn } }) }, async (request) => {
    const { sgx } = request.attestation;
    return { secret: 'the launch codes', for: { mrenclave: sgx.mrenclave, svn: sgx.svn } };
  });
  app.get('/admin', { onRequest: app.requireAttestation({ policy: { mrsigner: [mrsigner], minSvn: adminSvn } }) }, async () => ({
    admin: true,
  }));
  return app;
}

async function main() {
  const { verifier, mrsigner, maa, issuer } = await trust();
  const app = await createApp({
    verifier,
    mrsigner,
    onRefusal: (error, request) => request.log.warn(`refused: ${error.code} ${error.message}`),
  });
  const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
  announce({ framework: 'Fastify', url: address, issuer, maa, close: () => app.close() });
}

if (isMain(import.meta.url)) {
  await main();
}
