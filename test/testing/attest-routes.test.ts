import { createHash, generateKeyPairSync } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../../src/index.js';
import {
  DEFAULT_POLICY_TEXT,
  MAX_ATTEST_BODY_BYTES,
  createBindingRuntimeData,
  createOpenEnclaveReport,
  createSgxQuote,
  createTestAttestationService,
  policyHash,
  type SgxQuoteOptions,
  type TestAttestationService,
  type TestAttestationServiceOptions,
} from '../../src/testing/index.js';
import { SERVICE_KEY, decodeToken, post } from './helpers.js';

const SGX = '/attest/SgxEnclave?api-version=2022-08-01';
const OE = '/attest/OpenEnclave?api-version=2020-10-01';
const b64u = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');

let maa: TestAttestationService;
beforeAll(async () => {
  maa = await createTestAttestationService({ privateKeys: [SERVICE_KEY] });
});
afterAll(() => maa.close());

const extra: TestAttestationService[] = [];
afterEach(async () => {
  await Promise.all(extra.splice(0).map((service) => service.close()));
});
async function start(options: TestAttestationServiceOptions): Promise<TestAttestationService> {
  const service = await createTestAttestationService({ privateKeys: [SERVICE_KEY], ...options });
  extra.push(service);
  return service;
}

async function attest(body: Record<string, unknown>, path = SGX, service = maa): Promise<Record<string, unknown>> {
  const { status, json } = await post(service.issuer, path, body);
  expect(status, JSON.stringify(json)).toBe(200);
  return decodeToken(json['token'] as string).payload;
}

async function refusal(
  body: unknown,
  path = SGX,
  service = maa,
  headers?: Record<string, string>,
): Promise<{ status: number; code: unknown; message: string }> {
  const { status, json } = await post(service.issuer, path, body, headers);
  const error = json['error'] as { code: unknown; message: string };
  return { status, code: error.code, message: error.message };
}

describe('built quotes round-trip through the attest routes', () => {
  const enclaves: [string, SgxQuoteOptions][] = [
    ['release enclave, product 7, SVN 3', { productId: 7, svn: 3 }],
    ['debug enclave, product 0, SVN 0', { debug: true, productId: 0, svn: 0, mrenclave: '01'.repeat(32) }],
    ['release enclave, product 65535, SVN 65535, quote v4', { version: 4, productId: 65535, svn: 65535, mrsigner: 'fe'.repeat(32) }],
  ];
  for (const [name, options] of enclaves) {
    for (const [route, build, field] of [
      [SGX, createSgxQuote, 'quote'],
      [OE, createOpenEnclaveReport, 'report'],
    ] as const) {
      it(`${name} via ${route.split('?')[0]}: the token says what the quote says, and the library verifies it`, async () => {
        const evidence = build(options);
        const token = (await post(maa.issuer, route, { [field]: b64u(evidence) })).json['token'] as string;
        const claims = decodeToken(token).payload;
        const expected = {
          'x-ms-sgx-is-debuggable': options.debug ?? false,
          'x-ms-sgx-product-id': options.productId,
          'x-ms-sgx-svn': options.svn,
          'x-ms-sgx-mrenclave': options.mrenclave ?? expect.any(String),
          'x-ms-sgx-mrsigner': options.mrsigner ?? expect.any(String),
          'x-ms-sgx-report-data': '00'.repeat(64),
          'is-debuggable': options.debug ?? false,
          'product-id': options.productId,
          svn: options.svn,
          tee: 'sgx',
          'x-ms-policy-hash': policyHash(DEFAULT_POLICY_TEXT),
        };
        expect(claims).toMatchObject(expected);
        expect((claims['x-ms-sgx-collateral'] as Record<string, string>)['quotehash']).toBe(
          createHash('sha256').update(evidence).digest('hex'),
        );
        expect(claims).not.toHaveProperty('x-ms-sgx-config-id');
        const verified = await createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true }).verify(token);
        expect(verified.sgx).toMatchObject({ productId: options.productId, svn: options.svn, isDebuggable: options.debug ?? false });
      });
    }
  }
});

describe('runtime data, init-time data and nonce', () => {
  it('binary runtime data bound by the report data: x-ms-sgx-ehd and its legacy copies', async () => {
    const runtimeData = Buffer.from([0, 1, 2, 255]);
    const claims = await attest({
      quote: b64u(createSgxQuote({ runtimeData })),
      runtimeData: { data: b64u(runtimeData), dataType: 'Binary' },
    });
    expect(claims).toMatchObject({ 'x-ms-sgx-ehd': 'AAEC_w', 'maa-ehd': 'AAEC_w', 'aas-ehd': 'AAEC_w' });
    expect(claims['x-ms-sgx-report-data']).toBe(createHash('sha256').update(runtimeData).digest('hex') + '00'.repeat(32));
  });

  it('JSON runtime data (with a trailing NUL): x-ms-runtime with its members sorted at every depth', async () => {
    const runtimeData = Buffer.from('{"z":1,"a":{"y":[{"b":1,"a":2}],"x":true}}\0', 'utf8');
    const claims = await attest({
      quote: b64u(createSgxQuote({ runtimeData })),
      runtimeData: { data: b64u(runtimeData), dataType: 'JSON' },
    });
    expect(JSON.stringify(claims['x-ms-runtime'])).toBe('{"a":{"x":true,"y":[{"a":2,"b":1}]},"z":1}');
    expect(claims).not.toHaveProperty('x-ms-sgx-ehd');
  });

  it('runtime data the report data does not bind is MAA 400', async () => {
    const error = await refusal({
      quote: b64u(createSgxQuote({ runtimeData: 'other' })),
      runtimeData: { data: b64u('sent'), dataType: 'Binary' },
    });
    expect(error).toMatchObject({ status: 400, code: 'InvalidParameter', message: expect.stringContaining('runtime data does not match') });
  });

  it('init-time data bound by CONFIGID: the KSS claims and x-ms-inittime', async () => {
    const initTimeData = Buffer.from('{"b":2,"a":1}', 'utf8');
    const claims = await attest({
      quote: b64u(createSgxQuote({ initTimeData, configSvn: 4, isvFamilyId: '0f'.repeat(16) })),
      initTimeData: { data: b64u(initTimeData), dataType: 'JSON' },
    });
    expect(claims).toMatchObject({
      'x-ms-sgx-config-id': createHash('sha256').update(initTimeData).digest('hex') + '00'.repeat(32),
      'x-ms-sgx-config-svn': 4,
      'x-ms-sgx-isv-family-id': '0f'.repeat(16),
      'x-ms-sgx-isv-extended-product-id': '00'.repeat(16),
      'x-ms-inittime': { a: 1, b: 2 },
    });
    const error = await refusal({
      quote: b64u(createSgxQuote({ kss: true })),
      initTimeData: { data: b64u(initTimeData), dataType: 'Binary' },
    });
    expect(error).toMatchObject({
      status: 400,
      code: 'InvalidParameter',
      message: expect.stringContaining('init-time data does not match'),
    });
  });

  it('nonce is echoed with api-version 2022-08-01, which has it, and not with 2020-10-01', async () => {
    const quote = b64u(createSgxQuote());
    expect(await attest({ quote, nonce: 'abc' })).toMatchObject({ nonce: 'abc' });
    expect(await attest({ quote, nonce: 'abc' }, '/attest/SgxEnclave?api-version=2020-10-01')).not.toHaveProperty('nonce');
  });

  it('binding runtime data: the verified token carries the key and the nonce', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const runtimeData = createBindingRuntimeData({ nonce: 'N'.repeat(43), publicKey });
    const token = (
      await post(maa.issuer, SGX, {
        quote: b64u(createSgxQuote({ runtimeData })),
        runtimeData: { data: b64u(runtimeData), dataType: 'Binary' },
      })
    ).json['token'] as string;
    const verified = await createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true }).verify(token);
    expect(verified.runtimeKey?.export({ format: 'jwk' })).toEqual(publicKey.export({ format: 'jwk' }));
  });
});

describe('refusals in MAA error shape', () => {
  const quote = b64u(createSgxQuote());
  it.each([
    ['/attest/SgxEnclave', { quote }, 400, 'ApiVersionUnspecified'],
    ['/attest/SgxEnclave?api-version=2018-09-01-preview', { quote }, 400, 'UnsupportedApiVersion'],
    ['/attest/SgxEnclave?api-version=2020-10-01&api-version=2022-08-01', { quote }, 400, 'AmbiguousApiVersion'],
    [SGX, '{"quote":', 400, 'InvalidParameter'],
    [SGX, [quote], 400, 'InvalidParameter'],
    [SGX, {}, 400, 'InvalidParameter'],
    [SGX, { report: quote }, 400, 'InvalidParameter'],
    [SGX, { quote: 'not base64url!' }, 400, 'InvalidParameter'],
    [SGX, { quote: b64u(createSgxQuote().subarray(0, 500)) }, 400, 'InvalidParameter'],
    [SGX, { quote: b64u(createOpenEnclaveReport()) }, 400, 'InvalidParameter'],
    [OE, { report: quote }, 400, 'InvalidParameter'],
    [SGX, { quote, runtimeData: 'x' }, 400, 'InvalidParameter'],
    [SGX, { quote, runtimeData: { data: 'AA', dataType: 'Text' } }, 400, 'InvalidParameter'],
    [SGX, { quote, runtimeData: { data: 12, dataType: 'Binary' } }, 400, 'InvalidParameter'],
    [SGX, { quote, draftPolicyForAttestation: 7 }, 400, 'InvalidParameter'],
    [SGX, { quote, draftPolicyForAttestation: 'version=1.0; bogus' }, 400, 'InvalidParameter'],
  ])('%s %j: %i %s', async (path, body, status, code) => {
    expect(await refusal(body, path)).toMatchObject({ status, code });
  });

  it('JSON runtime data that is not a JSON object', async () => {
    for (const text of ['[1]', '{"a":', '\u00ff']) {
      const data = Buffer.from(text, text === '\u00ff' ? 'latin1' : 'utf8');
      const error = await refusal({
        quote: b64u(createSgxQuote({ runtimeData: data })),
        runtimeData: { data: b64u(data), dataType: 'JSON' },
      });
      expect(error).toMatchObject({ status: 400, code: 'InvalidParameter' });
    }
  });

  it('a body that is not JSON by its Content-Type: 415', async () => {
    expect(await refusal({ quote }, SGX, maa, { 'content-type': 'text/plain' })).toMatchObject({
      status: 415,
      code: 'UnsupportedMediaType',
    });
  });

  it(`a body over ${MAX_ATTEST_BODY_BYTES} bytes: 413, whether declared or streamed`, async () => {
    const big = JSON.stringify({ quote: 'A'.repeat(MAX_ATTEST_BODY_BYTES) });
    expect(await refusal(big)).toMatchObject({ status: 413, code: 'RequestEntityTooLarge' });
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(`${maa.issuer}${SGX}`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(big);
    });
    expect(streamed).toBe(413);
  });

  it('other methods and paths: 404', async () => {
    const response = await fetch(`${maa.issuer}${SGX}`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'NotFound', message: 'The requested resource was not found.' } });
    expect((await fetch(`${maa.issuer}/attest/Tpm?api-version=2020-10-01`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('counts attest requests; an attest fault applies to them', async () => {
    const service = await start({});
    await post(service.issuer, SGX, { quote });
    service.setFault('attest', { status: 503, times: 1 });
    expect(await refusal({ quote }, SGX, service)).toMatchObject({ status: 503, code: 'Http503' });
    expect((await post(service.issuer, SGX, { quote })).status).toBe(200);
    expect(service.requests).toMatchObject({ attest: 3, total: 3 });
  });
});

describe('instance policy', () => {
  const release = b64u(createSgxQuote({ svn: 2 }));
  const debug = b64u(createSgxQuote({ debug: true, svn: 2 }));

  it('policyText is evaluated and hashed: a policy refusing debug enclaves, issuing its own claim', async () => {
    const policyText =
      'version= 1.0; authorizationrules { [type=="x-ms-sgx-is-debuggable", value==false] => permit(); };' +
      ' issuancerules { c:[type=="x-ms-sgx-svn"] => issue(type="level", value=c.value); };';
    const service = await start({ policyText });
    expect(service.policyHash).toBe(policyHash(policyText));
    const claims = await attest({ quote: release }, SGX, service);
    expect(claims).toMatchObject({ level: 2, 'x-ms-policy': { level: 2 }, 'x-ms-policy-hash': policyHash(policyText) });
    expect(claims).not.toHaveProperty('svn');
    expect(await refusal({ quote: debug }, SGX, service)).toMatchObject({
      status: 400,
      code: 'PolicyEvaluationError',
      message: expect.stringContaining('No Permit claim'),
    });
  });

  it('a draft policy overrides the instance policy and gives an unsigned token', async () => {
    const draft = 'version= 1.0; authorizationrules { => permit(); }; issuancerules { => issue(type="draft", value=true); };';
    const { json } = await post(maa.issuer, SGX, { quote: release, draftPolicyForAttestation: draft });
    const token = decodeToken(json['token'] as string);
    expect(token.header['alg']).toBe('none');
    expect(token.signature).toBe('');
    expect(token.payload).toMatchObject({ draft: true, 'x-ms-policy': { draft: true }, 'x-ms-policy-hash': policyHash(draft) });
    await expect(createVerifier({ issuers: [maa.issuer], allowInsecureLoopback: true }).verify(json['token'])).rejects.toMatchObject({
      code: expect.any(String),
    });
  });

  it('a policy function sees the evidence claims, can deny or add claims', async () => {
    const seen: unknown[] = [];
    const service = await start({
      policy: ({ claims, type, quote }) => {
        seen.push({ type, svn: claims['x-ms-sgx-svn'], qeSvn: quote.header.qeSvn });
        if (claims['x-ms-sgx-is-debuggable'] === true) return { deny: 'debug enclaves are not allowed here' };
        return { claims: { tier: 'gold' } };
      },
    });
    expect(await attest({ quote: release }, SGX, service)).toMatchObject({
      tier: 'gold',
      'x-ms-policy': expect.objectContaining({ tier: 'gold', svn: 2 }),
    });
    expect(await refusal({ quote: debug }, SGX, service)).toMatchObject({
      status: 400,
      code: 'PolicyEvaluationError',
      message: expect.stringContaining('debug enclaves are not allowed here'),
    });
    expect(seen).toEqual([
      { type: 'SgxEnclave', svn: 2, qeSvn: 5 },
      { type: 'SgxEnclave', svn: 2, qeSvn: 5 },
    ]);
  });

  it('a policy function that throws is a 500 that says nothing of its error', async () => {
    const service = await start({
      policy: () => {
        throw new Error('secret internal detail');
      },
    });
    const error = await refusal({ quote: release }, SGX, service);
    expect(error).toMatchObject({ status: 500, code: 'InternalServerError' });
    expect(error.message).not.toContain('secret');
  });

  it('a policyText the instance cannot evaluate, or a policy that is not a function, stops it from starting', async () => {
    await expect(createTestAttestationService({ privateKeys: [SERVICE_KEY], policyText: 'version=1.0; nonsense' })).rejects.toThrow(
      RangeError,
    );
    await expect(createTestAttestationService({ privateKeys: [SERVICE_KEY], policy: 'permit' as never })).rejects.toThrow(TypeError);
  });
});

describe('attest routes under abuse', () => {
  const quote = b64u(createSgxQuote());

  it('deeply nested JSON runtime data is a 400, not a stack overflow', async () => {
    const data = Buffer.from(`{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`, 'utf8');
    const error = await refusal({
      quote: b64u(createSgxQuote({ runtimeData: data })),
      runtimeData: { data: b64u(data), dataType: 'JSON' },
    });
    expect(error).toMatchObject({ status: 400, code: 'InvalidParameter', message: expect.stringContaining('nests deeper') });
  });

  it('a claim issued under the name __proto__ is a plain member, not a prototype, and repeats stay an array', async () => {
    const service = await start({
      policyText:
        'version=1.0; authorizationrules { => permit(); }; issuancerules { c:[type=="x-ms-sgx-collateral"] => issue(type="__proto__", value=c.value);' +
        ' => issue(type="__proto__", value=1); => issue(type="toString", value=2); };',
    });
    const { json } = await post(service.issuer, SGX, { quote });
    const payloadText = Buffer.from((json['token'] as string).split('.')[1]!, 'base64url').toString('utf8');
    const members = Object.keys(JSON.parse(payloadText) as object);
    expect(payloadText).toContain('"__proto__":[{');
    expect(members).toContain('toString');
    const policy = (JSON.parse(payloadText) as Record<string, Record<string, unknown>>)['x-ms-policy']!;
    expect(Object.hasOwn(policy, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(policy)).toBe(Object.prototype);
  });

  it('an issued claim cannot overwrite what the evidence says', async () => {
    const service = await start({
      policyText: 'version=1.0; authorizationrules { => permit(); }; issuancerules { => issue(type="x-ms-sgx-svn", value=99); };',
      policy: () => ({ claims: { 'x-ms-sgx-mrsigner': 'ff'.repeat(32) } }),
    });
    const claims = await attest({ quote }, SGX, service);
    expect(claims).toMatchObject({ 'x-ms-sgx-svn': 1, 'x-ms-policy': { 'x-ms-sgx-svn': 99, 'x-ms-sgx-mrsigner': 'ff'.repeat(32) } });
    expect(claims['x-ms-sgx-mrsigner']).not.toBe('ff'.repeat(32));
  });

  it('a client that drops the connection mid-body leaves the instance serving', async () => {
    await new Promise<void>((resolve) => {
      const req = request(`${maa.issuer}${SGX}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': '1000' },
      });
      req.on('error', () => resolve());
      req.write('{"quote":"');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    expect((await post(maa.issuer, SGX, { quote })).status).toBe(200);
  });

  it('a policy function returning junk is a 500', async () => {
    const service = await start({ policy: () => ({ claims: 'x' }) as never });
    expect(await refusal({ quote }, SGX, service)).toMatchObject({ status: 500, code: 'InternalServerError' });
  });
});
