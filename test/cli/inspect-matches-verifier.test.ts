/**
 * `inspect` and the verifier run the same rules, so they must agree: for random and adversarial tokens,
 * inspect's verdict is the code the verifier refuses with, and inspect finds nothing exactly when the
 * verifier accepts. The only checks inspect cannot make are the key lookup and the signature, which sit
 * between the issuer and the time checks: a token refused before them gets inspect's verdict, one with an
 * unknown kid is ERR_KEY_NOT_FOUND, one with a bad signature ERR_SIGNATURE_INVALID, and a genuinely
 * signed one gets inspect's verdict again.
 *
 * Keys are pinned (no I/O) and the token cache is off, so each run takes the verifier's full path.
 */
import { constants, sign as cryptoSign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectToken, type InspectReport } from '../../src/cli/inspect.js';
import { AttestationError } from '../../src/errors.js';
import { createVerifier, type Verifier, type VerifierOptions } from '../../src/index.js';
import { createTestAttestationService, type TestAttestationService } from '../../src/testing/index.js';
import { resolveOptions } from '../../src/verify/options.js';
import { judgeOptionsOf, type JudgeOptions, type Stage } from '../../src/verify/rules.js';
import { codeOf } from '../helpers/outcome.js';
import { decodeSegment, segment, segmentsOf } from '../hardening/helpers.js';

const ALL_RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;
type Rsa = (typeof ALL_RSA)[number];
/** Stages judged before the key lookup: their first refusal is the verifier's, whatever the signature. */
const BEFORE_KEY = new Set<Stage>(['form', 'header', 'issuer']);
const NOW = Math.floor(Date.now() / 1000);

let maa: TestAttestationService;
let basePayload: Record<string, unknown>;
interface Configuration {
  readonly name: string;
  readonly verifier: Verifier;
  readonly judge: JudgeOptions;
}
let configurations: Configuration[];

beforeAll(async () => {
  maa = await createTestAttestationService();
  basePayload = decodeSegment(segmentsOf(maa.mint())[1]);
  const variants: [string, Partial<VerifierOptions>][] = [
    ['defaults', {}],
    [
      'every RSA algorithm, no tolerance, 10 min age, 6000 bytes',
      { algorithms: [...ALL_RSA], clockToleranceSeconds: 0, maxTokenAgeSeconds: 600, maxTokenBytes: 6000 },
    ],
    [
      'RS256 and PS384, 2 min tolerance, age 100 s',
      { algorithms: ['RS256', 'PS384'], clockToleranceSeconds: 120, maxTokenAgeSeconds: 100 },
    ],
  ];
  configurations = variants.map(([name, extra]) => {
    const options: VerifierOptions = {
      // Pinned keys only: nothing here may leave loopback, or even open a socket.
      issuers: [{ issuer: maa.issuer, jwks: maa.publicJwks() }],
      allowInsecureLoopback: true,
      tokenCache: false,
      now: () => NOW * 1000,
      ...extra,
    };
    return { name, verifier: createVerifier(options), judge: judgeOptionsOf(resolveOptions(options)) };
  });
});
afterAll(async () => {
  await maa.close();
});

function signWith(alg: Rsa, input: string, key: KeyObject): string {
  const hash = `sha${alg.slice(2)}`;
  const pss = alg.startsWith('PS');
  return cryptoSign(
    hash,
    Buffer.from(input, 'ascii'),
    pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 } : key,
  ).toString('base64url');
}

/** inspect's verdict: its first refusal, the decoding refusal when it cannot decode, or 'accepted'. */
function inspectVerdict(token: string, judge: JudgeOptions): { verdict: string; firstStage: Stage | undefined } {
  let report: InspectReport;
  try {
    report = inspectToken(token, judge);
  } catch (error) {
    expect(error).toBeInstanceOf(AttestationError);
    return { verdict: (error as AttestationError).code, firstStage: 'form' };
  }
  // The verdict is the first refusal listed, and the listing is in the verifier's order.
  const first = report.observations.find((observation) => observation.severity === 'refuse');
  expect(first?.code ?? null).toBe(report.verdict);
  return report.verdict === null ? { verdict: 'accepted', firstStage: undefined } : { verdict: report.verdict, firstStage: first?.stage };
}

/** What the verifier must answer, given inspect's verdict and what inspect cannot see. */
function expectedCode(
  inspected: { verdict: string; firstStage: Stage | undefined },
  kidPublished: boolean,
  signatureValid: boolean,
): string {
  if (inspected.firstStage !== undefined && BEFORE_KEY.has(inspected.firstStage)) return inspected.verdict;
  if (!kidPublished) return 'ERR_KEY_NOT_FOUND';
  if (!signatureValid) return 'ERR_SIGNATURE_INVALID';
  return inspected.verdict;
}

// Values a member can take when it is not what MAA sends: absent (undefined), or any JSON.
const odd = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);
const usually = <T>(value: T, ...others: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: fc.constant(value), weight: 20 }, ...others.map((arbitrary) => ({ arbitrary, weight: 1 })));

const headerArbitrary = (kid: string, jku: string) =>
  fc.record({
    alg: usually('RS256', fc.constantFrom(...ALL_RSA, 'none', 'HS256', 'rs256', 'ES256', ''), odd),
    kid: fc.oneof(
      { arbitrary: fc.constant(kid), weight: 20 },
      { arbitrary: fc.constantFrom('x'.repeat(256), 'not-published'), weight: 3 },
      { arbitrary: fc.constantFrom('', 'x'.repeat(257)), weight: 1 },
      { arbitrary: odd, weight: 1 },
    ),
    typ: usually('JWT', fc.constantFrom(undefined, 'jwt', 'at+jwt', 'JWT '), odd),
    jku: usually(jku, fc.constantFrom(undefined, `${jku}/`, 'https://evil.example/certs'), odd),
    extra: usually([], fc.subarray(['crit', 'jwk', 'x5c', 'x5u', 'cty', '__proto__'], { maxLength: 2 })) as fc.Arbitrary<string[]>,
  });

const timeArbitrary = (base: number) =>
  fc.oneof(
    { arbitrary: fc.constant(base), weight: 16 },
    { arbitrary: fc.integer({ min: -5000, max: 5000 }).map((delta) => NOW + delta), weight: 4 },
    { arbitrary: fc.constantFrom(undefined, -1, 0, 8.64e12, 8.64e12 + 1, 1e300, '1700000000'), weight: 1 },
    { arbitrary: odd, weight: 1 },
  );

const payloadArbitrary = () =>
  fc.record({
    iss: usually(
      maa.issuer,
      fc.constantFrom(
        undefined,
        `${maa.issuer}/`,
        'https://other.attest.azure.net',
        'https://other.attest.azure.net/',
        'HTTPS://other.attest.azure.net',
      ),
      odd,
    ),
    iat: timeArbitrary(NOW - 60),
    nbf: timeArbitrary(NOW - 60),
    exp: timeArbitrary(NOW + 3600),
    type: usually('sgx', fc.constantFrom(undefined, '', 'tdxvm', 'sevsnpvm', 'azurevm', 'SGX'), odd),
    version: usually('1.0', fc.constantFrom(undefined, '2.0', 1), odd),
    removed: usually([], fc.subarray(Object.keys(basePayload), { maxLength: 2 })) as fc.Arbitrary<string[]>,
    replaced: usually(undefined, fc.tuple(fc.constantFrom(...Object.keys(basePayload)), odd)) as fc.Arbitrary<
      [string, unknown] | undefined
    >,
  });

function place(target: Record<string, unknown>, name: string, value: unknown): void {
  if (value === undefined) delete target[name];
  else Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

describe('inspect agrees with the verifier', () => {
  it('on MAA-shaped tokens with adversarial headers, issuers, times and claims (300 runs)', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 }),
        headerArbitrary(maa.activeKid, maa.jwksUri),
        payloadArbitrary(),
        fc.constantFrom('valid', 'valid', 'valid', 'corrupt', 'empty'),
        async (which, h, p, signature) => {
          const { verifier, judge } = configurations[which]!;
          const header: Record<string, unknown> = {};
          for (const name of ['alg', 'kid', 'jku', 'typ'] as const) place(header, name, h[name]);
          for (const name of h.extra) place(header, name, name === 'crit' ? ['exp'] : {});
          const payload: Record<string, unknown> = { ...basePayload };
          for (const name of p.removed) delete payload[name];
          if (p.replaced !== undefined) place(payload, p.replaced[0], p.replaced[1]);
          place(payload, 'iss', p.iss);
          place(payload, 'iat', p.iat);
          place(payload, 'nbf', p.nbf);
          place(payload, 'exp', p.exp);
          place(payload, 'x-ms-attestation-type', p.type);
          place(payload, 'x-ms-ver', p.version);

          const input = `${segment(header)}.${segment(payload)}`;
          const scheme: Rsa = (ALL_RSA as readonly unknown[]).includes(h.alg) ? (h.alg as Rsa) : 'RS256';
          const signed = signWith(scheme, input, maa.privateKey());
          const sig =
            signature === 'valid'
              ? signed
              : signature === 'empty'
                ? ''
                : `${signed.slice(0, 10)}${signed[10] === 'A' ? 'B' : 'A'}${signed.slice(11)}`;
          const token = `${input}.${sig}`;

          const inspected = inspectVerdict(token, judge);
          const kidPublished = typeof h.kid === 'string' && maa.keys().includes(h.kid);
          const actual = await codeOf(verifier, token);
          seen.set(actual, (seen.get(actual) ?? 0) + 1);
          expect(actual).toBe(expectedCode(inspected, kidPublished, signature === 'valid'));
          if (signature === 'valid' && kidPublished) {
            // Exactly what the verifier accepts: nothing found, or the verifier's own refusal.
            expect(actual === 'accepted').toBe(inspected.verdict === 'accepted');
          }
        },
      ),
      { numRuns: 300 },
    );
    // Not vacuous: the runs reach acceptance and the refusals of every stage.
    expect(seen.get('accepted') ?? 0).toBeGreaterThan(10);
    for (const code of [
      'ERR_ALG_NOT_ALLOWED',
      'ERR_HEADER_INVALID',
      'ERR_ISSUER_UNTRUSTED',
      'ERR_KEY_NOT_FOUND',
      'ERR_SIGNATURE_INVALID',
      'ERR_CLAIM_INVALID',
      'ERR_TOKEN_EXPIRED',
    ]) {
      expect(seen.get(code) ?? 0, code).toBeGreaterThan(0);
    }
  }, 60_000);

  it('on random strings and damaged tokens (500 runs)', async () => {
    const genuine = maa.mint();
    const jws = fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.='),
      maxLength: 300,
    });
    const damaged = fc.tuple(fc.nat(genuine.length - 1), fc.nat(genuine.length - 1), fc.string({ maxLength: 4 })).map(([a, b, text]) => {
      const [from, to] = a < b ? [a, b] : [b, a];
      return `${genuine.slice(0, from)}${text}${genuine.slice(to)}`;
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 }),
        fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), jws, damaged),
        async (which, token) => {
          const { verifier, judge } = configurations[which]!;
          const inspected = inspectVerdict(token, judge);
          const actual = await codeOf(verifier, token);
          if (inspected.firstStage !== undefined && BEFORE_KEY.has(inspected.firstStage)) {
            expect(actual).toBe(inspected.verdict);
          } else {
            // Decoded and past the issuer: the verifier's answer depends on the key and the signature.
            expect(['ERR_KEY_NOT_FOUND', 'ERR_SIGNATURE_INVALID', inspected.verdict]).toContain(actual);
          }
        },
      ),
      { numRuns: 500 },
    );
  }, 60_000);

  it('the verifier stops at the first refusal that inspect lists among several', async () => {
    const { verifier, judge } = configurations[0]!;
    const header = { alg: 'RS256', kid: maa.activeKid, typ: 'at+jwt', x5c: ['MIIB'] };
    const payload = { ...basePayload, exp: NOW - 3600, 'x-ms-attestation-type': undefined };
    const input = `${segment(header)}.${segment(payload)}`;
    const token = `${input}.${signWith('RS256', input, maa.privateKey())}`;
    const report = inspectToken(token, judge);
    expect(report.refusals).toEqual(['ERR_HEADER_INVALID', 'ERR_TOKEN_EXPIRED', 'ERR_CLAIM_INVALID']);
    expect(report.observations.filter((o) => o.severity === 'refuse').map((o) => o.rule)).toEqual([
      'typ-jwt',
      'no-x5c',
      'not-expired',
      'attestation-result',
    ]);
    expect(report.verdict).toBe('ERR_HEADER_INVALID');
    expect(await codeOf(verifier, token)).toBe('ERR_HEADER_INVALID');
  });
});

describe('judgeOptionsOf', () => {
  it('judges no issuer untrusted in advance when issuers are resolved at run time', () => {
    expect(judgeOptionsOf(resolveOptions({ issuers: () => undefined })).issuers).toBeUndefined();
    expect(judgeOptionsOf(resolveOptions({ issuers: ['https://a.attest.azure.net'] })).issuers).toEqual(
      new Set(['https://a.attest.azure.net']),
    );
  });
});
