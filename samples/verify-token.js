// A standalone verification script:
//   node samples/verify-token.js <token> <issuer-url>
// Without arguments it verifies a real MAA token offline, with the signing keys recorded from the
// instance and the clock set inside the token's validity window (it expired long ago).
import { readFileSync } from 'node:fs';
import { AttestationError, verifyAttestationToken } from 'attestation-gate';

const [token, issuer] = process.argv.slice(2);
const fixtures = new URL('../test/fixtures/maa/', import.meta.url);
const options =
  token !== undefined && issuer !== undefined
    ? { issuers: [issuer] }
    : {
        issuers: [
          {
            issuer: 'https://sharedwus.wus.attest.azure.net',
            jwks: JSON.parse(readFileSync(new URL('cpp-sgx-shared-wus-2022.certs.json', fixtures), 'utf8')),
          },
        ],
        now: () => Date.parse('2022-05-31T23:00:00Z'),
      };
const input = token ?? readFileSync(new URL('cpp-sgx-shared-wus-2022.jwt', fixtures), 'utf8').trim();

try {
  const attestation = await verifyAttestationToken(input, options);
  console.log(`accepted: ${attestation.attestationType} token from ${attestation.issuer}`);
  if (attestation.sgx) {
    const { mrenclave, mrsigner, productId, svn, isDebuggable } = attestation.sgx;
    console.log({ mrenclave, mrsigner, productId, svn, isDebuggable });
  }
} catch (error) {
  if (!(error instanceof AttestationError)) throw error;
  console.log(`refused: ${error.code} (${error.status}): ${error.message}`);
  process.exitCode = 1;
}
