import { describe, expect, it } from 'vitest';
import { fixtureText } from '../helpers/fixtures.js';
import { cli, entry, fixturePath, insideWindowIso, tempFile } from './helpers.js';

const SGX = entry('cpp-sgx-shared-wus-2022.jwt');
const token = fixtureText(SGX.token);
const jwks = fixturePath(SGX.certs!);

/** Exit 2, the problem and a short usage on stderr, nothing on stdout, no stack trace. */
async function expectUsageError(argv: string[], problem: string | RegExp): Promise<void> {
  const { code, stdout, stderr } = await cli(argv);
  expect(code).toBe(2);
  expect(stdout).toBe('');
  if (typeof problem === 'string') expect(stderr).toContain(problem);
  else expect(stderr).toMatch(problem);
  expect(stderr).toContain('Usage:');
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('help', () => {
  it.each([['--help'], ['-h'], ['help']])('%s prints the usage, exit 0', async (flag) => {
    const { code, stdout, stderr } = await cli([flag]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('attestation-gate inspect <token|file|->');
    expect(stdout).toContain('attestation-gate verify <token|file|-> --issuer <url>');
    expect(stdout).toContain('Exit status: 0');
  });

  it.each([['inspect'], ['verify']])('%s --help prints the command usage, exit 0', async (command) => {
    const { code, stdout } = await cli([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: attestation-gate ${command}`);
    expect(stdout).toContain('--json');
  });
});

describe('usage errors exit 2', () => {
  it('no command', () => expectUsageError([], 'missing a command'));
  it('an unknown command', () => expectUsageError(['frobnicate', token], 'unknown command "frobnicate"'));
  it('an unknown option', () => expectUsageError(['inspect', token, '--colour'], "Unknown option '--colour'"));
  it('an option missing its value', () => expectUsageError(['verify', token, '--issuer'], "Option '--issuer <value>' argument missing"));
  it('a missing token argument', () => expectUsageError(['inspect'], 'missing the token argument'));
  it('two token arguments', () => expectUsageError(['inspect', token, token], 'inspect takes one token'));
  it('a token file that does not exist', () =>
    expectUsageError(['inspect', './no-such-token.jwt'], 'cannot read token file "./no-such-token.jwt"'));
  it('an --at that is not a date', () => expectUsageError(['inspect', token, '--at', 'yesterday'], '--at "yesterday" is not a date'));

  it('verify without --issuer', () => expectUsageError(['verify', token], 'verify needs at least one --issuer'));
  it('--jwks with two issuers', () =>
    expectUsageError(
      ['verify', token, '--issuer', SGX.issuer, '--issuer', 'https://sharedeus.eus.attest.azure.net', '--jwks', jwks],
      '--jwks pins the keys of one issuer',
    ));
  it('a JWKS file that does not exist', () =>
    expectUsageError(['verify', token, '--issuer', SGX.issuer, '--jwks', '/no/such/certs.json'], 'cannot read JWKS file'));
  it('a JWKS file that is not a JWKS', () =>
    expectUsageError(['verify', token, '--issuer', SGX.issuer, '--jwks', tempFile('certs.json', '[1]')], 'invalid JWKS file'));
  it('a policy file that does not exist', () =>
    expectUsageError(['verify', token, '--issuer', SGX.issuer, '--policy', '/no/such/policy.json'], 'cannot read policy file'));
  it('a policy file that is not JSON', () =>
    expectUsageError(
      ['verify', token, '--issuer', SGX.issuer, '--policy', tempFile('policy.json', '{ mrsigner: [')],
      /invalid policy file ".*policy\.json": not JSON/,
    ));
  it('a policy that does not compile', () =>
    expectUsageError(
      ['verify', token, '--issuer', SGX.issuer, '--policy', tempFile('policy.json', '{"minSvn": "3"}')],
      /invalid policy file .*minSvn/,
    ));
  it('a policy naming an issuer the verifier does not trust', () =>
    expectUsageError(
      [
        'verify',
        token,
        '--issuer',
        SGX.issuer,
        '--policy',
        tempFile('policy.json', JSON.stringify({ authority: 'https://other.eus.attest.azure.net', mrsigner: ['0'.repeat(64)] })),
      ],
      'does not trust',
    ));
  it('an issuer that is not https', () =>
    expectUsageError(['verify', token, '--issuer', 'http://sharedwus.wus.attest.azure.net'], 'must use https'));
  it('a --min-rsa-bits that is not a number', () =>
    expectUsageError(['verify', token, '--issuer', SGX.issuer, '--min-rsa-bits', 'lots'], '--min-rsa-bits "lots"'));

  it('options are checked before stdin is read', async () => {
    // `cli` throws if stdin is read without being given: a usage error must not wait for a token.
    const { code } = await cli(['verify', '-', '--at', insideWindowIso(SGX)]);
    expect(code).toBe(2);
  });
});
