import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createRequestGate,
  createVerifier,
  requireAttestation,
  verifyAttestationToken,
  type IssuerResolver,
  type VerifierOptions,
} from '../../src/index.js';
import { createTestAttestationService, DEFAULT_MRSIGNER, type TestAttestationService } from '../../src/testing/index.js';
import { codeOf } from '../helpers/outcome.js';

/** Three tenants, each with its own MAA instance. */
let tenants: TestAttestationService[];

beforeAll(async () => {
  tenants = await Promise.all([0, 1, 2].map(() => createTestAttestationService()));
});
afterAll(async () => {
  await Promise.all(tenants.map((tenant) => tenant.close()));
});
beforeEach(() => {
  for (const tenant of tenants) tenant.resetCounters();
});

/** A tenant directory: the issuers it trusts, and every question it was asked. */
function directory(trusted: () => readonly string[] = () => tenants.map((tenant) => tenant.issuer)) {
  const asked: string[] = [];
  const resolver: IssuerResolver = (issuer) => {
    asked.push(issuer);
    return trusted().includes(issuer) ? issuer : undefined;
  };
  return { resolver, asked };
}

function verifierWith(issuers: IssuerResolver, options: Partial<VerifierOptions> = {}) {
  return createVerifier({ issuers, allowInsecureLoopback: true, ...options });
}

describe('issuers resolved at run time', () => {
  it("verifies each tenant's tokens against that tenant's own keys", async () => {
    const { resolver } = directory();
    const verifier = verifierWith(resolver);
    for (const tenant of tenants) {
      const attestation = await verifier.verify(tenant.mint({ 'x-ms-sgx-svn': 4 }));
      expect(attestation.issuer).toBe(tenant.issuer);
    }
    expect(verifier.issuers).toBeUndefined();
    expect(
      verifier
        .keyStatus()
        .map((status) => status.issuer)
        .sort(),
    ).toEqual(tenants.map((tenant) => tenant.issuer).sort());
  });

  it('asks once per issuer, however many tokens arrive at once, and fetches its keys once', async () => {
    const { resolver, asked } = directory();
    const verifier = verifierWith(resolver);
    const [tenant] = tenants;
    const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(tenant!.mint())));
    expect(results).toHaveLength(20);
    await verifier.verify(tenant!.mint());
    expect(asked).toEqual([tenant!.issuer]);
    expect(tenant!.requests.certs).toBe(1);
  });

  it('refuses an issuer the resolver does not know, and remembers the answer', async () => {
    const { resolver, asked } = directory(() => [tenants[0]!.issuer]);
    const verifier = verifierWith(resolver);
    const stranger = tenants[1]!;
    for (let i = 0; i < 5; i += 1) expect(await codeOf(verifier, stranger.mint())).toBe('ERR_ISSUER_UNTRUSTED');
    expect(asked).toEqual([stranger.issuer]);
    expect(stranger.requests.total).toBe(0);
  });

  it('never asks about an iss that no normalised configuration could equal', async () => {
    const { resolver, asked } = directory();
    const verifier = verifierWith(resolver);
    const tenant = tenants[0]!;
    const malformed = [
      `${tenant.issuer}/`, // trailing slash: configurations are normalised without one
      tenant.issuer.toUpperCase(),
      'http://attacker.example', // plain http off loopback
      'https://maa.example/?tenant=1',
      `https://${'a'.repeat(600)}.example`,
      'not a url',
    ];
    for (const iss of malformed) expect(await codeOf(verifier, tenant.mint({ iss }))).toBe('ERR_ISSUER_UNTRUSTED');
    expect(await codeOf(verifier, tenant.mint({ iss: 42 }))).toBe('ERR_ISSUER_UNTRUSTED');
    expect(asked).toEqual([]);
  });

  it('refuses when the resolver answers for another issuer', async () => {
    const [first, second] = tenants;
    const verifier = verifierWith(() => second!.issuer);
    expect(await codeOf(verifier, first!.mint())).toBe('ERR_ISSUER_UNTRUSTED');
    expect(first!.requests.total + second!.requests.total).toBe(0);
  });

  it('normalises the answer as a listed issuer is normalised', async () => {
    const tenant = tenants[0]!;
    const verifier = verifierWith(() => `${tenant.issuer}/`);
    expect((await verifier.verify(tenant.mint())).issuer).toBe(tenant.issuer);
  });

  it('a failing resolver is ERR_METADATA_UNAVAILABLE (503), asked again on the next token', async () => {
    let calls = 0;
    const tenant = tenants[0]!;
    const verifier = verifierWith(async (issuer) => {
      calls += 1;
      if (calls === 1) throw new Error('tenant database down');
      return issuer;
    });
    const refusal = await verifier.verify(tenant.mint()).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ code: 'ERR_METADATA_UNAVAILABLE', status: 503 });
    expect(String((refusal as Error).message)).not.toContain('database');
    expect((await verifier.verify(tenant.mint())).issuer).toBe(tenant.issuer);
    expect(calls).toBe(2);
  });

  it('a resolver that hangs is cut off at fetchTimeout and its signal aborted', async () => {
    let signal: AbortSignal | undefined;
    const verifier = verifierWith(
      (_issuer, context) => {
        signal = context.signal;
        return new Promise(() => {});
      },
      { fetchTimeoutMs: 100 },
    );
    const started = Date.now();
    expect(await codeOf(verifier, tenants[0]!.mint())).toBe('ERR_METADATA_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(signal?.aborted).toBe(true);
  });

  it('an invalid answer is ERR_CONFIG_INVALID', async () => {
    const tenant = tenants[0]!;
    const insecure = createVerifier({ issuers: () => tenant.issuer });
    // allowInsecureLoopback is off: the iss is never even asked about, as no listed http issuer could be.
    expect(await codeOf(insecure, tenant.mint())).toBe('ERR_ISSUER_UNTRUSTED');
    const badSigner = verifierWith((issuer) => ({ issuer, signer: { minSvn: 1 } as never }));
    expect(await codeOf(badSigner, tenant.mint())).toBe('ERR_CONFIG_INVALID');
    const notConfig = verifierWith(() => 42 as never);
    expect(await codeOf(notConfig, tenant.mint())).toBe('ERR_CONFIG_INVALID');
  });

  it('accepts pinned keys in the answer', async () => {
    const tenant = tenants[0]!;
    const verifier = verifierWith((issuer) => ({ issuer, jwks: tenant.publicJwks() }));
    expect((await verifier.verify(tenant.mint())).issuer).toBe(tenant.issuer);
    expect(tenant.requests.total).toBe(0);
  });
});

describe('bounds and ageing', () => {
  it('keeps at most maxIssuers issuers, dropping the least recently used', async () => {
    const { resolver, asked } = directory();
    const verifier = verifierWith(resolver, { maxIssuers: 2 });
    for (const tenant of tenants) await verifier.verify(tenant.mint());
    expect(verifier.keyStatus()).toHaveLength(2);
    expect(verifier.keyStatus().map((status) => status.issuer)).not.toContain(tenants[0]!.issuer);
    await verifier.verify(tenants[0]!.mint());
    expect(asked.filter((issuer) => issuer === tenants[0]!.issuer)).toHaveLength(2);
  });

  it('asks again after issuerResolverMaxAgeSeconds, keeping the key cache when the answer is the same', async () => {
    let now = Date.now();
    const tenant = tenants[0]!;
    let trusted = true;
    const { resolver, asked } = directory(() => (trusted ? [tenant.issuer] : []));
    const verifier = verifierWith(resolver, { issuerResolverMaxAgeSeconds: 60, now: () => now });
    const token = tenant.mint();
    await verifier.verify(token);
    now += 61_000;
    await verifier.verify(tenant.mint());
    expect(asked).toHaveLength(2);
    expect(tenant.requests.certs).toBe(1);

    // Removed from the directory: refused once the answer ages out, a cached token included.
    trusted = false;
    expect(verifier.verifyCached(token)).toBeDefined();
    now += 61_000;
    expect(verifier.verifyCached(token)).toBeUndefined();
    expect(await codeOf(verifier, token)).toBe('ERR_ISSUER_UNTRUSTED');
    expect(verifier.keyStatus()).toHaveLength(0);
  });

  it('does not serve a cached token once the resolver answers differently for its issuer (a signer pin added)', async () => {
    let now = Date.now();
    const tenant = tenants[0]!;
    let pinned = false;
    // Later the directory pins the MAA enclave's signer, which this test instance's keys cannot satisfy.
    const resolver = (issuer: string) => (pinned ? { issuer, signer: { mrsigner: ['ab'.repeat(32)] } } : issuer);
    const verifier = verifierWith(resolver, { issuerResolverMaxAgeSeconds: 60, now: () => now });
    const token = tenant.mint();
    await verifier.verify(token);
    pinned = true;
    now += 61_000;
    expect(await codeOf(verifier, tenant.mint())).not.toBe('accepted');
    expect(verifier.verifyCached(token)).toBeUndefined();
    expect(await codeOf(verifier, token)).not.toBe('accepted');
  });

  it('validates its options at construction', () => {
    const resolver = () => undefined;
    expect(() => createVerifier({ issuers: resolver, maxIssuers: 0 })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    expect(() => createVerifier({ issuers: resolver, issuerResolverMaxAgeSeconds: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
    expect(() => createVerifier({ issuers: 'https://maa.example' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });
});

describe('with policies and the one-shot form', () => {
  it('takes a policy naming a tenant as its authority, which cannot be checked in advance', async () => {
    const [first, second] = tenants;
    const { resolver } = directory();
    const verifier = verifierWith(resolver);
    const policy = { authority: first!.issuer, mrsigner: [DEFAULT_MRSIGNER] };
    expect((await verifier.verify(first!.mint(), { policy })).issuer).toBe(first!.issuer);
    expect(await codeOf(verifier, second!.mint(), { policy })).toBe('ERR_POLICY_DENIED');
  });

  it('gates requests: the request gate and the middleware take such a verifier', async () => {
    const tenant = tenants[1]!;
    const verifier = verifierWith(directory().resolver);
    const policy = { mrsigner: [DEFAULT_MRSIGNER] };
    expect(typeof requireAttestation({ verifier, policy })).toBe('function');
    const gate = createRequestGate({ verifier, policy });
    const outcome = await gate.check({
      method: 'GET',
      target: '/',
      headers: { authorization: `Bearer ${tenant.mint()}` },
      bodyMayFollow: false,
    });
    expect(outcome.ok && outcome.attestation?.issuer).toBe(tenant.issuer);
  });

  it('verifyAttestationToken takes a resolver too', async () => {
    const tenant = tenants[0]!;
    const attestation = await verifyAttestationToken(tenant.mint(), { issuers: (issuer) => issuer, allowInsecureLoopback: true });
    expect(attestation.issuer).toBe(tenant.issuer);
  });
});
