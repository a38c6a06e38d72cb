import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { GateRequest } from '../../src/gate/types.js';
import { afterAll, beforeAll } from 'vitest';
import { createVerifier, type Verifier } from '../../src/index.js';
import { createTestAttestationService, runtimeDataClaims, type TestAttestationService } from '../../src/testing/index.js';
import { signatureHeaders } from '../helpers/sign.js';

export const AUTHORITY = 'rp.example';

/**
 * A local MAA instance and a verifier trusting it, for one test file: started before its tests, closed
 * after them. The members are set once `beforeAll` has run.
 */
export function useLocalMaa(): { readonly maa: TestAttestationService; readonly verifier: Verifier } {
  const local = {} as { maa: TestAttestationService; verifier: Verifier };
  beforeAll(async () => {
    local.maa = await createTestAttestationService();
    local.verifier = createVerifier({ issuers: [local.maa.issuer], allowInsecureLoopback: true });
  });
  afterAll(() => local.maa.close());
  return local;
}

/** An enclave: its request-signing key pair and a token whose runtime data holds the public key (and a nonce). */
export function enclave(maa: TestAttestationService, extra: { nonce?: string; claims?: Record<string, unknown> } = {}) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const runtime = JSON.stringify({
    ...(extra.nonce === undefined ? {} : { nonce: extra.nonce }),
    jwk: publicKey.export({ format: 'jwk' }),
  });
  const token = maa.mint({ ...runtimeDataClaims(runtime), ...extra.claims });
  return { privateKey, publicKey, token };
}

/** A plain GET as an adapter would hand it to the gate. */
export function plain(headers: Record<string, string | string[]>, more: Partial<GateRequest> = {}): GateRequest {
  return { method: 'GET', target: '/data', authority: AUTHORITY, headers, bodyMayFollow: false, ...more };
}

/**
 * Signs `request` over `components` (RFC 9421, ecdsa-p256-sha256, created now) and returns it with the
 * Signature-Input and Signature headers added: the enclave's side, for any carrier of the token.
 */
export function signed(
  request: GateRequest,
  components: readonly string[],
  privateKey: KeyObject,
  options: { nonce?: string; created?: number } = {},
): GateRequest {
  const input = {
    components,
    parameters: [
      ['created', options.created ?? Math.floor(Date.now() / 1000)] as const,
      ['alg', 'ecdsa-p256-sha256'] as const,
      ...(options.nonce === undefined ? [] : [['nonce', options.nonce] as const]),
    ],
  };
  const headers = signatureHeaders(
    { method: request.method, target: request.target, authority: request.authority ?? '', headers: request.headers },
    input,
    privateKey,
  );
  return { ...request, headers: { ...request.headers, ...headers } };
}

export const BEARER_COMPONENTS = ['@method', '@authority', '@path', '@query', 'authorization'];
