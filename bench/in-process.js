// In-process verification throughput, in one interleaved run: for each token shape the raw RSA limit on
// the same bytes and our verifier on new tokens one at a time (RSA on the calling thread, the default
// for a direct call), and IN_FLIGHT at a time with RSA on the thread pool as the request gate runs it
// (then the limit is callback crypto.verify with as many in flight, so each ratio compares like with
// like); our verifier on a repeated token, jose's jwtVerify (what a user would otherwise write) both
// ways, and @azure/attestation's own token validation.
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
  const options = {
    validateToken: true,
    validateExpirationTime: true,
    validateNotBeforeTime: true,
    validateIssuer: true,
    expectedIssuer: maa.issuer,
  };
  return (token) => {
    const problems = new AttestationToken(token).getTokenProblems(signers, options);
    if (problems.length > 0) throw new Error(problems.join('; '));
  };
}

/** Verifications in flight at once in the concurrent rows: what a server with several clients sees. */
export const IN_FLIGHT = 8;
export const limitOf = (shape) => `raw crypto.verify RS256, ${shape} bytes (the limit)`;
export const newTokensOf = (shape) => `attestation-gate verify, new ${shape} tokens`;
export const limitInFlightOf = (shape) => `raw crypto.verify RS256 (callback), ${shape} bytes, ${IN_FLIGHT} in flight (the limit)`;
export const inFlightOf = (shape) => `attestation-gate verify, new ${shape} tokens, ${IN_FLIGHT} in flight, RSA on the thread pool`;
export const LIMIT_CALLBACK = 'raw crypto.verify RS256 (callback), SGX bytes, one at a time';
export const UNCACHED = 'attestation-gate verify, new SGX tokens, tokenCache: false';
export const REPEATED = 'attestation-gate verify, repeated token';
export const REPEATED_SYNC = 'attestation-gate verifyCached, repeated token (sync)';
export const JOSE = 'jose jwtVerify, new SGX tokens, one at a time';
export const JOSE_IN_FLIGHT = `jose jwtVerify, new SGX tokens, ${IN_FLIGHT} in flight`;

/**
 * The rows a contender is compared with: the RSA limit on its token shape's bytes and jose, each run the
 * way the contender runs (one at a time, or IN_FLIGHT at a time). Rows not listed compare with the
 * one-at-a-time SGX rows.
 */
export function baselinesOf(name, shapes) {
  for (const shape of shapes) {
    if (name === inFlightOf(shape) || name === limitInFlightOf(shape)) return { limit: limitInFlightOf(shape), jose: JOSE_IN_FLIGHT };
    if (name === newTokensOf(shape) || name === limitOf(shape)) return { limit: limitOf(shape), jose: JOSE };
  }
  if (name === JOSE_IN_FLIGHT) return { limit: limitInFlightOf('SGX'), jose: JOSE_IN_FLIGHT };
  return { limit: limitOf('SGX'), jose: JOSE };
}

/** `count` calls of `start(j)` in flight at once, for a row that counts `count` operations per call. */
function inFlight(count, start) {
  return (i) => Promise.all(Array.from({ length: count }, (_, j) => start(i * count + j)));
}

export async function inProcess(maa, { shapes, rounds, ms }) {
  const sgx = shapes.get('SGX');
  const token = sgx[0];
  const publicKey = maa.publicKey();
  const issuers = [{ issuer: maa.issuer, jwks: maa.publicJwks() }];

  const verifier = createVerifier({ issuers, allowInsecureLoopback: true });
  // A cache far smaller than the token pool: every token is new to it, so each pays the full price.
  const missingVerifier = createVerifier({ issuers, allowInsecureLoopback: true, tokenCache: { maxEntries: 64 } });
  const uncachedVerifier = createVerifier({ issuers, allowInsecureLoopback: true, tokenCache: false });
  // jose cannot import MAA's x5c-only JWKs; give it the same keys with n/e, as a user would have to.
  const joseKeys = jose.createLocalJWKSet({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: maa.activeKid }] });
  const joseOptions = { issuer: maa.issuer, algorithms: ['RS256'] };
  const azure = azureValidator(maa);

  // Every contender must accept our tokens, or the comparison means nothing.
  await verifier.verify(token);
  await jose.jwtVerify(token, joseKeys, joseOptions);
  azure(token);
  for (const tokens of shapes.values()) {
    for (let i = 0; i < 300; i++) await missingVerifier.verify(tokens[i % tokens.length]);
  }
  for (let i = 0; i < 300; i++) await jose.jwtVerify(sgx[i % sgx.length], joseKeys, joseOptions);

  // The callback form, as the request gate has our verifier run RSA for a new token: on libuv's thread pool.
  const verifyOnPool = (input, signature) =>
    new Promise((resolve, reject) =>
      cryptoVerify('sha256', input, publicKey, signature, (error, valid) =>
        error ? reject(error) : valid ? resolve() : reject(new Error('signature rejected')),
      ),
    );

  // As the request gate (every adapter) verifies a new token: RSA on libuv's thread pool.
  const onPool = { signatureThread: 'thread-pool' };
  const contenders = [];
  for (const [shape, tokens] of shapes) {
    const [header, payload, signature] = tokens[0].split('.');
    const signingInput = Buffer.from(`${header}.${payload}`);
    const signatureBytes = Buffer.from(signature, 'base64url');
    contenders.push([limitOf(shape), () => cryptoVerify('sha256', signingInput, publicKey, signatureBytes)]);
    contenders.push([newTokensOf(shape), (i) => missingVerifier.verify(tokens[i % tokens.length])]);
    contenders.push([limitInFlightOf(shape), inFlight(IN_FLIGHT, () => verifyOnPool(signingInput, signatureBytes)), IN_FLIGHT]);
    contenders.push([inFlightOf(shape), inFlight(IN_FLIGHT, (k) => missingVerifier.verify(tokens[k % tokens.length], onPool)), IN_FLIGHT]);
    if (shape === 'SGX') contenders.push([LIMIT_CALLBACK, () => verifyOnPool(signingInput, signatureBytes)]);
  }
  contenders.push(
    [UNCACHED, (i) => uncachedVerifier.verify(sgx[i % sgx.length])],
    [REPEATED, () => verifier.verify(token)],
    [REPEATED_SYNC, () => verifier.verifyCached(token)],
    [JOSE, (i) => jose.jwtVerify(sgx[i % sgx.length], joseKeys, joseOptions)],
    [JOSE_IN_FLIGHT, inFlight(IN_FLIGHT, (k) => jose.jwtVerify(sgx[k % sgx.length], joseKeys, joseOptions)), IN_FLIGHT],
    ['@azure/attestation getTokenProblems', (i) => azure(sgx[i % sgx.length])],
  );
  return interleave(contenders, { rounds, ms });
}
