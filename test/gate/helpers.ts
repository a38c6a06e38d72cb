import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { buildSignatureBase, signatureField, signatureInputField } from '../../src/possession/signature-base.js';
import type { GateRequest } from '../../src/gate/types.js';
import { runtimeDataClaims, type TestAttestationService } from '../../src/testing/index.js';

export const AUTHORITY = 'rp.example';

/** An enclave: its request-signing key pair and a token whose runtime data holds the public key (and a nonce). */
export function enclave(maa: TestAttestationService, extra: { nonce?: string; claims?: Record<string, unknown> } = {}) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const runtime = JSON.stringify({ ...(extra.nonce === undefined ? {} : { nonce: extra.nonce }), jwk: publicKey.export({ format: 'jwk' }) });
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
export function signed(request: GateRequest, components: readonly string[], privateKey: KeyObject, options: { nonce?: string; created?: number } = {}): GateRequest {
  const mark = request.target.indexOf('?');
  const input = {
    components,
    parameters: [
      ['created', options.created ?? Math.floor(Date.now() / 1000)] as const,
      ['alg', 'ecdsa-p256-sha256'] as const,
      ...(options.nonce === undefined ? [] : [['nonce', options.nonce] as const]),
    ],
  };
  const base = buildSignatureBase(
    {
      method: request.method,
      authority: request.authority ?? '',
      path: mark === -1 ? request.target : request.target.slice(0, mark),
      query: mark === -1 ? '?' : request.target.slice(mark),
      headers: request.headers,
    },
    input,
  );
  const signature = sign('sha256', Buffer.from(base), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return { ...request, headers: { ...request.headers, 'signature-input': signatureInputField('sig1', input), signature: signatureField('sig1', signature) } };
}

export const BEARER_COMPONENTS = ['@method', '@authority', '@path', '@query', 'authorization'];
