// HTTP throughput with autocannon against a local Express app on loopback, in one interleaved run. The
// server runs in its own process; per batch it reports its CPU time, so each row also gets the server's
// CPU per request (a figure that drifts less than req/s on a shared machine).
import { fork } from 'node:child_process';
import autocannon from 'autocannon';
import { DEFAULT_MRSIGNER } from 'attestation-gate/testing';
import { gateMicros } from './gate-profile.js';
import { median } from './harness.js';

export const OPEN = 'open route (no gate)';
export const NOOP = 'open route behind a no-op middleware';
export const GATE_REPEATED = 'attestation-gate, repeated token';
export const GATE_NEW = 'attestation-gate, new tokens';
export const JOSE_REPEATED = 'jose gate, repeated token';
export const JOSE_NEW = 'jose gate, new tokens';

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

/**
 * One autocannon batch. Latencies are taken from its per-response event, in fractional milliseconds
 * (its own histogram rounds to whole ones, too coarse for 1–2 ms answers).
 */
function load(url, tokens, seconds) {
  let next = 0;
  const latencies = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: 16,
        duration: seconds,
        requests: [
          {
            setupRequest: (request) => ({
              ...request,
              headers: { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` },
            }),
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        latencies.sort((a, b) => a - b);
        resolve({ ...result, p50: percentile(latencies, 50), p99: percentile(latencies, 99) });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
}

/** Asks the server something and waits for its one answer. */
function ask(server, message) {
  return new Promise((resolve) => {
    server.once('message', resolve);
    server.send(message);
  });
}

async function serverCpu(server) {
  return (await ask(server, 'cpu')).cpuMicros;
}

/**
 * Per scenario: `rps`, `p50`, `p99`, `cpuMicrosPerRequest` medians, and `samples` (one per round, in
 * round order); and `gateProfile`, the gate's own time per repeated-token request in a CPU profile.
 */
export async function http(maa, { tokens, rounds, seconds }) {
  const server = fork(new URL('./http-server.js', import.meta.url), {
    env: {
      ...process.env,
      BENCH_SERVER: JSON.stringify({
        issuer: maa.issuer,
        jwks: maa.publicJwks(),
        mrsigner: DEFAULT_MRSIGNER,
        jwk: maa.publicKey().export({ format: 'jwk' }),
        kid: maa.activeKid,
      }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await new Promise((resolve, reject) => {
    server.once('message', resolve);
    server.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const repeated = [tokens[0]];
  // New tokens for ours and jose's side by side in the rotation, so each pair is measured moments apart.
  const scenarios = [
    [OPEN, '/open', repeated],
    [GATE_NEW, '/gate-uncached', tokens],
    [JOSE_NEW, '/jose', tokens],
    [GATE_REPEATED, '/gate', repeated],
    [JOSE_REPEATED, '/jose', repeated],
    [NOOP, '/noop', repeated],
  ];
  const samples = new Map(scenarios.map(([name]) => [name, []]));
  let gateProfile;
  try {
    // One short warm-up pass per route (JIT, connection pools), not recorded.
    for (const [, path, list] of scenarios) await load(base + path, list, 1);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < scenarios.length; i++) {
        const [name, path, list] = scenarios[(round + i) % scenarios.length];
        const cpuBefore = await serverCpu(server);
        const result = await load(base + path, list, seconds);
        const cpuMicros = (await serverCpu(server)) - cpuBefore;
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
        samples.get(name)[round] = {
          rps: result.requests.average,
          p50: result.p50,
          p99: result.p99,
          cpuMicrosPerRequest: cpuMicros / result.requests.total,
        };
      }
    }
    // Then one profiled batch of the repeated token: the gate's own time per request, from the profile.
    await ask(server, 'profile');
    const profiled = await load(base + '/gate', repeated, seconds);
    const { profile } = await ask(server, 'profile-stop');
    gateProfile = { requests: profiled.requests.total, microsPerRequest: gateMicros(profile) / profiled.requests.total };
  } finally {
    server.send('stop');
  }
  const medianOf = (list, field) => median(list.map((s) => s[field]));
  const rows = new Map(
    [...samples].map(([name, list]) => [
      name,
      {
        rps: medianOf(list, 'rps'),
        p50: medianOf(list, 'p50'),
        p99: medianOf(list, 'p99'),
        cpuMicrosPerRequest: medianOf(list, 'cpuMicrosPerRequest'),
        samples: list,
      },
    ]),
  );
  return { rows, gateProfile };
}
