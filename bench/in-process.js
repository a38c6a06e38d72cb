// In-process verification throughput: the raw RSA limit, our verifier on distinct and repeated tokens,
// and jose's jwtVerify (what a user would otherwise write), in one interleaved run.
import { verify as cryptoVerify } from 'node:crypto';
import * as jose from 'jose';
import { createVerifier } from 'attestation-gate';
import { interleave } from './harness.js';

export async function inProcess(maa, { tokens, rounds, ms }) {
  const token = tokens[0];
  const [header, payload, signature] = token.split('.');
  const signingInput = Buffer.from(`${header}.${payload}`);
  const signatureBytes = Buffer.from(signature, 'base64url');
  const publicKey = maa.publicKey();

  const verifier = createVerifier({ issuers: [{ issuer: maa.issuer, jwks: maa.publicJwks() }], allowInsecureLoopback: true });
  // jose cannot import MAA's x5c-only JWKs; give it the same keys with n/e, as a user would have to.
  const joseKeys = jose.createLocalJWKSet({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: maa.activeKid }] });
  const joseOptions = { issuer: maa.issuer, algorithms: ['RS256'] };

  // Warm up every path (JIT, key imports) before measuring.
  for (let i = 0; i < 200; i++) {
    await verifier.verify(tokens[i % tokens.length]);
    await jose.jwtVerify(tokens[i % tokens.length], joseKeys, joseOptions);
  }

  const results = await interleave(
    [
      ['raw crypto.verify RS256 (the limit)', () => cryptoVerify('sha256', signingInput, publicKey, signatureBytes)],
      ['attestation-gate verify, distinct tokens', (i) => verifier.verify(tokens[i % tokens.length])],
      ['attestation-gate verify, repeated token', () => verifier.verify(token)],
      ['jose jwtVerify, one at a time', (i) => jose.jwtVerify(tokens[i % tokens.length], joseKeys, joseOptions)],
    ],
    { rounds, ms },
  );
  return results;
}
