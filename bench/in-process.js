// In-process verification throughput, in one interleaved run: the raw RSA limit, our verifier on new and
// on repeated tokens, jose's jwtVerify (what a user would otherwise write) and @azure/attestation's own
// token validation.
import { createRequire } from 'node:module';
import { verify as cryptoVerify } from 'node:crypto';
import * as jose from 'jose';
import { createVerifier } from 'attestation-gate';
import { interleave } from './harness.js';

const require = createRequire(import.meta.url);

/**
 * @azure/attestation validates tokens only inside its service clients, with a class it does not export;
 * its policy-token factory returns an instance of that class, which gives us the constructor to drive
 * the same validation offline on our tokens.
 */
function azureValidator(maa) {
  const { createAttestationPolicyToken } = require('@azure/attestation');
  const AttestationToken = Object.getPrototypeOf(createAttestationPolicyToken('version=1.0;')).constructor;
  const signers = [{ keyId: maa.activeKid, certificates: [maa.certificate().pem] }];
  const options = { validateToken: true, validateExpirationTime: true, validateNotBeforeTime: true, validateIssuer: true, expectedIssuer: maa.issuer };
  return (token) => {
    const problems = new AttestationToken(token).getTokenProblems(signers, options);
    if (problems.length > 0) throw new Error(problems.join('; '));
  };
}

export const LIMIT = 'raw crypto.verify RS256 (the limit)';
export const JOSE = 'jose jwtVerify, one at a time';

export async function inProcess(maa, { tokens, rounds, ms }) {
  const token = tokens[0];
  const [header, payload, signature] = token.split('.');
  const signingInput = Buffer.from(`${header}.${payload}`);
  const signatureBytes = Buffer.from(signature, 'base64url');
  const publicKey = maa.publicKey();
  const issuers = [{ issuer: maa.issuer, jwks: maa.publicJwks() }];

  const verifier = createVerifier({ issuers, allowInsecureLoopback: true });
  // A cache far smaller than the token pool: every token is new to it, so each pays the full price.
  const missingVerifier = createVerifier({ issuers, allowInsecureLoopback: true, tokenCache: { maxEntries: 64 } });
  // jose cannot import MAA's x5c-only JWKs; give it the same keys with n/e, as a user would have to.
  const joseKeys = jose.createLocalJWKSet({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: maa.activeKid }] });
  const joseOptions = { issuer: maa.issuer, algorithms: ['RS256'] };
  const azure = azureValidator(maa);

  // Every contender must accept our tokens, or the comparison means nothing.
  await verifier.verify(token);
  await jose.jwtVerify(token, joseKeys, joseOptions);
  azure(token);
  for (let i = 0; i < 300; i++) {
    await missingVerifier.verify(tokens[i % tokens.length]);
    await jose.jwtVerify(tokens[i % tokens.length], joseKeys, joseOptions);
  }

  return interleave(
    [
      [LIMIT, () => cryptoVerify('sha256', signingInput, publicKey, signatureBytes)],
      ['attestation-gate verify, new tokens', (i) => missingVerifier.verify(tokens[i % tokens.length])],
      ['attestation-gate verify, repeated token', () => verifier.verify(token)],
      ['attestation-gate verifyCached, repeated token (sync)', () => verifier.verifyCached(token)],
      [JOSE, (i) => jose.jwtVerify(tokens[i % tokens.length], joseKeys, joseOptions)],
      ['@azure/attestation getTokenProblems', (i) => azure(tokens[i % tokens.length])],
    ],
    { rounds, ms },
  );
}
