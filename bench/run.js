// `npm run bench`: measures on this machine and prints markdown tables; writes bench/results.json.
// `npm run bench -- --quick` runs a shorter version (fewer rounds, fewer tokens). Only loopback is used.
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createTestAttestationService } from 'attestation-gate/testing';
import { coldStart } from './cold-start.js';
import { format } from './harness.js';
import { http, OPEN } from './http.js';
import { inProcess, JOSE, LIMIT } from './in-process.js';

const quick = process.argv.includes('--quick');
const settings = quick
  ? { rounds: 3, ms: 150, seconds: 1, tokens: 400, memoryTokens: 20_000 }
  : { rounds: 7, ms: 300, seconds: 3, tokens: 3000, memoryTokens: 200_000 };

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
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
  console.error(`minting ${settings.tokens} tokens…`);
  const tokens = Array.from({ length: settings.tokens }, () => maa.mint());

  console.error('in-process…');
  const inProc = await inProcess(maa, { tokens, rounds: settings.rounds, ms: settings.ms });
  const limit = inProc.get(LIMIT);
  const jose = inProc.get(JOSE);
  report.inProcess = Object.fromEntries(inProc);
  console.log(`## In-process verification (median of ${settings.rounds} interleaved rounds)\n`);
  console.log(table(['', 'ops/s', '× RSA limit', '× jose'], [...inProc].map(([name, ops]) => [name, format(ops), format(ops / limit, 2), format(ops / jose, 2)])));

  console.error('HTTP…');
  const web = await http(maa, { tokens, rounds: settings.rounds, seconds: settings.seconds });
  const open = web.get(OPEN).rps;
  report.http = Object.fromEntries(web);
  console.log(`\n## HTTP, autocannon, 16 connections, ${settings.seconds} s per batch (median of ${settings.rounds} interleaved rounds)\n`);
  console.log(table(['', 'req/s', 'p50 ms', 'p99 ms', '× open route'], [...web].map(([name, r]) => [name, format(r.rps), format(r.p50, 1), format(r.p99, 1), format(r.rps / open, 2)])));

  console.error('cold start…');
  const cold = await coldStart(maa, tokens[0]);
  report.coldStart = cold;
  console.log('\n## Outbound requests\n');
  console.log(
    table(
      ['', 'discovery requests', '/certs requests'],
      [
        [`${cold.cold.verifications} concurrent first verifications, cold cache (${cold.cold.accepted} accepted)`, cold.cold.discovery, cold.cold.certs],
        [`${cold.unknownKids.tokens} tokens with random kids (${cold.unknownKids.refused} refused)`, cold.unknownKids.discovery, cold.unknownKids.certs],
      ],
    ),
  );

  console.error(`memory (${settings.memoryTokens} distinct tokens)…`);
  const mem = await memory(settings.memoryTokens);
  report.memory = mem;
  console.log(`\n## Memory after distinct valid tokens (default cache bounds)\n`);
  console.log(table(['tokens', 'heap MiB', 'RSS MiB'], [[0, format(mem.before.heapMiB, 1), format(mem.before.rssMiB, 1)], ...mem.checkpoints.map((c) => [c.tokens, format(c.heapMiB, 1), format(c.rssMiB, 1)])]));

  const targets = [
    ['repeated token through the gate ≥ 0.95 × open route', web.get('attestation-gate, repeated token').rps / open, 0.95],
    ['new tokens ≥ 0.65 × RSA limit', inProc.get('attestation-gate verify, new tokens') / limit, 0.65],
    ['new tokens ≥ 3 × jose one at a time', inProc.get('attestation-gate verify, new tokens') / jose, 3],
    ['one discovery and one /certs request on a cold start', cold.cold.discovery + cold.cold.certs, 2, 'max'],
  ];
  report.targets = targets.map(([name, value, bound, kind]) => ({ name, value, bound, met: kind === 'max' ? value <= bound : value >= bound }));
  console.log('\n## Targets\n');
  console.log(table(['target', 'measured', 'met'], report.targets.map((t) => [t.name, format(t.value, 2), t.met ? 'yes' : 'no'])));
} finally {
  await maa.close();
}
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
