// The framework samples tested as users test their apps: the local MAA instance from
// attestation-gate/testing mints real tokens; each framework's own test tooling drives the app.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from 'attestation-gate';
import { createTestAttestationService, DEFAULT_MRSIGNER } from 'attestation-gate/testing';
import * as fastifySample from './fastify.js';
import * as honoSample from './hono.js';
import * as koaSample from './koa.js';

let maa;
let verifier;
beforeAll(async () => {
  maa = await createTestAttestationService();
  verifier = createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true });
});
afterAll(() => maa.close());

/** Each sample app behind the same tiny client: (path, token?) → { status, body, headers }. */
const samples = {
  'Fastify (fastify.js)': async () => {
    const app = await fastifySample.createApp({ verifier, mrsigner: DEFAULT_MRSIGNER });
    return async (path, token) => {
      const response = await app.inject({ url: path, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
      return { status: response.statusCode, body: response.json(), headers: response.headers };
    };
  },
  'Koa (koa.js)': async () => {
    const server = createServer(koaSample.createApp({ verifier, mrsigner: DEFAULT_MRSIGNER }).callback());
    return async (path, token) => {
      const call = request(server).get(path);
      const response = await (token === undefined ? call : call.set('authorization', `Bearer ${token}`));
      return { status: response.status, body: response.body, headers: response.headers };
    };
  },
  'Hono with the Fetch adapter (hono.js)': async () => {
    const app = honoSample.createApp({ verifier, mrsigner: DEFAULT_MRSIGNER });
    return async (path, token) => {
      const response = await app.request(path, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
      return { status: response.status, body: await response.json(), headers: Object.fromEntries(response.headers) };
    };
  },
};

describe.each(Object.entries(samples))('the %s sample', (_name, build) => {
  let get;
  beforeAll(async () => {
    get = await build();
  });

  it('serves secrets to a production enclave of the trusted signer', async () => {
    const response = await get('/secrets', maa.mint({ 'x-ms-sgx-svn': 2 }));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ secret: 'the launch codes', for: { svn: 2 } });
  });

  it('refuses a debug enclave with 403 and asks for a missing token with 401', async () => {
    const debug = await get('/secrets', maa.mint({ 'x-ms-sgx-is-debuggable': true }));
    expect(debug.status).toBe(403);
    expect(debug.body.code).toBe('ERR_POLICY_DENIED');
    const missing = await get('/secrets');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="attestation"');
  });

  it('keeps /admin for enclaves at SVN 5 or later', async () => {
    expect((await get('/admin', maa.mint())).status).toBe(403);
    expect((await get('/admin', maa.mint({ 'x-ms-sgx-svn': 5 }))).body).toEqual({ admin: true });
  });
});

/** Starts a sample as `node samples/<file>` on a free port, waits for its "try:" line, returns what it printed. */
function startSample(file) {
  const child = spawn(process.execPath, [new URL(file, import.meta.url).pathname], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} printed no "try:" line within 15 s:\n${output}`));
    }, 15_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /try: curl -H "Authorization: Bearer ([^"]+)" (\S+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, token: match[1], url: match[2] });
      }
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code}:\n${output}`));
    });
  });
}

describe('the framework samples run as they are (node samples/<file>, the built package)', () => {
  it.each(['fastify.js', 'koa.js', 'hono.js'])('%s serves the token it prints', async (file) => {
    const { child, token, url } = await startSample(file);
    try {
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      expect((await fetch(url)).status).toBe(401);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3_000))]);
      child.kill('SIGKILL');
    }
  });
});
