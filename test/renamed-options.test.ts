import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  challengeHandler,
  createChallengeStore,
  createMemoryReplayStore,
  createRequestGate,
  createVerifier,
  type Verifier,
} from '../src/index.js';
import { checkSignatureOptions } from '../src/possession/verify-request.js';
import { createTestAttestationService, DEFAULT_MRSIGNER, type TestAttestationService } from '../src/testing/index.js';
import { RENAMED_OPTIONS } from '../src/verify/options.js';
import { refusalOf } from './helpers/outcome.js';

// Renamed options are refused, never aliased: an upgrade that still passes an old name must fail at
// construction, naming the new one, instead of running with a default.
let maa: TestAttestationService;
let verifier: Verifier;
beforeAll(async () => {
  maa = await createTestAttestationService();
  verifier = createVerifier({ issuers: [{ issuer: maa.issuer, jwks: maa.publicJwks() }], allowInsecureLoopback: true });
});
afterAll(async () => {
  await maa.close();
});

type Build = (name: string, value: unknown) => unknown;
/** A value valid under the new name: a clock for `now`, a small whole number of the unit otherwise. */
const valueFor = (renamed: string): unknown => (renamed === 'now' ? Date.now : 5);

const constructors: [string, string, string, Build][] = [
  ...Object.entries(RENAMED_OPTIONS).map(([old, renamed]): [string, string, string, Build] => [
    'createVerifier',
    old,
    renamed,
    (name, value) => createVerifier({ issuers: ['https://a.attest.azure.net'], [name]: value } as never),
  ]),
  ['createChallengeStore', 'ttl', 'ttlSeconds', (name, value) => createChallengeStore({ [name]: value } as never)],
  ['createChallengeStore', 'clock', 'now', (name, value) => createChallengeStore({ [name]: value } as never)],
  ['createMemoryReplayStore', 'clock', 'now', (name, value) => createMemoryReplayStore({ [name]: value } as never)],
  [
    'challengeHandler',
    'retryAfter',
    'retryAfterSeconds',
    (name, value) => challengeHandler(createChallengeStore(), { [name]: value } as never),
  ],
  [
    'createRequestGate',
    'retryAfter',
    'retryAfterSeconds',
    (name, value) => createRequestGate({ verifier, policy: { mrsigner: [DEFAULT_MRSIGNER] }, [name]: value } as never),
  ],
  ['checkSignatureOptions', 'clockTolerance', 'clockToleranceSeconds', (name, value) => checkSignatureOptions({ [name]: value } as never)],
];

describe('renamed options are refused with ERR_CONFIG_INVALID naming the new name', () => {
  it.each(constructors)('%s refuses %s, naming %s', (_where, old, renamed, build) => {
    const error = refusalOf(() => build(old, valueFor(renamed)), 'ERR_CONFIG_INVALID');
    expect(error.message).toContain(`\`${old}\``);
    expect(error.message).toContain(`\`${renamed}\``);
  });

  it.each(constructors)('%s accepts the new name (%s → %s)', (_where, _old, renamed, build) => {
    // The same value under the new name builds: the refusal above is about the name alone.
    expect(() => build(renamed, valueFor(renamed))).not.toThrow();
  });
});
