// The HTTP benchmark's server, run in its own process so it does not share a core with the load
// generator. Routes: an open one, our gate (with its token cache, and with one too small to hit), and
// the same gate written with jose, as a user would otherwise write it.
import { Session } from 'node:inspector/promises';
import express from 'express';
import * as jose from 'jose';
import { createVerifier, requireAttestation } from 'attestation-gate';

const { issuer, jwks, mrsigner, jwk, kid } = JSON.parse(process.env.BENCH_SERVER);
const issuers = [{ issuer, jwks }];
const policy = { mrsigner: [mrsigner] };
const gate = requireAttestation({ verifier: createVerifier({ issuers, allowInsecureLoopback: true }), policy });
const uncachedGate = requireAttestation({
  verifier: createVerifier({ issuers, allowInsecureLoopback: true, tokenCache: { maxEntries: 64 } }),
  policy,
});

const joseKeys = jose.createLocalJWKSet({ keys: [{ ...jwk, kid }] });
function joseGate(req, res, next) {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (match === null) return res.status(401).end();
  jose.jwtVerify(match[1], joseKeys, { issuer, algorithms: ['RS256'] }).then(
    ({ payload }) =>
      payload['x-ms-sgx-mrsigner'] === mrsigner && payload['x-ms-sgx-is-debuggable'] === false ? next() : res.status(403).end(),
    () => res.status(401).end(),
  );
}

const app = express();
app.set('etag', false);
app.set('x-powered-by', false);
const ok = (_req, res) => res.json({ ok: true });
app.get('/open', ok);
// The same route behind a middleware that does nothing: what one more Express layer costs by itself.
app.get('/noop', (_req, _res, next) => next(), ok);
app.get('/gate', gate, ok);
app.get('/gate-uncached', uncachedGate, ok);
app.get('/jose', joseGate, ok);
const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
// 'cpu' asks for this process's CPU time so far (user + system, µs): the parent takes it before and
// after each batch for the CPU each request cost the server. 'profile' and 'profile-stop' run V8's
// sampling profiler around a batch and send back its profile.
const inspector = new Session();
process.on('message', async (message) => {
  if (message === 'stop') server.close(() => process.exit(0));
  else if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send({ cpuMicros: user + system });
  } else if (message === 'profile') {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.setSamplingInterval', { interval: 50 });
    await inspector.post('Profiler.start');
    process.send({ profiling: true });
  } else if (message === 'profile-stop') {
    const { profile } = await inspector.post('Profiler.stop');
    inspector.disconnect();
    process.send({ profile });
  }
});
