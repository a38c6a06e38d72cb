import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestAttestationService,
  DEFAULT_MRENCLAVE,
  DEFAULT_MRSIGNER,
  DEFAULT_MRTD,
  type TestAttestationService,
} from '../../src/testing/index.js';
import { expectedOutcome, fixtureText, manifest } from '../helpers/fixtures.js';
import { cli, entry, fixturePath, insideWindowIso, tempFile } from './helpers.js';
import { ERROR_TABLE } from '../../src/errors.js';

const SGX = entry('cpp-sgx-shared-wus-2022.jwt');
const sgxToken = fixtureText(SGX.token);

/** verify argv for a real token, its pinned JWKS and a time inside its window. */
function pinned(e = SGX, ...extra: string[]): string[] {
  return ['verify', fixturePath(e.token), '--issuer', e.issuer, '--jwks', fixturePath(e.certs!), '--at', insideWindowIso(e), ...extra];
}

describe('verify real tokens with a pinned JWKS', () => {
  it.each(manifest.filter((e) => expectedOutcome(e) === 'accept').map((e) => [e.token, e] as const))(
    'accepts %s inside its window',
    async (_name, e) => {
      const { code, stdout, stderr } = await cli(pinned(e));
      expect(stderr).toBe('');
      expect(stdout).toContain('ACCEPTED');
      expect(stdout).toContain(e.issuer);
      expect(stdout).toMatch(new RegExp(`attestation type\\s+${e.attestationType}`));
      expect(code).toBe(0);
    },
  );

  it('shows the enclave-held data the SGX view decodes when read', async () => {
    const { code, stdout } = await cli(pinned(entry('cpp-sgx-runtimebinary-isolated-2022.jwt')));
    expect(code).toBe(0);
    expect(stdout).toMatch(/enclaveHeldData\s+287 bytes: /);
    const json = await cli([...pinned(entry('cpp-sgx-runtimebinary-isolated-2022.jwt')), '--json']);
    const { sgx } = JSON.parse(json.stdout) as { sgx: { enclaveHeldData?: string } };
    expect(Buffer.from(sgx.enclaveHeldData ?? '', 'base64url')).toHaveLength(287);
  });

  it('prints the issuer, the attestation type and the typed SGX claims in full', async () => {
    const { code, stdout } = await cli(pinned());
    expect(code).toBe(0);
    expect(stdout).toMatch(/issuer\s+https:\/\/sharedwus\.wus\.attest\.azure\.net/);
    expect(stdout).toMatch(/key id\s+XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=/);
    expect(stdout).toMatch(/mrenclave\s+292a1f4b519e46627eb2478a3d9851405653c5b4b0a6925de843834d9216850e/);
    expect(stdout).toMatch(/mrsigner\s+4aea5f9a0ed04b11f889aadfe6a1d376213a29a95a85ce7337ae6f7fece6610c/);
    expect(stdout).toMatch(/productId\s+1/);
    expect(stdout).toMatch(/svn\s+1/);
    expect(stdout).toMatch(/isDebuggable\s+true/);
    expect(stdout).toMatch(/checked at\s+2022-06-01T02:47:56Z \(--at\)/);
    expect(stdout).toContain('debug enclave');
  });

  it('--json on acceptance', async () => {
    const { code, stdout } = await cli(pinned(SGX, '--json'));
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result).toMatchObject({
      accepted: true,
      issuer: SGX.issuer,
      attestationType: 'sgx',
      keyId: SGX.kid,
      issuedAt: '2022-05-31T22:47:56.000Z',
      sgx: { mrsigner: '4aea5f9a0ed04b11f889aadfe6a1d376213a29a95a85ce7337ae6f7fece6610c', svn: 1, isDebuggable: true },
    });
  });

  it('reads the token from stdin', async () => {
    const argv = pinned();
    argv[1] = '-';
    const { code, stdout } = await cli(argv, `${sgxToken}\n`);
    expect(code).toBe(0);
    expect(stdout).toContain('ACCEPTED');
  });

  it('a time outside the window: exit 1, ERR_TOKEN_EXPIRED', async () => {
    const argv = ['verify', sgxToken, '--issuer', SGX.issuer, '--jwks', fixturePath(SGX.certs!), '--at', '2022-06-01T08:00:00Z'];
    const { code, stdout } = await cli(argv);
    expect(code).toBe(1);
    expect(stdout).toContain('REFUSED: ERR_TOKEN_EXPIRED (status 401)');
    expect(stdout).toContain('the token has expired');
    // The hint is the error table's, not a copy kept by the CLI.
    expect(stdout).toContain(`hint: ${ERROR_TABLE.ERR_TOKEN_EXPIRED.hint}`);

    const json = await cli([...argv, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ accepted: false, code: 'ERR_TOKEN_EXPIRED', status: 401, message: 'the token has expired' });
  });

  it('now (no --at): the real token has long expired', async () => {
    const { code, stdout } = await cli(['verify', sgxToken, '--issuer', SGX.issuer, '--jwks', fixturePath(SGX.certs!)]);
    expect(code).toBe(1);
    expect(stdout).toContain('ERR_TOKEN_EXPIRED');
  });

  it('refuses the alg-none draft-policy response and the policy-management responses', async () => {
    const unsigned = entry('cpp-sgx-draftpolicy-unsigned-2022.jwt');
    const none = await cli(pinned(unsigned));
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('REFUSED: ERR_ALG_NOT_ALLOWED');

    const management = entry('cpp-policy-get-sgx-shared-2022.jwt');
    const refused = await cli(pinned(management));
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('REFUSED: ERR_CLAIM_INVALID');
    expect(refused.stdout).toContain('x-ms-attestation-type is missing');
  });

  it('an issuer other than the token’s: ERR_ISSUER_UNTRUSTED, decided before any request', async () => {
    const { code, stdout } = await cli([
      'verify',
      sgxToken,
      '--issuer',
      'https://sharedeus.eus.attest.azure.net',
      '--at',
      insideWindowIso(SGX),
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain('ERR_ISSUER_UNTRUSTED');
  });
});

describe('verify --policy', () => {
  const denying = JSON.stringify({ mrsigner: ['0'.repeat(64)], minSvn: 2 });

  it('a policy that denies: exit 1 with the reasons', async () => {
    const { code, stdout } = await cli(pinned(SGX, '--policy', tempFile('deny.json', denying)));
    expect(code).toBe(1);
    expect(stdout).toContain('REFUSED: ERR_POLICY_DENIED (status 403)');
    expect(stdout).toMatch(/policy\.allowDebug\s+x-ms-sgx-is-debuggable\s+equals false\s+true/);
    expect(stdout).toMatch(new RegExp(`policy\\.mrsigner\\[0\\]\\s+x-ms-sgx-mrsigner\\s+equals "${'0'.repeat(64)}"\\s+"4aea5f9a`));
    expect(stdout).toMatch(/policy\.minSvn\s+x-ms-sgx-svn\s+greaterOrEquals 2\s+1/);
  });

  it('a policy that denies, as JSON', async () => {
    const { code, stdout } = await cli(pinned(SGX, '--policy', tempFile('deny.json', denying), '--json'));
    expect(code).toBe(1);
    const result = JSON.parse(stdout) as { code: string; status: number; reasons: { path: string; claim: string; actual: unknown }[] };
    expect(result.code).toBe('ERR_POLICY_DENIED');
    expect(result.status).toBe(403);
    expect(result.reasons.map((r) => r.path)).toEqual(['policy.allowDebug', 'policy.mrsigner[0]', 'policy.minSvn']);
    expect(result.reasons[2]).toMatchObject({ claim: 'x-ms-sgx-svn', actual: 1 });
  });

  it('a policy (Key Vault SKR form) that trusts the enclave: exit 0', async () => {
    const skr = {
      version: '1.0.0',
      allowDebug: true,
      anyOf: [
        {
          authority: SGX.issuer,
          allOf: [
            { claim: 'x-ms-sgx-mrsigner', equals: '4aea5f9a0ed04b11f889aadfe6a1d376213a29a95a85ce7337ae6f7fece6610c' },
            { claim: 'x-ms-sgx-svn', greaterOrEquals: 1 },
          ],
        },
      ],
    };
    const path = tempFile('skr.json', JSON.stringify(skr));
    const { code, stdout } = await cli(pinned(SGX, '--policy', path));
    expect(code).toBe(0);
    expect(stdout).toMatch(/policy\s+satisfied/);
  });
});

describe('verify against a local MAA instance (URL issuer)', () => {
  let maa: TestAttestationService;
  beforeAll(async () => {
    maa = await createTestAttestationService();
  });
  afterAll(async () => {
    await maa.close();
  });

  it('fetches the keys and accepts with --allow-insecure-loopback', async () => {
    const token = maa.mint({ 'x-ms-sgx-svn': 3 });
    const { code, stdout, stderr } = await cli(['verify', token, '--issuer', maa.issuer, '--allow-insecure-loopback']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('ACCEPTED');
    expect(stdout).toMatch(new RegExp(`mrenclave\\s+${DEFAULT_MRENCLAVE}`));
    expect(stdout).toMatch(new RegExp(`mrsigner\\s+${DEFAULT_MRSIGNER}`));
    expect(stdout).toMatch(/svn\s+3/);
    expect(stdout).toMatch(/isDebuggable\s+false/);
    expect(maa.requests.certs).toBeGreaterThanOrEqual(1);
  });

  it('prints the TDX view whole, RTMRs one per row, and warns of a debug TD', async () => {
    const { code, stdout } = await cli(['verify', maa.mint({}, { type: 'tdxvm' }), '--issuer', maa.issuer, '--allow-insecure-loopback']);
    expect(code).toBe(0);
    expect(stdout).toContain('TDX claims');
    expect(stdout).toMatch(new RegExp(`mrtd\\s+${DEFAULT_MRTD}`));
    expect(stdout).toMatch(/rtmr\[3\]\s+0{96}/);
    const debug = maa.mint({ tdx_td_attributes: '0100000000000000', tdx_td_attributes_debug: true, dbgstat: 'enabled' }, { type: 'tdxvm' });
    expect((await cli(['verify', debug, '--issuer', maa.issuer, '--allow-insecure-loopback'])).stdout).toContain('debug TD');
  });

  it('prints the nested TDX view of a confidential VM and warns of a migratable SNP guest', async () => {
    const onTdx = await cli([
      'verify',
      maa.mint({}, { type: 'azurevm', isolationTee: 'tdxvm' }),
      '--issuer',
      maa.issuer,
      '--allow-insecure-loopback',
    ]);
    expect(onTdx.stdout).toMatch(new RegExp(`isolationTee\\.tdx\\.mrtd\\s+${DEFAULT_MRTD}`));
    const migratable = maa.mint({ 'x-ms-isolation-tee': { 'x-ms-sevsnpvm-migration-allowed': true } }, { type: 'azurevm' });
    expect((await cli(['verify', migratable, '--issuer', maa.issuer, '--allow-insecure-loopback'])).stdout).toContain('allowMigration');
  });

  it('warns that a confidential VM on an isolation TEE it does not read is refused by any guarded policy', async () => {
    const onCca = maa.mint({ 'x-ms-isolation-tee': { 'x-ms-attestation-type': 'cca' } }, { type: 'azurevm' });
    const { code, stdout } = await cli(['verify', onCca, '--issuer', maa.issuer, '--allow-insecure-loopback']);
    expect(code).toBe(0);
    expect(stdout).toContain(
      'warn  x-ms-isolation-tee.x-ms-attestation-type is not sevsnpvm or tdxvm: its debug and migration flags are unknown to this library, so a policy refuses it unless it sets both allowDebug: true and allowMigration: true',
    );
  });

  it("warns of every flag the catalogue calls dangerous, the guest's own included", async () => {
    const kernelDebug = maa.mint({ 'x-ms-azurevm-kerneldebug-enabled': true }, { type: 'azurevm', isolationTee: 'tdxvm' });
    const { stdout } = await cli(['verify', kernelDebug, '--issuer', maa.issuer, '--allow-insecure-loopback']);
    expect(stdout).toMatch(
      /warn\s+kernel debugging enabled in the guest \(x-ms-azurevm-kerneldebug-enabled true\); a policy refuses it unless allowDebug/,
    );
    const clean = await cli(['verify', maa.mint({}, { type: 'azurevm' }), '--issuer', maa.issuer, '--allow-insecure-loopback']);
    expect(clean.stdout).not.toMatch(/allowDebug|allowMigration/);
  });

  it('refuses a forged token (a genuine kid, another key)', async () => {
    const forged = maa.mint({}, { signingKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey });
    const { code, stdout } = await cli(['verify', forged, '--issuer', maa.issuer, '--allow-insecure-loopback']);
    expect(code).toBe(1);
    expect(stdout).toContain('REFUSED: ERR_SIGNATURE_INVALID');
  });

  it('without --allow-insecure-loopback the http issuer is a usage error', async () => {
    const { code, stderr } = await cli(['verify', maa.mint(), '--issuer', maa.issuer]);
    expect(code).toBe(2);
    expect(stderr).toContain('allowInsecureLoopback');
  });
});
