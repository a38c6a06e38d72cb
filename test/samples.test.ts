import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The samples run as users run them: with node, importing the built package by name (npm test builds first).
const run = promisify(execFile);
const root = new URL('..', import.meta.url);

describe('samples run as they are', () => {
  it('npm run demo: prints every case with the expected status and exits 0', async () => {
    const { stdout } = await run(process.execPath, ['samples/demo.js'], { cwd: root, timeout: 30_000 });
    for (const [name, status, code] of [
      ['allowed enclave', 200, ''],
      ['debug enclave', 403, 'ERR_POLICY_DENIED'],
      ['wrong MRSIGNER', 403, 'ERR_POLICY_DENIED'],
      ['SVN below the minimum', 403, 'ERR_POLICY_DENIED'],
      ['expired token', 401, 'ERR_TOKEN_EXPIRED'],
      ['forged token', 401, 'ERR_SIGNATURE_INVALID'],
      ['no token', 401, 'ERR_TOKEN_MISSING'],
      ['token bound to a fresh challenge', 200, ''],
      ['the same token replayed', 401, 'ERR_REPLAY'],
      ['signed with the enclave key', 200, ''],
      ['stolen token, signed with another key', 401, 'ERR_POSSESSION'],
    ] as const) {
      expect(stdout).toMatch(new RegExp(`${name}[^\\n]*│ ${status} +│ '${code}'`));
    }
    expect(stdout).toContain('metadata requests: 1 discovery, 1 /certs');
  });

  it('binding.js runs the whole challenge, attestation and signed-request flow', async () => {
    const { stdout } = await run(process.execPath, ['samples/binding.js'], { cwd: root, timeout: 30_000 });
    expect(stdout).toMatch(/open a session with the fresh token: 200/);
    expect(stdout).toMatch(/signed request: 200/);
    expect(stdout).toMatch(/replayed to \/session: 401 .*ERR_REPLAY/);
    expect(stdout).toMatch(/stolen, signed with another key: 401 .*ERR_POSSESSION/);
    expect(stdout).toMatch(/the token alone, unsigned: 401 .*ERR_POSSESSION/);
  });

  it("azure-sdk.js: Microsoft's AttestationClient attests a built quote locally and the relying party accepts the token once", async () => {
    const { stdout } = await run(process.execPath, ['samples/azure-sdk.js'], { cwd: root, timeout: 30_000 });
    expect(stdout).toMatch(/AttestationClient\.attestSgxEnclave: token from http:\/\/127\.0\.0\.1:\d+, mrsigner 3c7ecf9a\w{56}, svn 3/);
    expect(stdout).toMatch(/relying party, fresh bound token: 200 .*"session":"opened"/);
    expect(stdout).toMatch(/relying party, the same token again: 401 .*ERR_REPLAY/);
  });

  it('verify-token.js verifies a real MAA token offline', async () => {
    const { stdout } = await run(process.execPath, ['samples/verify-token.js'], { cwd: root, timeout: 30_000 });
    expect(stdout).toContain('accepted: sgx token from https://sharedwus.wus.attest.azure.net');
    expect(stdout).toContain('292a1f4b519e46627eb2478a3d9851405653c5b4b0a6925de843834d9216850e');
  });

  it('verify-token.js refuses a junk token with exit code 1', async () => {
    const failure = await run(process.execPath, ['samples/verify-token.js', 'junk', 'https://sharedwus.wus.attest.azure.net'], {
      cwd: root,
      timeout: 30_000,
    }).catch((error: { code: number; stdout: string }) => error);
    expect(failure).toMatchObject({ code: 1, stdout: expect.stringContaining('refused: ERR_TOKEN_MALFORMED') });
  });
});
