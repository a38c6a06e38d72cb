/**
 * The CLI on hostile input: reads are bounded (a device, a huge file or an endless pipe is not read to
 * the end), `--json` prints any JSON a token can carry, and characters a terminal would obey or hide
 * are escaped visibly. The built binary's bounds (a real pipe, a 64 MB heap) are in binary.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_SLACK_BYTES, tokenReadLimit } from '../../src/cli/input.js';
import { run } from '../../src/cli/run.js';
import { DEFAULT_MAX_TOKEN_BYTES } from '../../src/token/parse.js';
import { createTestAttestationService, type TestAttestationService } from '../../src/testing/index.js';
import { decodeSegment, raw, segmentsOf, signJws } from '../hardening/helpers.js';
import { cli, tempFile } from './helpers.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const craft = (header: Record<string, unknown>, payload: Record<string, unknown>): string => `${b64(header)}.${b64(payload)}.${b64('sig')}`;
const now = Math.floor(Date.now() / 1000);
const TIMES = { iat: now - 60, nbf: now - 60, exp: now + 3600 };

// Characters that render as nothing, reorder a line, or pass for another.
const HOSTILE = {
  zwsp: '\u200b',
  bom: '\ufeff',
  lineSeparator: '\u2028',
  paragraphSeparator: '\u2029',
  tagA: '\u{e0041}',
  hangulFiller: '\u3164',
  halfwidthHangulFiller: '\uffa0',
  softHyphen: '\u00ad',
  rtlOverride: '\u202e',
  isolate: '\u2066',
  nbsp: '\u00a0',
  ideographicSpace: '\u3000',
  variationSelector: '\ufe0f',
  combiningGraphemeJoiner: '\u034f',
  wordJoiner: '\u2060',
  brailleBlank: '\u2800',
  loneSurrogate: '\ud800',
  c1: '\u009b',
  escape: '\u001b',
  del: '\u007f',
} as const;
const RAW_HOSTILE = new RegExp(`[${Object.values(HOSTILE).join('').replace('\ud800', '')}]|\\ud800(?![\\udc00-\\udfff])`, 'u');

describe('bounded reads', () => {
  it('the bound is maxTokenBytes and a little slack', () => {
    expect(tokenReadLimit()).toBe(DEFAULT_MAX_TOKEN_BYTES + READ_SLACK_BYTES);
    expect(tokenReadLimit(100)).toBe(100 + READ_SLACK_BYTES);
  });

  it.each([['inspect'], ['verify']])('%s /dev/zero stops at the bound: ERR_TOKEN_TOO_LARGE, promptly', async (command) => {
    const extra = command === 'verify' ? ['--issuer', 'https://a.attest.azure.net'] : [];
    const started = performance.now();
    const { code, stdout, stderr } = await cli([command, '/dev/zero', ...extra]);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(code).toBe(1);
    expect(`${stdout}${stderr}`).toContain('ERR_TOKEN_TOO_LARGE');
    expect(`${stdout}${stderr}`).toContain(`more than ${tokenReadLimit()} bytes`);
  });

  it('stdin is asked for at most the bound, and more is refused as too large', async () => {
    let asked: number | undefined;
    let stderr = '';
    const code = await run(['inspect', '-'], {
      stdout: () => undefined,
      stderr: (s) => (stderr += s),
      stdin: async (maxBytes) => {
        asked = maxBytes;
        return 'a'.repeat(maxBytes + 1);
      },
    });
    expect(asked).toBe(tokenReadLimit());
    expect(code).toBe(1);
    expect(stderr).toContain('not decodable: ERR_TOKEN_TOO_LARGE: stdin holds more than');
  });

  it('a token argument past the bound is refused without a file lookup', async () => {
    const { code, stdout } = await cli([
      'verify',
      `${'a'.repeat(tokenReadLimit())}.b.c`,
      '--issuer',
      'https://a.attest.azure.net',
      '--json',
    ]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ accepted: false, code: 'ERR_TOKEN_TOO_LARGE' });
  });

  it('a token over maxTokenBytes but inside the bound is still explained, refused with ERR_TOKEN_TOO_LARGE first', async () => {
    const token = craft(
      { alg: 'RS256', kid: 'k' },
      { iss: 'https://a.attest.azure.net', ...TIMES, 'x-ms-attestation-type': 'tdxvm', pad: 'x'.repeat(12_500) },
    );
    expect(token.length).toBeGreaterThan(DEFAULT_MAX_TOKEN_BYTES);
    expect(token.length).toBeLessThan(tokenReadLimit());
    const { code, stdout } = await cli(['inspect', tempFile('big.jwt', token), '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { decoded: boolean; verdict: string; refusals: string[] };
    expect(report).toMatchObject({ decoded: true, verdict: 'ERR_TOKEN_TOO_LARGE' });
    expect(report.refusals[0]).toBe('ERR_TOKEN_TOO_LARGE');
  });

  it('a JWKS or policy file is read with a bound too', async () => {
    const { code, stderr } = await cli(['verify', 'a.b.c', '--issuer', 'https://a.attest.azure.net', '--jwks', '/dev/zero']);
    expect(code).toBe(2);
    expect(stderr).toContain('is larger than 1048576 bytes');
  });
});

describe('--json never fails on deep or odd JSON', () => {
  let maa: TestAttestationService;
  beforeAll(async () => {
    maa = await createTestAttestationService();
  });
  afterAll(async () => {
    await maa.close();
  });

  // 4 500 nested arrays: valid JSON within maxTokenBytes that JSON.stringify itself cannot print, so the
  // token is written as text and signed by the trusted instance's own key.
  const DEEP = `${'['.repeat(4500)}${']'.repeat(4500)}`;
  function deepToken(extra = ''): string {
    const claims = decodeSegment(segmentsOf(maa.mint())[1]);
    const text = `${JSON.stringify(claims).slice(0, -1)},"deep":${DEEP}${extra}}`;
    return signJws({ alg: 'RS256', jku: maa.jwksUri, kid: maa.activeKid, typ: 'JWT' }, raw(text), maa.privateKey());
  }

  it('verify --json and inspect --json print a signed token whose claim nests 4 500 deep', async () => {
    const token = deepToken(',"__proto__":{"polluted":true},"odd\\u2028name":"\\ud800"');
    const verified = await cli(['verify', token, '--issuer', maa.issuer, '--allow-insecure-loopback', '--json']);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    const result = JSON.parse(verified.stdout) as { accepted: boolean; claims: Record<string, unknown> };
    expect(result.accepted).toBe(true);
    expect(verified.stdout).toContain('nested deeper than 64 levels');
    expect(Object.hasOwn(result.claims, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    const inspected = await cli(['inspect', token, '--json', '--issuer', maa.issuer]);
    expect(inspected.stderr).toBe('');
    expect(inspected.code).toBe(0);
    const report = JSON.parse(inspected.stdout) as { decoded: boolean; verdict: unknown; claims: Record<string, unknown> };
    expect(report).toMatchObject({ decoded: true, verdict: null });
    expect(report.claims['odd\u2028name']).toBe('\ud800');
    expect(inspected.stdout).not.toMatch(RAW_HOSTILE);
  });

  it('text mode summarises the same token', async () => {
    const { code, stdout } = await cli(['inspect', deepToken(), '--full']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/deep\s+\[1 item: \[…\]\]/);
    const verified = await cli(['verify', deepToken(), '--issuer', maa.issuer, '--allow-insecure-loopback']);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('ACCEPTED');
  });
});

describe('invisible, bidi and control characters are escaped visibly', () => {
  it.each(Object.entries(HOSTILE))('%s in a claim name and value', async (_label, char) => {
    const token = craft(
      { alg: 'RS256', kid: `k${char}` },
      { iss: 'https://a.attest.azure.net', ...TIMES, 'x-ms-attestation-type': 'tdxvm', [`x-ms-sgx-is-debuggable${char}`]: `false${char}` },
    );
    for (const argv of [
      ['inspect', token],
      ['inspect', token, '--full'],
      ['inspect', token, '--json'],
    ]) {
      const { stdout } = await cli(argv);
      expect(stdout).not.toMatch(RAW_HOSTILE);
      expect(stdout).toMatch(/\\u(\{e0041\}|[0-9a-f]{4})/);
    }
  });

  it('a look-alike claim name cannot pass for x-ms-sgx-is-debuggable', async () => {
    const fake = 'x-ms-sgx-is-d\u0435buggable'; // Cyrillic е
    const token = craft(
      { alg: 'RS256', kid: 'k' },
      { iss: 'https://a.attest.azure.net', ...TIMES, 'x-ms-attestation-type': 'tdxvm', [fake]: false },
    );
    const { stdout } = await cli(['inspect', token]);
    expect(stdout).toContain('x-ms-sgx-is-d\\u0435buggable');
    expect(stdout).not.toContain(fake);
  });

  it('verify escapes a refusal message and the accepted claims alike', async () => {
    const token = craft({ alg: `RS256\u202e\u200b`, kid: 'k' }, { iss: 'https://a.attest.azure.net' });
    const { stdout } = await cli(['verify', token, '--issuer', 'https://a.attest.azure.net']);
    expect(stdout).toContain('ERR_ALG_NOT_ALLOWED');
    expect(stdout).not.toMatch(RAW_HOSTILE);
  });
});
