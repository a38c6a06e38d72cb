import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signRequest, type SignRequestOptions } from '../../src/client/index.js';
import { AttestationError } from '../../src/errors.js';
import type { SignatureInput } from '../../src/possession/signature-base.js';
import { verifyRequestSignature, type SignedRequest, type VerifyRequestSignatureOptions } from '../../src/possession/verify-request.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { signatureHeaders } from '../helpers/sign.js';
import { keyCases, memoryNonceStore, outcome, refusal } from './helpers.js';
import { asyncRefusalOf } from '../helpers/outcome.js';

const KEYS = keyCases();
const EC = KEYS[0]!;
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2EifQ.c2lnbmF0dXJl';
const OTHER_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2IifQ.b3RoZXI';
const NOW = 1_700_000_000_000;
const JSON_BODY = '{"hello": "world"}';

type Sign = Omit<SignRequestOptions, 'privateKey' | 'method' | 'url'> & { privateKey?: KeyObject };

/** What a relying party would see for a request the client signed. */
function signed(method: string, url: string, options: Sign = {}): Omit<SignedRequest, 'headers'> & { headers: Record<string, string> } {
  const target = new URL(url);
  const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
  const headers = signRequest({ token: TOKEN, now: () => NOW, privateKey: EC.privateKey, ...options, method, url });
  return {
    method,
    url: `${target.pathname}${target.search}`,
    authority: target.host,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body }),
  };
}

function check(request: SignedRequest, key: KeyObject = EC.publicKey, options: VerifyRequestSignatureOptions = {}) {
  return verifyRequestSignature(request, key, { now: () => NOW, ...options });
}

/** Signs an arbitrary input, bypassing the client's profile, to build requests the client would never send. */
function handSigned(request: SignedRequest, input: SignatureInput, privateKey: KeyObject = EC.privateKey): SignedRequest {
  const headers = signatureHeaders(
    { method: request.method, target: request.url, authority: request.authority, headers: request.headers },
    input,
    privateKey,
  );
  return { ...request, headers: { ...request.headers, ...headers } };
}

const PROFILE = ['@method', '@authority', '@path', '@query', 'authorization'];
const created = (offsetSeconds = 0) => Math.floor(NOW / 1000) + offsetSeconds;

describe('verifyRequestSignature: round trips', () => {
  describe.each(KEYS)('$name ($algorithm)', ({ algorithm, privateKey, publicKey }) => {
    it('accepts a GET without a body', async () => {
      const request = signed('GET', 'https://rp.example.com/secrets', { privateKey, algorithm });
      expect(request.headers['signature-input']).toContain(`alg="${algorithm}"`);
      expect(request.headers['content-digest']).toBeUndefined();
      await expect(check(request, publicKey)).resolves.toBeUndefined();
    });

    it('accepts a POST with a JSON body and its Content-Digest', async () => {
      const request = signed('POST', 'https://rp.example.com:8443/orders?dry-run=1&x=%20y', { privateKey, algorithm, body: JSON_BODY });
      expect(request.headers['content-digest']).toBe('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
      await expect(check(request, publicKey)).resolves.toBeUndefined();
    });
  });

  it('accepts an RSA-PSS signature checked against a public key imported from a JWK, as runtime keys are', async () => {
    const rsa = KEYS[1]!;
    const jwk = rsa.publicKey.export({ format: 'jwk' });
    const runtimeKey = createPublicKey({ key: { ...jwk, kid: 'HCLAkPub' }, format: 'jwk' });
    await expect(
      check(signed('GET', 'https://rp.example.com/', { privateKey: rsa.privateKey, keyId: 'HCLAkPub' }), runtimeKey),
    ).resolves.toBeUndefined();
  });

  it('accepts an EC P-256 key imported from a JWK shaped like x-ms-runtime.jwk', async () => {
    // Same members as the runtime JWK of test/fixtures/maa/decoded/cpp-openenclave-runtimejson-aad-2022.json;
    // that recorded point itself is not on P-256 (a placeholder in the SDK recording), so node:crypto refuses to import it.
    const shape = fixtureJson<{ payload: { 'x-ms-runtime': { jwk: Record<string, string> } } }>(
      'decoded/cpp-openenclave-runtimejson-aad-2022.json',
    ).payload['x-ms-runtime'].jwk;
    const { x, y } = EC.publicKey.export({ format: 'jwk' });
    const runtimeKey = createPublicKey({ key: { ...shape, x, y }, format: 'jwk' });
    await expect(check(signed('GET', 'https://rp.example.com/'), runtimeKey)).resolves.toBeUndefined();
  });

  it('accepts header names in any case and several field lines for the signature fields', async () => {
    const request = signed('GET', 'https://rp.example.com/a');
    const [input, signature] = [request.headers['signature-input']!, request.headers.signature!];
    const headers = { Authorization: request.headers.authorization, 'Signature-Input': [input], SIGNATURE: signature };
    await expect(check({ ...request, headers })).resolves.toBeUndefined();
  });

  it('verifies the labelled signature among several when a label is configured', async () => {
    const request = signed('GET', 'https://rp.example.com/a', { label: 'attested' });
    const headers = {
      ...request.headers,
      'signature-input': `proxy=("@method");created=1, ${request.headers['signature-input']}`,
      signature: `proxy=:AAAA:, ${request.headers.signature}`,
    };
    await expect(check({ ...request, headers }, EC.publicKey, { label: 'attested' })).resolves.toBeUndefined();
    expect(await refusal(() => check({ ...request, headers }))).toMatch(/2 signatures/);
  });

  it('accepts a signature exactly at the edges of its window', async () => {
    await expect(check(signed('GET', 'https://rp.example.com/', { now: () => NOW - 65_000 }))).resolves.toBeUndefined();
    await expect(check(signed('GET', 'https://rp.example.com/', { now: () => NOW + 5_000 }))).resolves.toBeUndefined();
  });
});

describe('verifyRequestSignature: refusals, always ERR_POSSESSION', () => {
  it('refuses a signature made with another key', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(await refusal(() => check(signed('GET', 'https://rp.example.com/', { privateKey: other.privateKey })))).toMatch(
      /does not verify/,
    );
  });

  it("refuses a stolen token signed with the thief's own key (the token binds the victim's key)", async () => {
    const thief = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const request = signed('GET', 'https://rp.example.com/secrets', { privateKey: thief.privateKey, token: TOKEN });
    // The relying party takes the key from the verified token, i.e. the victim's key.
    expect(await refusal(() => check(request, EC.publicKey))).toMatch(/does not verify/);
  });

  it('refuses a signed request moved to a different Authorization token', async () => {
    const request = signed('GET', 'https://rp.example.com/secrets');
    const moved = { ...request, headers: { ...request.headers, authorization: `Bearer ${OTHER_TOKEN}` } };
    expect(await refusal(() => check(moved))).toMatch(/does not verify/);
  });

  it.each([
    ['stale (older than maxAgeSeconds + tolerance)', -66, /older than 60 seconds/],
    ['from the future (beyond the tolerance)', 6, /in the future/],
  ])('refuses a created time %s', async (_name, offset, message) => {
    const request = signed('GET', 'https://rp.example.com/', { now: () => NOW + offset * 1000 });
    expect(await refusal(() => check(request))).toMatch(message);
  });

  it('honours maxAgeSeconds and clockToleranceSeconds', async () => {
    const request = signed('GET', 'https://rp.example.com/', { now: () => NOW - 20_000 });
    expect(await refusal(() => check(request, EC.publicKey, { maxAgeSeconds: 10, clockToleranceSeconds: 0 }))).toMatch(
      /older than 10 seconds/,
    );
    await expect(check(request, EC.publicKey, { maxAgeSeconds: 10, clockToleranceSeconds: 10 })).resolves.toBeUndefined();
  });

  it('refuses a signature without created, and one past its expires', async () => {
    const base = { method: 'GET', url: '/', authority: 'rp.example.com', headers: { authorization: `Bearer ${TOKEN}` } };
    const noCreated = handSigned(base, { components: PROFILE, parameters: [['alg', 'ecdsa-p256-sha256']] });
    expect(await refusal(() => check(noCreated))).toMatch(/no created/);
    const expired = handSigned(base, {
      components: PROFILE,
      parameters: [
        ['created', created(-10)],
        ['expires', created(-6)],
        ['alg', 'ecdsa-p256-sha256'],
      ],
    });
    expect(await refusal(() => check(expired))).toMatch(/expired/);
    const backwards = handSigned(base, {
      components: PROFILE,
      parameters: [
        ['created', created()],
        ['expires', created(-1)],
        ['alg', 'ecdsa-p256-sha256'],
      ],
    });
    expect(await refusal(() => check(backwards))).toMatch(/expires before/);
  });

  it('refuses a tampered body (the digest no longer matches)', async () => {
    const request = signed('POST', 'https://rp.example.com/orders', { body: JSON_BODY });
    expect(await refusal(() => check({ ...request, body: Buffer.from('{"hello": "world!"}') }))).toMatch(/does not match the body/);
  });

  it('refuses a tampered body whose Content-Digest was recomputed (the signature covers the digest)', async () => {
    const request = signed('POST', 'https://rp.example.com/orders', { body: JSON_BODY });
    const body = Buffer.from('{"hello": "mallory"}');
    const forged = {
      ...request,
      body,
      headers: {
        ...request.headers,
        'content-digest': signRequest({ method: 'POST', url: 'https://x/', body, token: TOKEN, privateKey: EC.privateKey })[
          'content-digest'
        ]!,
      },
    };
    expect(await refusal(() => check(forged))).toMatch(/does not verify/);
  });

  it('refuses a body the signature does not cover, and a covered but missing Content-Digest', async () => {
    const request = signed('GET', 'https://rp.example.com/orders');
    expect(await refusal(() => check({ ...request, body: Buffer.from(JSON_BODY) }))).toMatch(/does not cover content-digest/);
    const withBody = signed('POST', 'https://rp.example.com/orders', { body: JSON_BODY });
    const { 'content-digest': _dropped, ...headers } = withBody.headers;
    expect(await refusal(() => check({ ...withBody, headers }))).toMatch(/Content-Digest is missing/);
  });

  it.each([
    ['the path', { url: '/orders/other' }],
    ['the query', { url: '/orders?amount=1000' }],
    ['an added query', { url: '/orders?' + 'x=1' }],
    ['the method', { method: 'DELETE' }],
    ['the authority', { authority: 'other.example.com' }],
  ])('refuses a request whose %s was tampered with', async (_name, change) => {
    const request = signed('GET', 'https://rp.example.com/orders?amount=1');
    await expect(check(request)).resolves.toBeUndefined();
    expect(await refusal(() => check({ ...request, ...change }))).toMatch(/does not verify/);
  });

  it('refuses a missing Signature or Signature-Input', async () => {
    const request = signed('GET', 'https://rp.example.com/');
    const { signature: _s, ...noSignature } = request.headers;
    const { 'signature-input': _i, ...noInput } = request.headers;
    expect(await refusal(() => check({ ...request, headers: noSignature }))).toMatch(/no Signature header/);
    expect(await refusal(() => check({ ...request, headers: noInput }))).toMatch(/no Signature-Input header/);
    expect(await refusal(() => check({ ...request, headers: { authorization: request.headers.authorization } }))).toMatch(
      /no Signature-Input/,
    );
  });

  it('refuses a Signature and Signature-Input with different labels', async () => {
    const request = signed('GET', 'https://rp.example.com/');
    const headers = { ...request.headers, signature: request.headers.signature!.replace(/^sig1=/, 'sig2=') };
    expect(await refusal(() => check({ ...request, headers }))).toMatch(/different signatures/);
  });

  it.each([
    ['authorization', ['@method', '@authority', '@path', '@query']],
    ['@path', ['@method', '@authority', '@query', 'authorization']],
    ['@query', ['@method', '@authority', '@path', 'authorization']],
    ['@authority', ['@method', '@path', '@query', 'authorization']],
    ['@method', ['@authority', '@path', '@query', 'authorization']],
  ])('refuses a signature that does not cover %s', async (missing, components) => {
    const request = handSigned(
      { method: 'GET', url: '/a?b', authority: 'rp.example.com', headers: { authorization: `Bearer ${TOKEN}` } },
      {
        components,
        parameters: [
          ['created', created()],
          ['alg', 'ecdsa-p256-sha256'],
        ],
      },
    );
    expect(await refusal(() => check(request))).toMatch(new RegExp(`does not cover "${missing}"`));
  });

  it('checks configured requiredComponents, and signatures may cover more', async () => {
    const request = handSigned(
      { method: 'GET', url: '/a', authority: 'rp.example.com', headers: { authorization: `Bearer ${TOKEN}`, 'x-tenant': 'blue' } },
      {
        components: [...PROFILE, 'x-tenant'],
        parameters: [
          ['created', created()],
          ['alg', 'ecdsa-p256-sha256'],
        ],
      },
    );
    await expect(check(request)).resolves.toBeUndefined();
    await expect(check(request, EC.publicKey, { requiredComponents: ['@method', 'x-tenant'] })).resolves.toBeUndefined();
    expect(await refusal(() => check(request, EC.publicKey, { requiredComponents: ['x-other'] }))).toMatch(/does not cover "x-other"/);
  });

  it('refuses a covered header that is absent from the request', async () => {
    const request = handSigned(
      { method: 'GET', url: '/a', authority: 'rp.example.com', headers: { authorization: `Bearer ${TOKEN}`, 'x-tenant': 'blue' } },
      {
        components: [...PROFILE, 'x-tenant'],
        parameters: [
          ['created', created()],
          ['alg', 'ecdsa-p256-sha256'],
        ],
      },
    );
    const { 'x-tenant': _gone, ...headers } = request.headers as Record<string, string>;
    expect(await refusal(() => check({ ...request, headers }))).toMatch(/"x-tenant" is missing/);
  });

  it.each([
    ['alg missing', [['created', 0]]],
    [
      'an alg of another key type',
      [
        ['created', 0],
        ['alg', 'rsa-pss-sha512'],
      ],
    ],
    [
      'an HMAC alg',
      [
        ['created', 0],
        ['alg', 'hmac-sha256'],
      ],
    ],
    [
      'an unknown alg',
      [
        ['created', 0],
        ['alg', 'none'],
      ],
    ],
  ] as const)('refuses %s for an EC P-256 key', async (_name, parameters) => {
    const withTime = parameters.map(([name, value]) => (name === 'created' ? (['created', created()] as const) : ([name, value] as const)));
    const request = handSigned(
      { method: 'GET', url: '/', authority: 'rp.example.com', headers: { authorization: `Bearer ${TOKEN}` } },
      { components: PROFILE, parameters: withTime },
    );
    expect(await refusal(() => check(request))).toMatch(/alg/);
  });

  it('refuses an Ed25519 alg on an RSA key and the reverse: the key type decides, not the request', async () => {
    const [, rsa, , ed] = KEYS;
    expect(await refusal(() => check(signed('GET', 'https://rp.example.com/', { privateKey: ed!.privateKey }), rsa!.publicKey))).toMatch(
      /alg "ed25519" is not allowed/,
    );
    expect(await refusal(() => check(signed('GET', 'https://rp.example.com/', { privateKey: rsa!.privateKey }), ed!.publicKey))).toMatch(
      /alg "rsa-pss-sha512" is not allowed/,
    );
  });

  it('refuses keys it cannot check: P-384, RSA under 2048 bits', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const request = signed('GET', 'https://rp.example.com/');
    expect(await refusal(() => check(request, p384))).toMatch(/cannot verify/);
    expect(await refusal(() => check(request, rsa1024))).toMatch(/cannot verify/);
  });

  it('refuses a replayed nonce when a nonce store is given, and only after the signature verified', async () => {
    const store = memoryNonceStore(() => NOW);
    const request = signed('GET', 'https://rp.example.com/');
    await expect(check(request, EC.publicKey, { nonceStore: store })).resolves.toBeUndefined();
    expect(await refusal(() => check(request, EC.publicKey, { nonceStore: store }))).toMatch(/nonce has been used/);
    // A fresh signature (new nonce) passes.
    await expect(check(signed('GET', 'https://rp.example.com/'), EC.publicKey, { nonceStore: store })).resolves.toBeUndefined();
    // A forgery reusing a nonce it saw does not burn it: nothing is recorded before the signature verifies.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = signed('GET', 'https://rp.example.com/', { privateKey: other.privateKey });
    const sizeBefore = store.seen.size;
    expect(await refusal(() => check(forged, EC.publicKey, { nonceStore: store }))).toMatch(/does not verify/);
    expect(store.seen.size).toBe(sizeBefore);
    // The entry outlives the acceptance window.
    expect([...store.seen.values()].every((until) => until >= NOW + 70_000)).toBe(true);
  });

  it('requires a nonce only when asked, and wraps a failing store', async () => {
    const store = memoryNonceStore();
    const noNonce = signed('GET', 'https://rp.example.com/', { nonce: false });
    await expect(check(noNonce, EC.publicKey, { nonceStore: store })).resolves.toBeUndefined();
    expect(await refusal(() => check(noNonce, EC.publicKey, { nonceStore: store, requireNonce: true }))).toMatch(/no nonce/);
    const broken = {
      once: async () => {
        throw new Error('redis down');
      },
    };
    // A failing store is not the client's fault: unavailable (503), as for the jti replay store.
    const error = await asyncRefusalOf(
      () => check(signed('GET', 'https://rp.example.com/'), EC.publicKey, { nonceStore: broken }),
      'ERR_REPLAY_STORE_UNAVAILABLE',
    );
    expect(error.message).toMatch(/nonce store failed/);
    expect(error.status).toBe(503);
  });

  it('refuses wrong options with ERR_CONFIG_INVALID', async () => {
    const request = signed('GET', 'https://rp.example.com/');
    for (const options of [
      { maxAgeSeconds: -1 },
      { clockToleranceSeconds: Number.NaN },
      { requiredComponents: ['@target-uri'] },
      { requiredComponents: ['Authorization'] },
      { requireNonce: true },
      { label: 'Sig 1' },
    ]) {
      expect(await outcome(() => check(request, EC.publicKey, options))).toBe('ERR_CONFIG_INVALID');
    }
    expect(await outcome(() => check(request, EC.privateKey))).toBe('ERR_CONFIG_INVALID');
  });

  it('refuses a covered header value carrying a line break (it would forge lines of the base)', async () => {
    const request = signed('GET', 'https://rp.example.com/');
    const headers = { ...request.headers, authorization: `${request.headers.authorization}\n"@path": /admin` };
    expect(await refusal(() => check({ ...request, headers }))).toMatch(/outside visible ASCII/);
  });

  it('refuses a request target that is not in origin form', async () => {
    const request = signed('GET', 'https://rp.example.com/a');
    expect(await refusal(() => check({ ...request, url: 'https://rp.example.com/a' }))).toMatch(/origin form/);
  });

  it.each([
    ['a token where a string belongs', 'sig1=("@method");created=1;alg=ecdsa'],
    ['a decimal created', 'sig1=("@method");created=1.5'],
    ['component parameters', 'sig1=("@method" "content-digest";sf);created=1'],
    ['an unknown parameter', 'sig1=("@method");created=1;colour="blue"'],
    ['a derived component the profile does not support', 'sig1=("@target-uri");created=1'],
    ['@signature-params as a component', 'sig1=("@signature-params");created=1'],
    ['a component covered twice', 'sig1=("@method" "@method");created=1'],
    ['an upper-case field name', 'sig1=("Authorization");created=1'],
    ['a non-canonical member (extra spaces)', 'sig1=( "@method"  "@path" );created=1'],
    ['a bare item instead of an inner list', 'sig1="@method"'],
    ['a negative created', 'sig1=("@method");created=-1'],
    ['an empty keyid', 'sig1=("@method");created=1;keyid=""'],
    ['a duplicated label', 'sig1=("@method");created=1, sig1=("@path");created=1'],
    ['an unterminated inner list', 'sig1=("@method";created=1'],
    ['a trailing comma', 'sig1=("@method");created=1,'],
    ['an over-long field', `sig1=("@method");created=1;keyid="${'k'.repeat(5000)}"`],
    ['too many components', `sig1=(${Array.from({ length: 40 }, (_, i) => `"x-h${i}"`).join(' ')});created=1`],
  ])('refuses a malformed Signature-Input: %s', async (_name, input) => {
    const request = signed('GET', 'https://rp.example.com/');
    expect(await outcome(() => check({ ...request, headers: { ...request.headers, 'signature-input': input } }))).toBe('ERR_POSSESSION');
  });

  it.each([
    ['non-canonical base64', (s: string) => s.replace(/=:$/, ':')],
    ['a token instead of bytes', () => 'sig1=abc'],
    ['a string instead of bytes', () => 'sig1="abc"'],
    ['parameters on the signature', (s: string) => `${s};x=1`],
    ['an empty signature', () => 'sig1=::'],
    ['a truncated signature', (s: string) => s.replace(/:[A-Za-z0-9+/=]+:$/, ':AAAA:')],
    ['two signatures', (s: string) => `${s}, sig2=:AAAA:`],
    ['stray characters in base64', (s: string) => s.replace(/^sig1=:/, 'sig1=:*')],
  ])('refuses a malformed Signature: %s', async (_name, change) => {
    const request = signed('GET', 'https://rp.example.com/');
    expect(await outcome(() => check({ ...request, headers: { ...request.headers, signature: change(request.headers.signature!) } }))).toBe(
      'ERR_POSSESSION',
    );
  });
});

describe('verifyRequestSignature: fuzzed Signature and Signature-Input', () => {
  const request = signed('POST', 'https://rp.example.com/orders?x=1', { body: JSON_BODY, nonce: false });
  const sfAlphabet = [...'sig1=():;,"\\ ?*-_.0123456789@abcdefghijklmnopqrstuvwxyzABCXYZ+/\t'];
  const sfText = fc.string({ unit: fc.constantFrom(...sfAlphabet), maxLength: 120 });

  it('refuses arbitrary structured-field-like text in either header, always with ERR_POSSESSION', async () => {
    await fc.assert(
      fc.asyncProperty(sfText, fc.boolean(), async (text, inInput) => {
        const headers = { ...request.headers, [inInput ? 'signature-input' : 'signature']: text };
        expect(await outcome(() => check({ ...request, headers }))).toBe('ERR_POSSESSION');
      }),
      { numRuns: 300 },
    );
  });

  it('refuses arbitrary full-range strings and arrays of them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 })),
        fc.boolean(),
        async (value, inInput) => {
          const headers = { ...request.headers, [inInput ? 'signature-input' : 'signature']: value };
          expect(await outcome(() => check({ ...request, headers }))).toBe('ERR_POSSESSION');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses single-character edits of a valid pair, except whitespace RFC 8941 trims around the field', async () => {
    await expect(check(request)).resolves.toBeUndefined();
    const edit = fc.record({
      header: fc.constantFrom('signature-input', 'signature'),
      kind: fc.constantFrom('insert', 'delete', 'replace'),
      at: fc.nat(),
      char: fc.constantFrom(...sfAlphabet),
    });
    await fc.assert(
      fc.asyncProperty(edit, async ({ header, kind, at, char }) => {
        const original = request.headers[header]!;
        const i = at % (original.length + 1);
        const edited =
          kind === 'insert'
            ? original.slice(0, i) + char + original.slice(i)
            : kind === 'delete'
              ? original.slice(0, i) + original.slice(i + 1)
              : original.slice(0, i) + char + original.slice(i + 1);
        const result = await outcome(() => check({ ...request, headers: { ...request.headers, [header]: edited } }));
        if (result === 'accepted') expect(edited.replace(/^ +|[ \t]+$/g, '')).toBe(original);
        else expect(result).toBe('ERR_POSSESSION');
      }),
      { numRuns: 400 },
    );
  });

  it('never lets anything but an AttestationError escape, whatever the request shape', async () => {
    const weird = [
      { ...request, headers: null },
      { ...request, url: 42 },
      { ...request, method: undefined },
      { ...request, body: 'not bytes' },
      { ...request, headers: { ...request.headers, authorization: ['a', 7] } },
    ] as unknown as SignedRequest[];
    for (const candidate of weird) {
      const error = await check(candidate).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AttestationError);
    }
  });
});
