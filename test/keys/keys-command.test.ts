import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAA_MRSIGNERS } from '../../src/keys/maa-quote.js';
import { cli, fixturePath, tempFile } from '../cli/helpers.js';
import { fixtureText } from '../helpers/fixtures.js';
import { collateralFor, makeWorld, pem } from '../sgx/helpers/pki.js';

const AT = '2026-12-01T00:00:00Z';

describe('attestation-gate keys <certs.json>', () => {
  it('prints the verified MAA enclave behind each key of the 2024 instance', async () => {
    const { code, stdout, stderr } = await cli(['keys', fixturePath('faasm-sgx-custom-eus2-2024.certs.json'), '--at', AT]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('key J0pAPdfXXHqWWimgrH853wMIdh5/fLe1z6uSXYPXCa0=');
    expect(stdout).toContain('verified to the Intel SGX Root CA, via the PCK platform CA, at 2026-12-01T00:00:00Z');
    expect(stdout).toContain(`${MAA_MRSIGNERS.since2021} (MAA, since 2021)`);
    expect(stdout).toContain('67a9771f50e391bbecd3430e03d7d5bbda4fae82ce4ee7acfbae37595656bbc1');
    expect(stdout).toMatch(/debuggable\s+no/);
    expect(stdout).toContain('NOT checked: no Intel collateral given');
    // The "Microsoft Azure Attestation 2020" chain keys carry no quote.
    expect(stdout).toContain('no MAA enclave quote: certificate carries no MAA enclave quote extension');
  });

  it('says which keys are debuggable and which signer (2020 format)', async () => {
    const { code, stdout } = await cli(['keys', fixturePath('azsamples-uks-2020.certs.json'), '--at', AT]);
    expect(code).toBe(0);
    expect(stdout).toContain(`${MAA_MRSIGNERS.before2021} (MAA, before 2021)`);
    expect(stdout).toContain('YES: the SGX DEBUG attribute is set');
    expect(stdout).toContain('valid 2020-05-27T09:24:58Z to 2027-05-27T09:24:58Z');
  });

  it('refuses at pck-chain once the PCK certificate has expired, exit 1 when no key verifies', async () => {
    const { code, stdout } = await cli(['keys', fixturePath('azsamples-uks-2020.certs.json'), '--at', '2027-06-01T00:00:00Z']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/REFUSED at pck-chain: the PCK certificate is not valid/);
  });

  it('prints JSON with --json', async () => {
    const { code, stdout } = await cli(['keys', fixturePath('cpp-sgx-shared-wus-2022.certs.json'), '--at', AT, '--json']);
    expect(code).toBe(0);
    const keys = JSON.parse(stdout) as {
      kid: string;
      outcome: string;
      enclave?: { verifiedToIntelRoot: boolean; isDebuggable: boolean; tcbStatus: string };
    }[];
    const key = keys.find((entry) => entry.kid === 'XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=');
    expect(key).toMatchObject({
      outcome: 'verified',
      enclave: { verifiedToIntelRoot: true, isDebuggable: true, tcbStatus: 'not-checked' },
    });
    expect(keys.filter((entry) => entry.outcome === 'no-quote').length).toBeGreaterThan(0);
  });

  it('checks collateral given with --collateral, and refuses a malformed collateral file (exit 2)', async () => {
    const world = makeWorld();
    const collateral = collateralFor(world);
    const file = tempFile(
      'collateral.json',
      JSON.stringify({
        ...collateral,
        pckCrls: collateral.pckCrls.map((crl) => pem(crl, 'X509 CRL')),
        rootCaCrl: pem(collateral.rootCaCrl, 'X509 CRL'),
      }),
    );
    // Real MAA keys and self-made collateral: the collateral's chain is not Intel's, so every key is refused at collateral.
    const { code, stdout } = await cli(['keys', fixturePath('faasm-sgx-custom-eus2-2024.certs.json'), '--at', AT, '--collateral', file]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/REFUSED at collateral: the root CA CRL's signature does not verify/);
    const bad = await cli([
      'keys',
      fixturePath('faasm-sgx-custom-eus2-2024.certs.json'),
      '--collateral',
      tempFile('c.json', '{"tcbInfos":[]}'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid collateral file/);
  });

  it('usage errors: no argument, two, a file that is not a JWKS', async () => {
    expect((await cli(['keys'])).code).toBe(2);
    expect((await cli(['keys', 'a.json', 'b.json'])).code).toBe(2);
    const notJwks = await cli(['keys', tempFile('x.json', '[1]')]);
    expect(notJwks.code).toBe(2);
    expect(notJwks.stderr).toMatch(/invalid JWKS/);
    expect((await cli(['keys', '--help'])).stdout).toContain('Usage: attestation-gate keys');
  });
});

describe('attestation-gate keys <issuer-url>', () => {
  let server: Server;
  let issuer: string;
  beforeAll(async () => {
    const certs = fixtureText('cpp-sgx-shared-wus-2022.certs.json');
    server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      if (request.url === '/.well-known/openid-configuration') response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/certs` }));
      else if (request.url === '/certs') response.end(certs);
      else response.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches the keys from the instance (loopback here) and verifies them', async () => {
    const { code, stdout } = await cli(['keys', issuer, '--allow-insecure-loopback', '--at', AT]);
    expect(code).toBe(0);
    expect(stdout).toContain('key XxRc2vLh1E5FrsNawnRH3PzuFgqg3q7NvCdnjoJHBGE=');
    expect(stdout).toContain('verified to the Intel SGX Root CA');
  });

  it('refuses an http issuer without --allow-insecure-loopback, and reports an unreachable one', async () => {
    expect((await cli(['keys', issuer])).code).toBe(2);
    const closed = await cli(['keys', 'http://127.0.0.1:1', '--allow-insecure-loopback']);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/ERR_METADATA_UNAVAILABLE/);
  });
});
