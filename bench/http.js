// HTTP throughput with autocannon against a local Express app on loopback, in one interleaved run.
import { fork } from 'node:child_process';
import autocannon from 'autocannon';
import { DEFAULT_MRSIGNER } from 'attestation-gate/testing';
import { median } from './harness.js';

export const OPEN = 'open route (no gate)';
export const NOOP = 'open route behind a no-op middleware';

function load(url, tokens, seconds) {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: 16,
        duration: seconds,
        requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` } }) }],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

export async function http(maa, { tokens, rounds, seconds }) {
  const server = fork(new URL('./http-server.js', import.meta.url), {
    env: {
      ...process.env,
      BENCH_SERVER: JSON.stringify({ issuer: maa.issuer, jwks: maa.publicJwks(), mrsigner: DEFAULT_MRSIGNER, jwk: maa.publicKey().export({ format: 'jwk' }), kid: maa.activeKid }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await new Promise((resolve, reject) => {
    server.once('message', resolve);
    server.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const repeated = [tokens[0]];
  const scenarios = [
    [OPEN, '/open', repeated],
    [NOOP, '/noop', repeated],
    ['attestation-gate, repeated token', '/gate', repeated],
    ['attestation-gate, new tokens', '/gate-uncached', tokens],
    ['jose gate, repeated token', '/jose', repeated],
    ['jose gate, new tokens', '/jose', tokens],
  ];
  const samples = new Map(scenarios.map(([name]) => [name, []]));
  try {
    // One short warm-up pass per route (JIT, connection pools), not recorded.
    for (const [, path, list] of scenarios) await load(base + path, list, 1);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < scenarios.length; i++) {
        const [name, path, list] = scenarios[(round + i) % scenarios.length];
        const result = await load(base + path, list, seconds);
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
        samples.get(name).push({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 });
      }
    }
  } finally {
    server.send('stop');
  }
  return new Map(
    [...samples].map(([name, list]) => [name, { rps: median(list.map((s) => s.rps)), p50: median(list.map((s) => s.p50)), p99: median(list.map((s) => s.p99)) }]),
  );
}
