// The relying-party server of server.js, on Koa (2 or 3). Runnable as it is:
//   node samples/koa.js                          → with an embedded local MAA instance (prints a token to try)
//   MAA_ISSUER=https://<name>.<region>.attest.azure.net MRSIGNER=<hex> node samples/koa.js
import Koa from 'koa';
import { koaAttestation } from 'attestation-gate/koa';
import { announce, isMain, trust } from './trust.js';

/** /secrets for production enclaves of one signer; /admin for the same signer at a higher security version. */
export function createApp({ verifier, mrsigner, minSvn = 1, adminSvn = 5, onRefusal }) {
  const app = new Koa();
  const routes = {
    '/secrets': [
      koaAttestation({ verifier, policy: { mrsigner: [mrsigner], minSvn }, onRefusal }),
      (ctx) => {
        const { sgx } = ctx.state.attestation;
        ctx.body = { secret: 'the launch codes', for: { mrenclave: sgx.mrenclave, svn: sgx.svn } };
      },
    ],
    '/admin': [
      koaAttestation({ verifier, policy: { mrsigner: [mrsigner], minSvn: adminSvn }, onRefusal }),
      (ctx) => {
        ctx.body = { admin: true };
      },
    ],
  };
  // A router (@koa/router) would do this; two routes do not need one.
  app.use(async (ctx, next) => {
    const route = Object.hasOwn(routes, ctx.path) ? routes[ctx.path] : undefined;
    if (route === undefined || ctx.method !== 'GET') return next();
    const [gate, handler] = route;
    await gate(ctx, () => handler(ctx));
  });
  return app;
}

async function main() {
  const { verifier, mrsigner, maa, issuer } = await trust();
  const app = createApp({
    verifier,
    mrsigner,
    onRefusal: (error, ctx) => console.error(`refused ${ctx.method} ${ctx.url}: ${error.code} ${error.message}`),
  });
  const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
    const url = `http://127.0.0.1:${server.address().port}`;
    announce({ framework: 'Koa', url, issuer, maa, close: () => new Promise((resolve) => server.close(resolve)) });
  });
}

if (isMain(import.meta.url)) {
  await main();
}
