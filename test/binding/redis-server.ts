import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { describe } from 'vitest';

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Ends the server (SIGTERM, then SIGKILL after 2 s) and resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

const BINARY = process.env.REDIS_SERVER ?? 'redis-server';
const READY_TIMEOUT_MS = 5_000;

/**
 * Set (to anything but empty or 0) where a skipped Redis test would hide a regression, as `.ci/run` does:
 * then a missing redis-server fails the run instead of skipping.
 */
export const REDIS_REQUIRED = !['', '0', undefined].includes(process.env.REQUIRE_REDIS);

/** Whether the binary can be run at all: `redis-server --version` exits 0. */
export const REDIS_AVAILABLE = spawnSync(BINARY, ['--version'], { stdio: 'ignore', timeout: 5_000 }).status === 0;

/** The one line a run without Redis prints: what was skipped and how to run it. */
export const REDIS_SKIP_NOTICE =
  `Redis tests skipped: ${BINARY} not found. Install it (apt-get install redis-server) or set REDIS_SERVER=/path/to/redis-server; ` +
  'REQUIRE_REDIS=1 makes its absence a failure.';

/**
 * `describe` for tests that need a real redis-server: skipped without one, unless REDIS_REQUIRED, when
 * they run and fail with startRedis's error saying what is missing.
 */
export const describeWithRedis: typeof describe = REDIS_AVAILABLE || REDIS_REQUIRED ? describe : (describe.skip as typeof describe);

/** Whether the Redis tests run; file-level hooks that start a server check it. */
export const REDIS_TESTS_RUN = REDIS_AVAILABLE || REDIS_REQUIRED;

/** A port that was free a moment ago; redis-server gets it by number, so a lost race is retried. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** One raw PING, so readiness does not depend on the client library under test. */
async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('+PONG')));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function attempt(port: number): Promise<RedisServer | 'port-taken'> {
  const child = spawn(
    BINARY,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 25))]);
    if (failed !== undefined) {
      const missing = (failed as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(
        missing
          ? `${BINARY} is not on PATH: the Redis replay-store tests need a real Redis (apt-get install redis-server, or set REDIS_SERVER=/path/to/redis-server). ` +
              'Tests that start one belong in describeWithRedis, which skips them where it is missing.'
          : `could not start ${BINARY}: ${failed.message}`,
      );
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      if (/address already in use/i.test(output)) return 'port-taken';
      throw new Error(`${BINARY} exited before answering PING:\n${output}`);
    }
    if (await ping(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${BINARY} did not answer PING within ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
  }

  let stopping: Promise<void> | undefined;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const gone = exited(child);
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
        await gone;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/**
 * Starts a throwaway redis-server on a free loopback port: no persistence, nothing written to disk.
 * Stop it in afterAll.
 */
export async function startRedis(): Promise<RedisServer> {
  for (let tries = 0; tries < 5; tries += 1) {
    const server = await attempt(await freePort());
    if (server !== 'port-taken') return server;
  }
  throw new Error('could not find a free port for redis-server');
}
