// `npm run bench`: prints a markdown table and writes bench/results.json. Only loopback is used.
import { writeFileSync } from 'node:fs';
import { createTestAttestationService } from 'attestation-gate/testing';
import { format } from './harness.js';
import { inProcess } from './in-process.js';

const quick = process.argv.includes('--quick');
const rounds = quick ? 3 : 7;
const ms = quick ? 100 : 250;
const tokenCount = quick ? 200 : 2000;

const maa = await createTestAttestationService();
try {
  const tokens = Array.from({ length: tokenCount }, () => maa.mint());
  const results = await inProcess(maa, { tokens, rounds, ms });
  const limit = results.get('raw crypto.verify RS256 (the limit)');
  const jose = results.get('jose jwtVerify, one at a time');
  const lines = ['| in-process | ops/s (median) | × RSA limit | × jose |', '|---|---:|---:|---:|'];
  for (const [name, opsPerSecond] of results) {
    lines.push(`| ${name} | ${format(opsPerSecond)} | ${format(opsPerSecond / limit, 2)} | ${format(opsPerSecond / jose, 2)} |`);
  }
  console.log(lines.join('\n'));
  writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify({ node: process.version, date: new Date().toISOString(), quick, inProcess: Object.fromEntries(results) }, null, 2)}\n`);
} finally {
  await maa.close();
}
