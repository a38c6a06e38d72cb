/**
 * Property-based hardening with fast-check: mutations of valid tokens never verify and only ever fail with
 * an AttestationError; random policies compile or fail with ERR_CONFIG_INVALID; compiled policies evaluate
 * any payload without throwing, and the shorthand means exactly what the README says.
 *
 * Keys are pinned (no network) and the token cache is off, so every run takes the full verification path.
 * RSA signing costs about a millisecond, so only the two re-signing properties sign per run (300 runs
 * each); the others mutate a pool of tokens signed once.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttestationError,
  compilePolicy,
  createVerifier,
  evaluatePolicy,
  type CompiledPolicy,
  type VerifiedAttestation,
  type Verifier,
} from '../../src/index.js';
import { createTestAttestationService, DEFAULT_MRSIGNER, type TestAttestationService } from '../../src/testing/index.js';
import { decodeSegment, outcomeOf, segmentsOf, signJws } from './helpers.js';
import { ACCEPTED, outcome } from '../helpers/outcome.js';
import { lookupClaim } from '../../src/claims/catalog.js';

const ALL_RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;
const POOL_SIZE = 24;

let maa: TestAttestationService;
let verifier: Verifier;
let untrusted: KeyObject;
let pool: string[];
let valid: Set<string>;

beforeAll(async () => {
  maa = await createTestAttestationService({ keyCount: 2 });
  untrusted = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  verifier = createVerifier({
    issuers: [{ issuer: maa.issuer, jwks: maa.publicJwks() }],
    allowInsecureLoopback: true,
    tokenCache: false,
    algorithms: [...ALL_RSA],
  });
  const [first, second] = maa.keys() as [string, string];
  // Varied headers (two kids, with and without typ/jku) and payloads, so that swaps mix distinct segments.
  pool = Array.from({ length: POOL_SIZE }, (_, i) =>
    maa.mint(
      { 'x-ms-sgx-svn': i % 5, nonce: `n${i}` },
      {
        kid: i % 2 === 0 ? first : second,
        header: i % 3 === 0 ? { typ: undefined } : i % 3 === 1 ? { jku: undefined } : {},
        alg: i % 4 === 3 ? 'PS256' : 'RS256',
      },
    ),
  );
  valid = new Set(pool);
  // The pool itself verifies: otherwise "mutations never verify" would prove nothing.
  for (const token of pool) expect(await outcomeOf(verifier, token)).toBe('accepted');
});
afterAll(async () => {
  await maa.close();
});

/** Never accepted, and refused with an AttestationError only (outcomeOf fails the run on anything else). */
async function neverVerifies(token: unknown): Promise<void> {
  if (typeof token === 'string' && valid.has(token)) return; // a "mutation" that rebuilt a valid token
  const outcome = await outcomeOf(verifier, token);
  expect(outcome).toBeInstanceOf(AttestationError);
}

const tokenIndex = fc.nat({ max: POOL_SIZE - 1 });

describe('mutations of valid tokens never verify and fail only with AttestationError', () => {
  it('a bit flipped in any character of any segment (2000 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        tokenIndex,
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.nat({ max: 15 }),
        async (index, where, bit) => {
          const token = pool[index]!;
          const position = Math.floor(where * token.length);
          const flipped = String.fromCharCode(token.charCodeAt(position) ^ (1 << bit));
          await neverVerifies(`${token.slice(0, position)}${flipped}${token.slice(position + 1)}`);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a bit flipped in the decoded bytes of any segment, re-encoded canonically (2000 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        tokenIndex,
        fc.nat({ max: 2 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.nat({ max: 7 }),
        async (index, part, where, bit) => {
          const segments = segmentsOf(pool[index]!);
          const bytes = Buffer.from(segments[part]!, 'base64url');
          const position = Math.floor(where * bytes.length);
          bytes[position] = bytes[position]! ^ (1 << bit);
          segments[part] = bytes.toString('base64url');
          await neverVerifies(segments.join('.'));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('segments picked from two valid tokens, in any order (2000 runs)', async () => {
    const pick = fc.tuple(tokenIndex, fc.nat({ max: 2 }));
    await fc.assert(
      fc.asyncProperty(pick, pick, pick, async (...picks) => {
        await neverVerifies(picks.map(([index, part]) => segmentsOf(pool[index]!)[part]).join('.'));
      }),
      { numRuns: 2000 },
    );
  });

  it('truncated at either end, or with a slice cut out (1500 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(tokenIndex, fc.nat(), fc.nat(), fc.constantFrom('prefix', 'suffix', 'cut'), async (index, a, b, kind) => {
        const token = pool[index]!;
        const from = a % token.length;
        const to = from + 1 + (b % (token.length - from));
        const mutated =
          kind === 'prefix'
            ? token.slice(0, from)
            : kind === 'suffix'
              ? token.slice(from + 1)
              : `${token.slice(0, from)}${token.slice(to)}`;
        expect(mutated.length).toBeLessThan(token.length);
        await neverVerifies(mutated);
      }),
      { numRuns: 1500 },
    );
  });

  const claimName = fc.oneof(
    fc.constantFrom(
      'iss',
      'exp',
      'nbf',
      'iat',
      'jti',
      'nonce',
      'x-ms-ver',
      'x-ms-attestation-type',
      'x-ms-policy-hash',
      'x-ms-sgx-mrenclave',
      'x-ms-sgx-mrsigner',
      'x-ms-sgx-svn',
      'x-ms-sgx-product-id',
      'x-ms-sgx-is-debuggable',
      'x-ms-sgx-report-data',
      'x-ms-sgx-collateral',
      'x-ms-runtime',
      'svn',
      'is-debuggable',
      'sgx-mrsigner',
      'tee',
      '__proto__',
      'constructor',
      'toString',
    ),
    fc.string({ maxLength: 12 }),
  );
  const edit = fc.tuple(claimName, fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }));
  const edits = fc.array(edit, { minLength: 1, maxLength: 4 });

  function applyEdits(payload: Record<string, unknown>, changes: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
    for (const [name, value] of changes) {
      if (value === undefined) delete payload[name];
      // defineProperty: a plain assignment to `__proto__` would set the prototype, not a claim.
      else Object.defineProperty(payload, name, { value, enumerable: true, writable: true, configurable: true });
    }
    return payload;
  }

  it('random claim edits re-signed by an untrusted key naming the genuine kid (300 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(tokenIndex, edits, async (index, changes) => {
        const [headerSegment, payloadSegment] = segmentsOf(pool[index]!);
        const header = { ...decodeSegment(headerSegment), alg: 'RS256' };
        const token = signJws(header, applyEdits(decodeSegment(payloadSegment), changes), untrusted);
        await neverVerifies(token);
      }),
      { numRuns: 300 },
    );
  });

  it('random claim edits re-signed by the TRUSTED key: accepted with views that match the claims, or an AttestationError (300 runs)', async () => {
    const policy = compilePolicy({ mrsigner: [DEFAULT_MRSIGNER], minSvn: 1 });
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(edits, async (changes) => {
        const claims = applyEdits(decodeSegment(segmentsOf(maa.mint())[1]), changes);
        const token = signJws({ alg: 'RS256', kid: maa.activeKid, typ: 'JWT' }, claims, maa.privateKey());
        const outcome = await outcomeOf(verifier, token);
        if (outcome === 'accepted') {
          accepted += 1;
          const result = await verifier.verify(token);
          expect(result.issuer).toBe(maa.issuer);
          expect(result.claims['iss']).toBe(maa.issuer);
          expect(result.attestationType).toBe(result.claims['x-ms-attestation-type']);
          if (result.attestationType === 'sgx') {
            expect(result.sgx?.svn).toBe(result.claims['x-ms-sgx-svn']);
            expect(result.sgx?.isDebuggable).toBe(result.claims['x-ms-sgx-is-debuggable']);
          }
          const decision = evaluatePolicy(policy, result);
          expect(decision.allowed).toBe(decision.reasons.length === 0);
        }
      }),
      { numRuns: 300 },
    );
    // Edits of unchecked claims keep tokens valid: the accepted branch must be exercised too.
    expect(accepted).toBeGreaterThan(10);
  });

  it('random JSON as header and payload with a borrowed signature (1000 runs)', async () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    await fc.assert(
      fc.asyncProperty(json, json, tokenIndex, async (header, payload, index) => {
        const encode = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url');
        await neverVerifies(`${encode(header)}.${encode(payload)}.${segmentsOf(pool[index]!)[2]}`);
      }),
      { numRuns: 1000 },
    );
  });

  it('random strings, from any code units and from the compact-JWS alphabet (2000 runs)', async () => {
    const jwsAlphabet = fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.='),
      maxLength: 400,
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), jwsAlphabet, fc.anything()), async (value) => {
        await neverVerifies(value);
      }),
      { numRuns: 2000 },
    );
  });
});

// --- policies --------------------------------------------------------------------------------------

const ISSUER = 'https://sharedwus.wus.attest.azure.net';
const HEX = '0123456789abcdefABCDEF';
const hex = (length: number) => fc.string({ unit: fc.constantFrom(...HEX), minLength: length, maxLength: length });
/** Mostly valid hex of a length, sometimes off by one or not hex: near misses are what validation is for. */
const nearHex = (length: number) =>
  fc.oneof(
    { weight: 4, arbitrary: hex(length) },
    { weight: 1, arbitrary: hex(length - 1) },
    { weight: 1, arbitrary: fc.string({ minLength: length, maxLength: length }) },
  );

const CLAIMS = [
  'x-ms-sgx-mrenclave',
  'x-ms-sgx-mrsigner',
  'x-ms-sgx-svn',
  'x-ms-sgx-product-id',
  'x-ms-sgx-is-debuggable',
  'x-ms-attestation-type',
  'x-ms-policy-hash',
  'x-ms-sgx-report-data',
  'x-ms-isolation-tee.x-ms-compliance-status',
  'x-ms-isolation-tee.x-ms-sevsnpvm-launchmeasurement',
  'x-ms-runtime.keys',
  'x-ms-runtime.client.nonce',
  'x-ms-sgx-collateral.quotehash',
  'x-ms-sevsnpvm-hostdata',
  'svn',
  'secureboot',
  'iss',
  // Mistakes and traps.
  'x-ms-sgx-mrsinger',
  'x-ms-sgx-svn.value',
  '__proto__',
  'constructor',
  'toString',
  '',
  'a..b',
  '.x',
];
const OPERATORS = ['equals', 'notEquals', 'less', 'lessOrEquals', 'greater', 'greaterOrEquals', 'exists', 'matches'];

const conditionValue = fc.oneof(
  hex(64),
  hex(96),
  fc.integer({ min: -5, max: 70_000 }),
  fc.boolean(),
  fc.string({ maxLength: 8 }),
  fc.jsonValue({ maxDepth: 2 }),
);
const condition = fc
  .record({
    claim: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...CLAIMS) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }),
    operator: fc.constantFrom(...OPERATORS),
    value: conditionValue,
    extra: fc.option(fc.constantFrom('equals', 'junk'), { freq: 8 }),
  })
  .map(({ claim, operator, value, extra }) => ({ claim, [operator]: value, ...(extra === null ? {} : { [extra]: value }) }));

const { rule } = fc.letrec<{ rule: unknown }>((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    condition,
    fc.record({ allOf: fc.array(tie('rule'), { maxLength: 3 }) }),
    fc.record({ anyOf: fc.array(tie('rule'), { maxLength: 3 }) }),
  ),
}));

const authority = fc.oneof(
  { weight: 6, arbitrary: fc.constant(ISSUER) },
  { weight: 1, arbitrary: fc.constantFrom('http://127.0.0.1:1', 'not a url', 'https://a.attest.azure.net/?q', '') },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
);
const flags = fc.record(
  { allowDebug: fc.boolean(), allowAnyEnclave: fc.boolean(), allowUnknownClaims: fc.boolean() },
  { requiredKeys: [] },
);
const block = fc
  .record({ authority, group: fc.constantFrom('allOf', 'anyOf'), rules: fc.array(rule, { maxLength: 4 }) })
  .map(({ authority: a, group, rules }) => ({ authority: a, [group]: rules }));
const skrPolicy = fc
  .tuple(
    fc.record({ version: fc.constantFrom('1.0.0', '2.0', 1) }, { requiredKeys: [] }),
    fc.constantFrom('anyOf', 'allOf'),
    fc.array(block, { maxLength: 3 }),
    flags,
  )
  .map(([version, top, blocks, flagSet]) => ({ ...version, [top]: blocks, ...flagSet }));
const shorthandPolicy = fc
  .tuple(
    fc.record(
      {
        mrsigner: fc.oneof(fc.array(nearHex(64), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
        mrenclave: fc.array(nearHex(64), { maxLength: 2 }),
        minSvn: fc.oneof(fc.integer({ min: -1, max: 70_000 }), fc.double(), fc.string({ maxLength: 3 })),
        productId: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.string({ maxLength: 2 })),
        policyHash: fc.array(fc.base64String({ maxLength: 44 }), { maxLength: 2 }),
        authority: fc.oneof(authority, fc.array(authority, { maxLength: 2 })),
        attestationType: fc.constantFrom('sgx', 'sevsnpvm', '', 'tdxvm'),
      },
      { requiredKeys: [] },
    ),
    flags,
  )
  .map(([members, flagSet]) => ({ ...members, ...flagSet }));

// Valid by construction: typed values for catalogue claims, non-empty groups, allowAnyEnclave so that a
// branch without an identity pin is not a refusal. Every one of these must compile.
// Within uint16: an equals outside a claim's range can never hold and is refused at load.
const integer = fc.integer({ min: 0, max: 65_535 });
const validCondition = fc
  .oneof(
    fc.record({
      claim: fc.constantFrom('x-ms-sgx-mrsigner', 'x-ms-sgx-mrenclave'),
      op: fc.constantFrom('equals', 'notEquals'),
      value: hex(64),
    }),
    fc.record({
      claim: fc.constantFrom('x-ms-sgx-svn', 'x-ms-sgx-product-id', 'svn'),
      op: fc.constantFrom('equals', 'notEquals', 'less', 'lessOrEquals', 'greater', 'greaterOrEquals'),
      value: integer,
    }),
    fc.record({
      claim: fc.constantFrom('x-ms-sgx-is-debuggable', 'secureboot'),
      op: fc.constantFrom('equals', 'notEquals'),
      value: fc.boolean(),
    }),
    fc.record({
      claim: fc.constant('x-ms-attestation-type'),
      op: fc.constant('equals'),
      value: fc.constantFrom('sgx', 'sevsnpvm', 'azurevm', 'tdxvm'),
    }),
    fc.record({ claim: fc.constant('x-ms-isolation-tee.x-ms-sevsnpvm-launchmeasurement'), op: fc.constant('equals'), value: hex(96) }),
    fc.record({
      claim: fc.constant('x-ms-isolation-tee.x-ms-compliance-status'),
      op: fc.constant('equals'),
      value: fc.constantFrom('azure-compliant-cvm', 'x'),
    }),
    fc.record({
      claim: fc.stringMatching(/^x-ms-runtime(\.[a-z_]{1,6}){1,3}$/),
      op: fc.constantFrom('equals', 'notEquals'),
      value: fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean()),
    }),
    fc.record({ claim: fc.constantFrom(...CLAIMS.slice(0, 17)), op: fc.constant('exists'), value: fc.boolean() }),
    // Unknown claim names are allowed below (allowUnknownClaims: true) and compare untyped.
    fc.record({
      // Only names the catalogue does not know: a known one ("ver", "svn"…) is typed, and an integer may not fit it.
      claim: fc.stringMatching(/^[a-z][a-z-]{0,10}$/).filter((name) => lookupClaim([name]).found === 'unknown'),
      op: fc.constantFrom(...OPERATORS.slice(0, 6)),
      value: fc.integer({ min: -3, max: 3 }),
    }),
  )
  .map(({ claim, op, value }) => ({ claim, [op]: value }));
const { validRule } = fc.letrec<{ validRule: unknown }>((tie) => ({
  validRule: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    validCondition,
    fc.record({ allOf: fc.array(tie('validRule'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ anyOf: fc.array(tie('validRule'), { minLength: 1, maxLength: 3 }) }),
  ),
}));
const validSkr = fc
  .tuple(
    fc.constantFrom('anyOf', 'allOf'),
    fc.array(
      fc.record({
        authority: fc.constantFrom(ISSUER, 'https://sharedeus.eus.attest.azure.net'),
        group: fc.constantFrom('allOf', 'anyOf'),
        rules: fc.array(validRule, { minLength: 1, maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    fc.boolean(),
  )
  .map(([top, blocks, allowDebug]) => ({
    version: '1.0.0',
    [top]: blocks.map(({ authority: a, group, rules }) => ({ authority: a, [group]: rules })),
    allowAnyEnclave: true,
    allowUnknownClaims: true,
    allowDebug,
  }));
const validShorthand = fc
  .record(
    {
      mrenclave: fc.array(hex(64), { minLength: 1, maxLength: 2 }),
      minSvn: fc.integer({ min: 0, max: 10 }),
      productId: fc.integer({ min: 0, max: 10 }),
      policyHash: fc.array(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), { minLength: 1, maxLength: 2 }),
      authority: fc.constantFrom(ISSUER, [ISSUER, 'https://sharedeus.eus.attest.azure.net']),
      allowDebug: fc.boolean(),
    },
    { requiredKeys: [] },
  )
  .chain((members) => fc.array(hex(64), { minLength: 1, maxLength: 3 }).map((mrsigner) => ({ mrsigner, ...members })));
const validPolicy = fc.oneof(validSkr, validShorthand);

function compiles(policy: unknown): CompiledPolicy | undefined {
  let compiled: CompiledPolicy | undefined;
  expect([ACCEPTED, 'ERR_CONFIG_INVALID']).toContain(outcome(() => (compiled = compilePolicy(policy))));
  return compiled;
}

describe('policies', () => {
  it('arbitrary JSON either compiles or throws ERR_CONFIG_INVALID (2000 runs)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (policy) => void compiles(policy)),
      { numRuns: 2000 },
    );
  });

  it('arbitrary JavaScript values (null prototypes, __proto__ keys, sparse arrays…) either compile or throw ERR_CONFIG_INVALID (1000 runs)', () => {
    const anything = fc.anything({
      maxDepth: 4,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withBoxedValues: true,
    });
    fc.assert(
      fc.property(anything, (policy) => void compiles(policy)),
      { numRuns: 1000 },
    );
  });

  it('valid policies (SKR and shorthand, typed values, nested groups) all compile (1000 runs)', () => {
    fc.assert(
      fc.property(validPolicy, (policy) => {
        expect(compiles(policy), JSON.stringify(policy)).toBeDefined();
      }),
      { numRuns: 1000 },
    );
  });

  it('policy-shaped trees with near misses either compile or throw ERR_CONFIG_INVALID (3000 runs)', () => {
    let compiled = 0;
    fc.assert(
      fc.property(fc.oneof(validPolicy, skrPolicy, shorthandPolicy), (policy) => {
        if (compiles(policy) !== undefined) compiled += 1;
      }),
      { numRuns: 3000 },
    );
    // The generator must reach both outcomes, or the property says little about either.
    expect(compiled).toBeGreaterThan(300);
    expect(compiled).toBeLessThan(2700);
  });

  it('nesting 10 000 groups deep is ERR_CONFIG_INVALID, not a stack overflow', () => {
    let nested: unknown = { claim: 'x-ms-sgx-mrsigner', equals: DEFAULT_MRSIGNER };
    for (let depth = 0; depth < 10_000; depth++) nested = { allOf: [nested] };
    expect(compiles({ anyOf: [{ authority: ISSUER, allOf: [nested] }] })).toBeUndefined();
  });

  const claimsArbitrary = fc.dictionary(
    fc.oneof(fc.constantFrom(...CLAIMS, 'x-ms-isolation-tee', 'x-ms-runtime', 'x-ms-sgx-collateral'), fc.string({ maxLength: 6 })),
    fc.jsonValue({ maxDepth: 3 }),
    { maxKeys: 12 },
  );
  const attestationLike = fc.record({
    issuer: fc.oneof({ weight: 4, arbitrary: fc.constant(ISSUER) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }),
    claims: fc.oneof({ weight: 6, arbitrary: claimsArbitrary }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
  });

  it('compiled policies evaluate random payloads without throwing, and a decision is consistent (2000 runs)', () => {
    const compiledPolicy = validPolicy.map((policy) => compilePolicy(policy));
    fc.assert(
      fc.property(compiledPolicy, attestationLike, (policy, attestation) => {
        const decision = evaluatePolicy(policy, attestation as unknown as VerifiedAttestation);
        expect(typeof decision.allowed).toBe('boolean');
        expect(decision.allowed).toBe(decision.reasons.length === 0);
        for (const reason of decision.reasons) expect(typeof reason.message).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });

  it('the shorthand means exactly: sgx, mrsigner equal up to ASCII case, svn a number >= minSvn, not debuggable (2000 runs)', () => {
    const signer = 'a0'.repeat(32);
    const policy = compilePolicy({ mrsigner: [signer], minSvn: 3 });
    const fold = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());
    const mrsigner = fc.oneof(
      fc.constant(signer),
      fc.constant(signer.toUpperCase()),
      fc.constant(signer.replace('a', '\u212a')), // KELVIN SIGN: toLowerCase() would make it "k"
      nearHex(64),
      fc.jsonValue({ maxDepth: 1 }),
    );
    const claims = fc.record(
      {
        'x-ms-attestation-type': fc.constantFrom('sgx', 'sevsnpvm', 'SGX', 1),
        'x-ms-sgx-mrsigner': mrsigner,
        'x-ms-sgx-svn': fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom('3', 3.5, null, Number.POSITIVE_INFINITY)),
        'x-ms-sgx-is-debuggable': fc.constantFrom(false, true, 'false', 0, null),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(claims, (values) => {
        const expected =
          values['x-ms-attestation-type'] === 'sgx' &&
          typeof values['x-ms-sgx-mrsigner'] === 'string' &&
          values['x-ms-sgx-mrsigner'].length === 64 &&
          fold(values['x-ms-sgx-mrsigner']) === signer &&
          typeof values['x-ms-sgx-svn'] === 'number' &&
          values['x-ms-sgx-svn'] >= 3 &&
          values['x-ms-sgx-is-debuggable'] === false;
        const attestation = { issuer: ISSUER, claims: values } as unknown as VerifiedAttestation;
        expect(evaluatePolicy(policy, attestation).allowed).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
