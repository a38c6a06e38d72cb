import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/cli/run.js';
import { manifest, type ManifestEntry } from '../helpers/fixtures.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process, as main.ts does, with `stdin` as what a pipe would deliver. */
export async function cli(argv: string[], stdin?: string): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  let stdinReads = 0;
  const code = await run(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    stdin: async () => {
      stdinReads++;
      if (stdin === undefined) throw new Error('this test gives the CLI no stdin');
      return stdin;
    },
  });
  // A command that did not ask for `-` must not wait on stdin: an interactive shell would hang.
  if (stdin === undefined && stdinReads > 0) throw new Error('the CLI read stdin unasked');
  return { code, stdout, stderr };
}

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/maa/${name}`, import.meta.url));
}

export function entry(token: string): ManifestEntry {
  const found = manifest.find((e) => e.token === token);
  if (found === undefined) throw new Error(`no manifest entry for ${token}`);
  return found;
}

/** `--at` inside a token's iat..exp window, as ISO 8601. */
export function insideWindowIso(e: { iat: number; exp: number }): string {
  return new Date(((e.iat + e.exp) / 2) * 1000).toISOString();
}

/** Writes `content` to a fresh temporary file and returns its path. */
export function tempFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'attestation-gate-cli-')), name);
  writeFileSync(path, content);
  return path;
}
