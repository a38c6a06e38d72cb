import { sign, type KeyObject } from 'node:crypto';
import {
  buildSignatureBase,
  signatureField,
  signatureInputField,
  type HeaderFields,
  type SignatureInput,
} from '../../src/possession/signature-base.js';

/** What a request signature is computed over: method, origin-form target (path and query), authority, headers. */
export interface MessageToSign {
  readonly method: string;
  readonly target: string;
  readonly authority: string;
  readonly headers: HeaderFields;
}

/**
 * The `Signature-Input` and `Signature` headers (label `sig1`) of an ECDSA P-256 signature over any input,
 * bypassing the client's profile: the enclave's side, for requests the client helper would never send.
 */
export function signatureHeaders(
  message: MessageToSign,
  input: SignatureInput,
  privateKey: KeyObject,
): { 'signature-input': string; signature: string } {
  const mark = message.target.indexOf('?');
  const base = buildSignatureBase(
    {
      method: message.method,
      authority: message.authority,
      path: mark === -1 ? message.target : message.target.slice(0, mark),
      query: mark === -1 ? '?' : message.target.slice(mark),
      headers: message.headers,
    },
    input,
  );
  const signature = sign('sha256', Buffer.from(base), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return { 'signature-input': signatureInputField('sig1', input), signature: signatureField('sig1', signature) };
}
