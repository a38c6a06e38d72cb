// `npm run bench`: measures on this machine and prints markdown tables; writes bench/results.json.
// `npm run bench -- --quick` runs a shorter version (fewer rounds, fewer tokens). Only loopback is used.
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createTestAttestationService } from 'attestation-gate/testing';
import { coldStart } from './cold-start.js';
import { format, formatRatio, median, ratio } from './harness.js';
import { GATE_NEW, GATE_REPEATED, http, JOSE_NEW, NOOP, OPEN } from './http.js';
import {
  baselinesOf,
  IN_FLIGHT,
  inFlightOf,
  inProcess,
  JOSE,
  JOSE_IN_FLIGHT,
  limitInFlightOf,
  limitOf,
  newTokensOf,
  UNCACHED,
} from './in-process.js';
import { mintShapes } from './shapes.js';

const quick = process.argv.includes('--quick');
const settings = quick
  ? { rounds: 3, ms: 150, seconds: 1, tokens: 400, memoryTokens: 20_000 }
  : { rounds: 7, ms: 300, seconds: 3, tokens: 2000, memoryTokens: 200_000 };

function table(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

function memory(tokens) {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./memory.js', import.meta.url), [String(tokens)], { execArgv: ['--expose-gc'] });
    child.once('message', resolve);
    child.once('exit', (code) => code !== 0 && reject(new Error(`memory benchmark exited with ${code}`)));
  });
}

const maa = await createTestAttestationService();
const report = { node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, date: new Date().toISOString(), quick, settings };
try {
  console.error(`minting ${settings.tokens} tokens of each shape…`);
  const shapes = mintShapes(maa, settings.tokens);
  report.tokenBytes = Object.fromEntries([...shapes].map(([shape, list]) => [shape, list[0].length]));

  console.error('in-process…');
  const inProc = await inProcess(maa, { shapes, rounds: settings.rounds, ms: settings.ms });
  const baselines = (name) => baselinesOf(name, [...shapes.keys()]);
  const wall = (name) => inProc.get(name).map((s) => s.opsPerSecond);
  // CPU ratio: the limit's CPU per operation over the contender's, so higher is better like the wall ratio.
  const cpuRatio = (name, limit) =>
    ratio(
      inProc.get(limit).map((s) => s.cpuMicrosPerOp),
      inProc.get(name).map((s) => s.cpuMicrosPerOp),
    );
  report.inProcess = Object.fromEntries(
    [...inProc].map(([name, samples]) => [
      name,
      { opsPerSecond: median(wall(name)), cpuMicrosPerOp: median(samples.map((s) => s.cpuMicrosPerOp)), samples },
    ]),
  );
  console.log(`## In-process verification (median of ${settings.rounds} interleaved rounds; ratios per round: median (lowest–highest))\n`);
  console.log(
    `Token sizes: ${[...shapes].map(([shape, list]) => `${shape} ${format(list[0].length)} B`).join(', ')}. CPU is the process's (every thread, the thread pool's RSA included).`,
  );
  console.log(
    `Each row is compared with the RSA limit on its shape's bytes and with jose run the same way: one at a time (the limit: synchronous crypto.verify), or ${IN_FLIGHT} in flight (the limit: callback crypto.verify, ${IN_FLIGHT} in flight).\n`,
  );
  console.log(
    table(
      ['', 'ops/s', 'CPU µs/op', '× RSA limit (same bytes, same concurrency), wall', '× RSA limit, CPU', '× jose (same concurrency), wall'],
      [...inProc].map(([name, samples]) => [
        name,
        format(median(wall(name))),
        format(median(samples.map((s) => s.cpuMicrosPerOp)), 1),
        formatRatio(ratio(wall(name), wall(baselines(name).limit))),
        formatRatio(cpuRatio(name, baselines(name).limit)),
        formatRatio(ratio(wall(name), wall(baselines(name).jose))),
      ]),
    ),
  );

  console.error('HTTP…');
  const { rows: web, gateProfile } = await http(maa, { tokens: shapes.get('SGX'), rounds: settings.rounds, seconds: settings.seconds });
  const openSamples = web.get(OPEN).samples.map((s) => s.rps);
  const rpsOf = (name) => web.get(name).samples.map((s) => s.rps);
  report.http = Object.fromEntries(web);
  report.gateProfile = gateProfile;
  console.log(`\n## HTTP, autocannon, 16 connections, ${settings.seconds} s per batch (median of ${settings.rounds} interleaved rounds)\n`);
  console.log(
    table(
      ['', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', '× open route (per round)'],
      [...web].map(([name, r]) => [
        name,
        format(r.rps),
        format(r.p50, 2),
        format(r.p99, 2),
        format(r.cpuMicrosPerRequest, 1),
        formatRatio(ratio(rpsOf(name), openSamples)),
      ]),
    ),
  );
  const newVsJose = ratio(rpsOf(GATE_NEW), rpsOf(JOSE_NEW));
  console.log(`\nNew tokens, attestation-gate ÷ jose gate, per round: ${formatRatio(newVsJose)}.`);
  const cpuOf = (name) => web.get(name).samples.map((s) => s.cpuMicrosPerRequest);
  const cpuDifference = median(cpuOf(GATE_REPEATED).map((cpu, round) => cpu - cpuOf(NOOP)[round]));
  const gateCode = gateProfile.microsPerRequest;
  console.log(
    `Gate code per repeated-token request, in a CPU profile of the server (${format(gateProfile.requests)} requests): ${format(gateCode, 2)} µs. ` +
      `Server CPU of the gate route less the no-op route, per round (noisier): ${format(cpuDifference, 1)} µs.`,
  );

  console.error('cold start…');
  const cold = await coldStart(maa, shapes.get('SGX')[0]);
  report.coldStart = cold;
  console.log('\n## Outbound requests\n');
  console.log(
    table(
      ['', 'discovery requests', '/certs requests'],
      [
        [
          `${cold.cold.verifications} concurrent first verifications, cold cache (${cold.cold.accepted} accepted)`,
          cold.cold.discovery,
          cold.cold.certs,
        ],
        [
          `${cold.unknownKids.tokens} tokens with random kids (${cold.unknownKids.refused} refused)`,
          cold.unknownKids.discovery,
          cold.unknownKids.certs,
        ],
      ],
    ),
  );

  console.error(`memory (${settings.memoryTokens} distinct tokens)…`);
  const mem = await memory(settings.memoryTokens);
  report.memory = mem;
  console.log(`\n## Memory after distinct valid tokens (default cache bounds)\n`);
  console.log(
    table(
      ['tokens', 'heap MiB', 'RSS MiB'],
      [
        [0, format(mem.before.heapMiB, 1), format(mem.before.rssMiB, 1)],
        ...mem.checkpoints.map((c) => [c.tokens, format(c.heapMiB, 1), format(c.rssMiB, 1)]),
      ],
    ),
  );
  // Halfway the cache is long full (10 000 entries): from there on the heap must not grow.
  const halfway = mem.checkpoints.find((c) => c.tokens >= settings.memoryTokens / 2).heapMiB;
  const last = mem.checkpoints.at(-1).heapMiB;

  const inProcRatio = (shape) => ratio(wall(newTokensOf(shape)), wall(limitOf(shape)));
  const inFlightRatio = (shape) => ratio(wall(inFlightOf(shape)), wall(limitInFlightOf(shape)));
  const targets = [
    ['new SGX tokens in-process ≥ 0.65 × RSA limit, one at a time', inProcRatio('SGX'), 0.65],
    ['new runtime-data tokens in-process ≥ 0.55 × RSA limit, one at a time', inProcRatio('SGX + runtime data'), 0.55],
    ['new azurevm tokens in-process ≥ 0.55 × RSA limit, one at a time', inProcRatio('azurevm'), 0.55],
    ['new SGX tokens in-process ≥ 4 × jose one at a time', ratio(wall(newTokensOf('SGX')), wall(JOSE)), 4],
    [`(thread pool) new SGX tokens ≥ 0.65 × RSA limit, ${IN_FLIGHT} in flight`, inFlightRatio('SGX'), 0.65],
    [`(thread pool) new runtime-data tokens ≥ 0.55 × RSA limit, ${IN_FLIGHT} in flight`, inFlightRatio('SGX + runtime data'), 0.55],
    [`(thread pool) new azurevm tokens ≥ 0.55 × RSA limit, ${IN_FLIGHT} in flight`, inFlightRatio('azurevm'), 0.55],
    [`(thread pool) new SGX tokens ≥ 4 × jose, ${IN_FLIGHT} in flight`, ratio(wall(inFlightOf('SGX')), wall(JOSE_IN_FLIGHT)), 4],
    ['new tokens over HTTP ≥ 1.1 × jose gate', newVsJose, 1.1],
    ['new tokens over HTTP ≥ 0.6 × open route', ratio(rpsOf(GATE_NEW), openSamples), 0.6],
    ['new tokens over HTTP: p99 ≤ jose gate p99 (ms)', { median: web.get(GATE_NEW).p99 }, web.get(JOSE_NEW).p99, 'max'],
    ['repeated token over HTTP ≥ 0.95 × open route', ratio(rpsOf(GATE_REPEATED), openSamples), 0.95],
    ['gate code per repeated-token request ≤ 2.5 µs (CPU profile)', { median: gateCode }, 2.5, 'max'],
    ['heap flat under distinct tokens: last ÷ halfway checkpoint ≤ 1.1', { median: last / halfway }, 1.1, 'max'],
    ['one discovery and one /certs request on a cold start', { median: cold.cold.discovery + cold.cold.certs }, 2, 'max'],
  ];
  report.targets = targets.map(([name, value, bound, kind]) => ({
    name,
    value,
    bound,
    met: kind === 'max' ? value.median <= bound : value.median >= bound,
  }));
  console.log('\n## Targets\n');
  console.log(
    table(
      ['target', 'measured (per round: median (lowest–highest))', 'met'],
      report.targets.map((t) => [
        t.name,
        t.value.low === undefined ? format(t.value.median, 2) : formatRatio(t.value),
        t.met ? 'yes' : 'no',
      ]),
    ),
  );
  report.extra = {
    cpuRatios: Object.fromEntries([...shapes.keys()].map((shape) => [shape, cpuRatio(newTokensOf(shape), limitOf(shape))])),
    uncachedVsLimit: ratio(wall(UNCACHED), wall(limitOf('SGX'))),
    inFlightVsLimit: Object.fromEntries([...shapes.keys()].map((shape) => [shape, inFlightRatio(shape)])),
    inFlightCpuRatios: Object.fromEntries([...shapes.keys()].map((shape) => [shape, cpuRatio(inFlightOf(shape), limitInFlightOf(shape))])),
  };
} finally {
  await maa.close();
}
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
