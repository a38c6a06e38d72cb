// The token shapes the benchmark verifies: the local MAA instance's default SGX token (3.3 KB), an SGX
// token carrying 320 bytes of runtime data (x-ms-sgx-ehd and its two legacy copies: 5 KB), and a
// confidential-VM token with the claims of a real `azurevm` result (test/fixtures).
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { runtimeDataClaims } from 'attestation-gate/testing';

const azurevmPayload = JSON.parse(
  readFileSync(new URL('../test/fixtures/maa/decoded/cvmguest-azurevm-sharedweu-2023.json', import.meta.url), 'utf8'),
).payload;

/** Claims that turn a default token into a real-shaped azurevm one: the SGX defaults removed, the VM's claims in. */
function azurevmClaims(maa) {
  const defaults = JSON.parse(Buffer.from(maa.mint().split('.')[1], 'base64url').toString('utf8'));
  const claims = {};
  for (const name of Object.keys(defaults)) if (!['iss', 'iat', 'exp', 'nbf', 'jti'].includes(name)) claims[name] = undefined;
  for (const [name, value] of Object.entries(azurevmPayload)) if (!['iss', 'iat', 'exp', 'nbf', 'jti'].includes(name)) claims[name] = value;
  return claims;
}

/** `count` distinct tokens of each shape, by shape name. */
export function mintShapes(maa, count) {
  const azurevm = azurevmClaims(maa);
  const shapes = {
    SGX: () => maa.mint(),
    'SGX + runtime data': () => maa.mint(runtimeDataClaims(randomBytes(320))),
    azurevm: () => maa.mint(azurevm),
  };
  return new Map(Object.entries(shapes).map(([name, make]) => [name, Array.from({ length: count }, make)]));
}
