import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverJwksUri } from '../../src/keys/discovery.js';

const ISSUER = 'https://example.wus.attest.azure.net';
const DISCOVERY = '/.well-known/openid-configuration';
let agent: MockAgent;
beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
});
afterEach(async () => {
  await agent.close();
});
const options = () => ({ dispatcher: agent, timeoutMs: 500, maxBytes: 4096, issuer: ISSUER });
const serve = (body: unknown, status = 200) => agent.get(ISSUER).intercept({ path: DISCOVERY }).reply(status, JSON.stringify(body));

describe('discoverJwksUri', () => {
  it('uses jwks_uri from the discovery document', async () => {
    serve({ issuer: ISSUER, jwks_uri: `${ISSUER}/keys` });
    expect(await discoverJwksUri(ISSUER, options())).toBe(`${ISSUER}/keys`);
  });

  it('falls back to <issuer>/certs when discovery is unavailable or names no jwks_uri', async () => {
    serve({}, 404);
    expect(await discoverJwksUri(ISSUER, options())).toBe(`${ISSUER}/certs`);
    serve({ issuer: ISSUER });
    expect(await discoverJwksUri(ISSUER, options())).toBe(`${ISSUER}/certs`);
  });

  it.each([
    ['another host', 'https://attacker.example/certs'],
    ['a look-alike host', 'https://example.wus.attest.azure.net.attacker.example/certs'],
    ['another scheme', 'http://example.wus.attest.azure.net/certs'],
    ['another port', 'https://example.wus.attest.azure.net:8443/certs'],
    ['userinfo', 'https://user:pw@example.wus.attest.azure.net/certs'],
    ['not a URL', 'certs'],
    ['not a string', ['https://example.wus.attest.azure.net/certs']],
  ])('refuses a jwks_uri on %s', async (_name, jwksUri) => {
    serve({ issuer: ISSUER, jwks_uri: jwksUri });
    await expect(discoverJwksUri(ISSUER, options())).rejects.toMatchObject({ code: 'ERR_METADATA_UNAVAILABLE' });
  });

  it('returns the jwks_uri as the URL parser read it, never with the control characters it skipped', async () => {
    // WHATWG URL parsing drops tabs and newlines, so this passes the origin check; the raw text would
    // then reach the fetch and every fetch diagnostic with its CR/LF.
    serve({ issuer: ISSUER, jwks_uri: `${ISSUER}/ce\r\nrts\t` });
    expect(await discoverJwksUri(ISSUER, options())).toBe(`${ISSUER}/certs`);
  });

  it('refuses a document that claims another issuer, or is not an object', async () => {
    serve({ issuer: 'https://other.wus.attest.azure.net', jwks_uri: `${ISSUER}/certs` });
    await expect(discoverJwksUri(ISSUER, options())).rejects.toThrow(/another issuer/);
    serve([1, 2]);
    await expect(discoverJwksUri(ISSUER, options())).rejects.toThrow(/not a JSON object/);
  });
});
