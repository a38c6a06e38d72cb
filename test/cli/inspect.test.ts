import { describe, expect, it } from 'vitest';
import type { InspectReport } from '../../src/cli/inspect.js';
import { fixtureJson, fixtureText, manifest } from '../helpers/fixtures.js';
import { cli, entry, fixturePath, insideWindowIso } from './helpers.js';

const SGX = 'cpp-sgx-shared-wus-2022.jwt';
const sgxToken = fixtureText(SGX);
const inside = insideWindowIso(entry(SGX));

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned token with any header and payload: inspect never looks at the signature's validity. */
function craft(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64(header)}.${b64(payload)}.${Buffer.from('sig').toString('base64url')}`;
}

describe('inspect: a real SGX token', () => {
  it('says the signature was NOT verified, and summarises the header', async () => {
    const { code, stdout, stderr } = await cli(['inspect', sgxToken, '--at', inside]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('SIGNATURE NOT VERIFIED');
    expect(stdout).toMatch(/alg\s+"RS256"/);
    expect(stdout).toMatch(/kid\s+"XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE="/);
    expect(stdout).toMatch(/jku\s+"https:\/\/sharedwus\.wus\.attest\.azure\.net\/certs"/);
    expect(stdout).toMatch(/typ\s+"JWT"/);
    expect(stdout).toMatch(/signature\s+256 bytes \(not verified\)/);
  });

  it('explains the claims, shortening long values and marking legacy aliases', async () => {
    const { stdout } = await cli(['inspect', sgxToken, '--at', inside]);
    expect(stdout).toMatch(/x-ms-sgx-mrenclave\s+"292a1f4b\S*…\S*9216850e"\s+enclave measurement/);
    expect(stdout).toMatch(/x-ms-sgx-svn\s+1\s+security version \(compare as minimum\)/);
    expect(stdout).toMatch(/x-ms-sgx-is-debuggable\s+true\s+true = debug enclave/);
    expect(stdout).toMatch(/sgx-mrenclave\s+\S+\s+legacy alias of x-ms-sgx-mrenclave/);
    expect(stdout).toMatch(/tee\s+"sgx"\s+legacy alias of x-ms-attestation-type/);
    expect(stdout).toMatch(/x-ms-sgx-collateral\s+\{7 members: qeidcertshash/);
    // The table shortens it; only the explanation below prints it whole, once.
    expect(stdout.split('292a1f4b519e46627eb2478a3d9851405653c5b4b0a6925de843834d9216850e')).toHaveLength(2);
  });

  it('--full shows whole values', async () => {
    const { stdout } = await cli(['inspect', sgxToken, '--full', '--at', inside]);
    expect(stdout).toContain('"292a1f4b519e46627eb2478a3d9851405653c5b4b0a6925de843834d9216850e"');
  });

  it('gives the times in UTC and relative to --at', async () => {
    const { stdout } = await cli(['inspect', sgxToken, '--at', '2022-05-31T23:47:56Z']);
    expect(stdout).toMatch(/iat\s+2022-05-31T22:47:56Z\s+1 h ago/);
    expect(stdout).toMatch(/exp\s+2022-06-01T06:47:56Z\s+in 7 h/);
    expect(stdout).not.toContain('ERR_TOKEN_EXPIRED');
  });

  it('lists what a verifier would check', async () => {
    const { stdout } = await cli(['inspect', sgxToken, '--at', inside]);
    const checks = stdout.slice(stdout.indexOf('What a verifier would check'));
    expect(checks).toContain('jku "https://sharedwus.wus.attest.azure.net/certs": only compared, never fetched');
    expect(checks).toContain('debug enclave');
    expect(checks).toContain('shared MAA instance');
    expect(checks).toContain('no runtime data: a bearer token');
    expect(checks).toContain('Verdict: nothing above makes a verifier refuse it; its issuer, its signature and your policy decide');
  });

  it('flags an expired token, relative to now', async () => {
    const { code, stdout } = await cli(['inspect', sgxToken, '--at', '2025-06-02T00:00:00Z']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/exp\s+2022-06-01T06:47:56Z\s+expired 3 years ago/);
    expect(stdout).toMatch(/REFUSE\s+the token has expired \[ERR_TOKEN_EXPIRED\]/);
    expect(stdout).toContain('Verdict: a verifier refuses this token with ERR_TOKEN_EXPIRED.');
  });

  it('reads a file named on the command line', async () => {
    const fromFile = await cli(['inspect', fixturePath(SGX), '--at', inside]);
    const fromArg = await cli(['inspect', sgxToken, '--at', inside]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toBe(fromArg.stdout);
  });

  it('reads the token from stdin with -, whitespace trimmed', async () => {
    const fromStdin = await cli(['inspect', '-', '--at', inside], `\n  ${sgxToken}\r\n\n`);
    const fromArg = await cli(['inspect', sgxToken, '--at', inside]);
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe(fromArg.stdout);
  });
});

describe('inspect: tokens a verifier must refuse', () => {
  it('alg none (a real draft-policy response)', async () => {
    const e = entry('cpp-sgx-draftpolicy-unsigned-2022.jwt');
    const { code, stdout } = await cli(['inspect', fixtureText(e.token), '--at', insideWindowIso(e)]);
    expect(code).toBe(0);
    expect(stdout).toContain('SIGNATURE NOT VERIFIED');
    expect(stdout).toMatch(/alg\s+"none"/);
    expect(stdout).toMatch(/REFUSE\s+the token algorithm "none" is not allowed — an unsigned token .*\[ERR_ALG_NOT_ALLOWED\]/);
    expect(stdout).toMatch(/signature\s+0 bytes/);
    expect(stdout).toContain('Verdict: a verifier refuses this token with ERR_ALG_NOT_ALLOWED');
  });

  it.each(manifest.filter((e) => e.attestationType === null && !e.token.startsWith('skr-sgx-legacy')).map((e) => [e.token, e] as const))(
    'policy-management response %s',
    async (_name, e) => {
      const { code, stdout } = await cli(['inspect', fixtureText(e.token), '--at', insideWindowIso(e)]);
      expect(code).toBe(0);
      expect(stdout).toMatch(
        /REFUSE\s+the token is not an attestation result: x-ms-attestation-type is missing .* — a policy-management response, not attestation evidence .*\[ERR_CLAIM_INVALID\]/,
      );
    },
  );

  it('a jku other than <iss>/certs, key material in the header, a foreign typ', async () => {
    const token = craft(
      { alg: 'RS256', kid: 'k', typ: 'at+jwt', jku: 'https://evil.example/keys', x5c: ['MIIB'] },
      { iss: 'https://sharedwus.wus.attest.azure.net', iat: 1, nbf: 1, exp: 2, 'x-ms-attestation-type': 'sgx' },
    );
    const { code, stdout } = await cli(['inspect', token, '--at', '2022-01-01T00:00:00Z']);
    expect(code).toBe(0);
    expect(stdout).toContain(
      'the token jku "https://evil.example/keys" is not its issuer\'s key endpoint — only compared with <iss>/certs, never fetched',
    );
    expect(stdout).toContain('the token header carries its own key material (x5c), which is never used');
    expect(stdout).toContain('the token type "at+jwt" is not JWT');
    expect(stdout).toContain('ERR_HEADER_INVALID');
    // The SGX claims are missing: the library's claim reader explains which.
    expect(stdout).toMatch(/REFUSE\s+.*x-ms-sgx-mrenclave.*\[ERR_CLAIM_INVALID\]/);
  });

  it('HMAC and a missing exp', async () => {
    const token = craft(
      { alg: 'HS256', kid: 'k' },
      { iss: 'https://a.attest.azure.net', iat: 1, nbf: 1, 'x-ms-attestation-type': 'tdxvm' },
    );
    const { stdout } = await cli(['inspect', token]);
    expect(stdout).toMatch(/the token algorithm "HS256" is not allowed — HMAC/);
    expect(stdout).toMatch(/the exp claim must be a number of seconds .*\[ERR_CLAIM_INVALID\]/);
    expect(stdout).toMatch(/exp\s+\(absent\)/);
  });

  it('an exp beyond what a date can hold, as the verifier refuses it', async () => {
    const token = craft(
      { alg: 'RS256', kid: 'k' },
      { iss: 'https://a.attest.azure.net', iat: 1, nbf: 1, exp: 1e13, 'x-ms-attestation-type': 'tdxvm' },
    );
    const { stdout } = await cli(['inspect', token]);
    expect(stdout).toMatch(/exp\s+10000000000000 \(not a time\)/);
    expect(stdout).toMatch(/the exp claim must be a number of seconds between 0 and 8640000000000.*\[ERR_CLAIM_INVALID\]/);
  });

  it('an iss that can never equal a configured issuer', async () => {
    const token = craft({ alg: 'RS256', kid: 'k' }, { iss: 'https://Sharedwus.wus.attest.azure.net/', 'x-ms-attestation-type': 'sgx' });
    const { stdout } = await cli(['inspect', token]);
    expect(stdout).toContain(
      'the token issuer is not trusted — not an https URL in normal form, so it can never equal a configured issuer [ERR_ISSUER_UNTRUSTED]',
    );
  });

  it('a debug SEV-SNP guest nested in an azurevm token, and a nonce', async () => {
    const token = craft(
      { alg: 'RS256', kid: 'k' },
      {
        iss: 'https://a.attest.azure.net',
        nonce: 'n',
        'x-ms-attestation-type': 'azurevm',
        'x-ms-isolation-tee': { 'x-ms-attestation-type': 'sevsnpvm', 'x-ms-sevsnpvm-is-debuggable': true },
      },
    );
    const { stdout } = await cli(['inspect', token]);
    expect(stdout).toMatch(
      /warn\s+debug guest: the host can read and change its memory \(x-ms-isolation-tee\.x-ms-sevsnpvm-is-debuggable true\); a policy refuses it unless allowDebug/,
    );
    expect(stdout).toMatch(/nonce\s+"n"\s+NOT inside the quote: proves nothing about the TEE/);
    expect(stdout).toMatch(/x-ms-isolation-tee\.x-ms-sevsnpvm-is-debuggable\s+true\s+true = debug guest/);
  });

  it('an azurevm token on an isolation TEE, and a type, this library does not read: refused unless both guards are off', async () => {
    const onCca = craft(
      { alg: 'RS256', kid: 'k' },
      { iss: 'https://a.attest.azure.net', 'x-ms-attestation-type': 'azurevm', 'x-ms-isolation-tee': { 'x-ms-attestation-type': 'cca' } },
    );
    expect((await cli(['inspect', onCca])).stdout).toMatch(
      /warn\s+x-ms-isolation-tee\.x-ms-attestation-type is not sevsnpvm or tdxvm: .* unless it sets both allowDebug: true and allowMigration: true/,
    );
    const unknownType = craft({ alg: 'RS256', kid: 'k' }, { iss: 'https://a.attest.azure.net', 'x-ms-attestation-type': 'cca' });
    expect((await cli(['inspect', unknownType])).stdout).toMatch(
      /warn\s+attestation type "cca": no typed view, .* unless it sets both allowDebug: true and allowMigration: true/,
    );
  });

  it.each(['constructor', 'toString', '__proto__'])(
    'an attestation type named like an Object.prototype member (%s) is explained, not a crash',
    async (type) => {
      const token = craft(
        { alg: 'RS256', kid: 'k' },
        { iss: 'https://a.attest.azure.net', 'x-ms-attestation-type': type, 'x-ms-policy-hash': 'abc' },
      );
      const { code, stdout, stderr } = await cli(['inspect', token]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toContain(`attestation type "${type}": no typed view`);
    },
  );

  it('escapes control characters a token carries, so it cannot rewrite the terminal', async () => {
    const token = craft({ alg: 'RS256', kid: '\u001b[2J' }, { iss: 'https://a.attest.azure.net', '\u001b]0;x\u0007': '\u009b31m\u202e' });
    const { code, stdout } = await cli(['inspect', token]);
    expect(code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(stdout).toContain('\\u001b[2J');
  });
});

describe('inspect --json', () => {
  it('prints the decoded token, times, meanings and observations', async () => {
    const e = entry(SGX);
    const { code, stdout } = await cli(['inspect', sgxToken, '--json', '--at', '2025-06-02T00:00:00Z']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as InspectReport & { decoded: boolean };
    const decoded = fixtureJson<{ header: unknown; payload: unknown }>(`decoded/${SGX.replace('.jwt', '.json')}`);
    expect(report.decoded).toBe(true);
    expect(report.signatureVerified).toBe(false);
    expect(report.header).toEqual(decoded.header);
    expect(report.claims).toEqual(decoded.payload);
    expect(report.issuer).toBe(e.issuer);
    expect(report.attestationType).toBe('sgx');
    expect(report.signatureBytes).toBe(256);
    expect(report.at).toBe('2025-06-02T00:00:00Z');
    expect(report.times.exp).toEqual({ value: e.exp, utc: '2022-06-01T06:47:56Z', relative: '3 years ago' });
    expect(report.meanings['x-ms-sgx-mrenclave']).toBe('enclave measurement (MRENCLAVE)');
    expect(report.meanings['sgx-mrsigner']).toBe('legacy alias of x-ms-sgx-mrsigner');
    expect(report.refusals).toEqual(['ERR_TOKEN_EXPIRED']);
    expect(report.observations).toContainEqual(expect.objectContaining({ severity: 'refuse', code: 'ERR_TOKEN_EXPIRED' }));
    expect(report.observations).toContainEqual(
      expect.objectContaining({ severity: 'warn', message: expect.stringContaining('debug enclave') }),
    );
  });

  it('says when a token cannot be decoded', async () => {
    const { code, stdout } = await cli(['inspect', 'abc.def', '--json']);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ decoded: false, code: 'ERR_TOKEN_MALFORMED' });
  });
});

describe('inspect: every real token decodes', () => {
  it.each(manifest.map((e) => [e.token, e] as const))('%s', async (_name, e) => {
    const { code, stdout } = await cli(['inspect', fixturePath(e.token), '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { claims: Record<string, unknown>; header: Record<string, unknown>; attestationType: unknown };
    expect(report.claims.iss).toBe(e.issuer);
    expect(report.header.kid).toBe(e.kid);
    expect(report.attestationType ?? null).toBe(e.attestationType);
  });

  it('not decodable: exit 1, the reason on stderr', async () => {
    const { code, stdout, stderr } = await cli(['inspect', 'abc.def']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('not decodable: ERR_TOKEN_MALFORMED');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('inspect: the token argument', () => {
  it('a damaged token (padding) is not taken for a file name: exit 1 with the parser’s reason', async () => {
    const [header, payload, signature] = sgxToken.split('.');
    const { code, stderr } = await cli(['inspect', `${header}.${payload}.${signature}==`]);
    expect(code).toBe(1);
    expect(stderr).toContain('not decodable: ERR_TOKEN_MALFORMED: the token signature is not canonical base64url');
  });
});

describe('inspect explains each attestation type', () => {
  const fixture = (name: string) => {
    const e = entry(name);
    return cli(['inspect', fixtureText(e.token), '--at', insideWindowIso(e)]);
  };
  const section = (stdout: string, title: string): string => {
    const start = stdout.indexOf(title);
    return start < 0 ? '' : stdout.slice(start, stdout.indexOf('\n\n', start));
  };

  it('SGX: what to pin, values whole, and a starting policy that compiles', async () => {
    const { stdout } = await cli(['inspect', sgxToken, '--at', inside]);
    const pin = section(stdout, 'What to pin (sgx)');
    expect(pin).toContain('x-ms-sgx-mrenclave = "292a1f4b519e46627eb2478a3d9851405653c5b4b0a6925de843834d9216850e"');
    expect(pin).toContain('x-ms-sgx-mrsigner = "4aea5f9a0ed04b11f889aadfe6a1d376213a29a95a85ce7337ae6f7fece6610c"');
    expect(stdout).toMatch(/UNSAFE\s+x-ms-sgx-is-debuggable true: debug enclave/);
    expect(stdout).toContain('x-ms-policy-hash is MAA\'s default "sgx" policy');
    const { stdout: json } = await cli(['inspect', sgxToken, '--json', '--at', inside]);
    const report = JSON.parse(json) as InspectReport;
    expect(report.explanation?.startingPolicy).toEqual({
      authority: 'https://sharedwus.wus.attest.azure.net',
      attestationType: 'sgx',
      mrsigner: ['4aea5f9a0ed04b11f889aadfe6a1d376213a29a95a85ce7337ae6f7fece6610c'],
      productId: 1,
      minSvn: 1,
    });
    const { compilePolicy } = await import('../../src/policy/index.js');
    expect(() => compilePolicy(report.explanation!.startingPolicy)).not.toThrow();
  });

  it('azurevm on SEV-SNP: the launch measurement whole, the migration and debug flags', async () => {
    const { stdout } = await fixture('cvmguest-aks-azurevm-snp-sharedwus-2022-09.jwt');
    const pin = section(stdout, 'What to pin (azurevm on sevsnpvm)');
    expect(pin).toContain(
      'x-ms-isolation-tee.x-ms-sevsnpvm-launchmeasurement = "ad6de16ac59ee52351c6038df58d1be5aeaf41cd0f7c81b2279ecca0df6ef43a2b69d663ad6973d6dbb9db0ffd7a9023"',
    );
    expect(pin).toContain("Microsoft's paravisor");
    const flags = section(stdout, 'Debug, migration and integrity flags');
    expect(flags).toMatch(/ok\s+x-ms-isolation-tee\.x-ms-sevsnpvm-migration-allowed false/);
    expect(flags).toMatch(/ok\s+x-ms-azurevm-kerneldebug-enabled false/);
    expect(stdout).toContain('"launchMeasurement": [');
    expect(stdout).toContain('"complianceStatus": [');
    // The shared instance's default policy is not worth pinning.
    expect(stdout).not.toContain('"policyHash"');
    expect(stdout).not.toContain('UNSAFE');
  });

  it('a migratable guest is flagged with the switch that allows it', async () => {
    const token = craft(
      { alg: 'RS256', kid: 'k' },
      {
        iss: 'https://a.attest.azure.net',
        'x-ms-attestation-type': 'sevsnpvm',
        'x-ms-sevsnpvm-migration-allowed': true,
        'x-ms-sevsnpvm-is-debuggable': false,
      },
    );
    const { stdout } = await cli(['inspect', token]);
    expect(stdout).toMatch(/warn\s+migratable guest.*a policy refuses it unless allowMigration/);
  });

  it('tdxvm: MRTD whole, a debug TD flagged three ways, the new claims with their meaning', async () => {
    const sample = fixtureJson<Record<string, unknown>>('../tdx/maa-tdxvm-learn-sample.json');
    const token = craft(
      { alg: 'RS256', kid: 'k' },
      { ...sample, tdx_td_attributes: '0100000000000000', tdx_td_attributes_debug: true, dbgstat: 'enabled' },
    );
    const { stdout } = await cli(['inspect', token, '--at', '2023-10-19T12:00:00Z']);
    expect(section(stdout, 'What to pin (tdxvm)')).toContain(`tdx_mrtd = "${String(sample['tdx_mrtd'])}"`);
    expect(stdout).toMatch(/UNSAFE\s+tdx_td_attributes "0100000000000000"/);
    expect(stdout).toMatch(/UNSAFE\s+tdx_td_attributes_debug true/);
    expect(stdout).toMatch(/UNSAFE\s+dbgstat "enabled"/);
    expect(stdout).toMatch(/attester_tcb_status\s+"UpToDate"\s+the platform's TCB level/);
    expect(stdout).not.toContain('no typed view');
  });

  it('explains the 2025–2026 SEV-SNP claims nested in x-ms-isolation-tee', async () => {
    const payload = fixtureJson<{ payload: Record<string, unknown> }>('decoded/jesserc-azurevm-snp-sharedeus2-2024-12.json').payload;
    const tee = { ...(payload['x-ms-isolation-tee'] as Record<string, unknown>), 'x-ms-sevsnpvm-cxl-allowed': false };
    const { stdout } = await cli(['inspect', craft({ alg: 'RS256', kid: 'k' }, { ...payload, 'x-ms-isolation-tee': tee })]);
    expect(stdout).toMatch(/x-ms-isolation-tee\.x-ms-sevsnpvm-cxl-allowed\s+false\s+guest policy: CXL memory allowed/);
  });

  it('calls a 2020-format SGX result what it is', async () => {
    const { stdout } = await cli(['inspect', fixtureText('skr-sgx-legacy-shareduks-2020-07.jwt'), '--at', '2020-07-10T20:00:00Z']);
    expect(stdout).toContain("an SGX result in MAA's 2020 claim format");
    expect(stdout).not.toContain('policy-management response');
    expect(stdout).toMatch(/sgx-mrenclave\s+\S+\s+legacy alias of x-ms-sgx-mrenclave/);
  });
});
