/**
 * The built `attestation-gate` binary as a user runs it: a child process of `node dist/cli/main.js`.
 * What the in-process tests cannot see is checked here: the shebang entry point runs under plain Node,
 * exit codes reach the shell, output is flushed before exit, and open sockets do not keep it alive.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAttestationService, type TestAttestationService } from '../../src/testing/index.js';
import { fixtureText } from '../helpers/fixtures.js';
import { entry, fixturePath, insideWindowIso } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = 'dist/cli/main.js';
const SGX = entry('cpp-sgx-shared-wus-2022.jwt');

let buildProblem = '';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBinary(args: string[], stdin?: string, nodeOptions: string[] = []): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeOptions, MAIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

function requireBuild(ctx: { skip: (note: string) => never }): void {
  if (!existsSync(join(ROOT, MAIN))) ctx.skip(`${MAIN} was not built: ${buildProblem || 'unknown reason'}`);
}

describe('the built binary', () => {
  beforeAll(async () => {
    try {
      await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
    } catch (error) {
      // tsc still emits on type errors elsewhere in src/; only a missing main.js makes these tests moot.
      const { stdout, message } = error as { stdout?: string; message: string };
      buildProblem = `npx tsc -p tsconfig.build.json failed: ${stdout || message}`.slice(0, 2000);
    }
  }, 60_000);

  it('starts with the shebang npm needs to link it as a command', (ctx) => {
    requireBuild(ctx);
    expect(readFileSync(join(ROOT, MAIN), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('inspect <fixture path>: exit 0, the explanation on stdout', async (ctx) => {
    requireBuild(ctx);
    const { code, stdout, stderr } = await runBinary(['inspect', fixturePath(SGX.token), '--at', insideWindowIso(SGX)]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('SIGNATURE NOT VERIFIED');
    expect(stdout).toMatch(/x-ms-sgx-mrenclave\s+\S+\s+enclave measurement/);
    expect(stdout).toContain('What a verifier would check');
  });

  it('inspect - reads stdin; --json is valid JSON', async (ctx) => {
    requireBuild(ctx);
    const { code, stdout } = await runBinary(['inspect', '-', '--json'], `${fixtureText(SGX.token)}\n`);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ decoded: true, signatureVerified: false, issuer: SGX.issuer });
  });

  it('--help: exit 0', async (ctx) => {
    requireBuild(ctx);
    const { code, stdout } = await runBinary(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage:');
  });

  it('a usage error: exit 2, no stack trace', async (ctx) => {
    requireBuild(ctx);
    const { code, stdout, stderr } = await runBinary(['verify', fixturePath(SGX.token)]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('--issuer');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('verify with a pinned JWKS: exit 0 inside the window, 1 outside', async (ctx) => {
    requireBuild(ctx);
    const base = ['verify', fixturePath(SGX.token), '--issuer', SGX.issuer, '--jwks', fixturePath(SGX.certs!)];
    const accepted = await runBinary([...base, '--at', insideWindowIso(SGX)]);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain('ACCEPTED');
    const refused = await runBinary([...base, '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ accepted: false, code: 'ERR_TOKEN_EXPIRED' });
  });

  describe('against a local MAA instance', () => {
    let maa: TestAttestationService;
    beforeAll(async () => {
      maa = await createTestAttestationService();
    });
    afterAll(async () => {
      await maa.close();
    });

    it('verify with a URL issuer fetches the keys, accepts, and exits promptly', async (ctx) => {
      requireBuild(ctx);
      const started = Date.now();
      const { code, stdout, stderr } = await runBinary(['verify', maa.mint(), '--issuer', maa.issuer, '--allow-insecure-loopback']);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toContain('ACCEPTED');
      // The key fetch's keep-alive socket must not hold the process open (undici keeps idle sockets 10 s).
      expect(Date.now() - started).toBeLessThan(8_000);
    });
  });
  describe('bounded reads (heap capped at 64 MB)', () => {
    /** Runs the binary, writing to its stdin until it stops reading (at most 300 MB); counts what it took. */
    function runWithEndlessStdin(args: string[]): Promise<Outcome & { fed: number }> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--max-old-space-size=64', MAIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        let fed = 0;
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const limit = 300 * 1024 * 1024;
        const feed = (): void => {
          while (fed < limit && !child.stdin.destroyed) {
            fed += chunk.length;
            if (!child.stdin.write(chunk)) return void child.stdin.once('drain', feed);
          }
          child.stdin.end();
        };
        child.stdin.on('error', () => undefined); // EPIPE once the child stops reading: the point of the test
        child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
        child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr, fed }));
        feed();
      });
    }

    it('inspect - on an endless pipe stops reading at the bound', async (ctx) => {
      requireBuild(ctx);
      const started = Date.now();
      const { code, stderr, fed } = await runWithEndlessStdin(['inspect', '-']);
      expect(code).toBe(1);
      expect(stderr).toContain('ERR_TOKEN_TOO_LARGE');
      // The pipe buffers a few chunks ahead; nothing like the 300 MB on offer was taken.
      expect(fed).toBeLessThan(16 * 1024 * 1024);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it.for(['inspect', 'verify'])('%s /dev/zero ends promptly', async (command, ctx) => {
      requireBuild(ctx);
      const extra = command === 'verify' ? ['--issuer', 'https://a.attest.azure.net'] : [];
      const { code, stdout, stderr } = await runBinary([command, '/dev/zero', ...extra], undefined, ['--max-old-space-size=64']);
      expect(code).toBe(1);
      expect(`${stdout}${stderr}`).toContain('ERR_TOKEN_TOO_LARGE');
    });
  });
});
