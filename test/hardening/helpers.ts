/**
 * Shared by the hardening suites: crafting compact JWS by hand (raw JSON text included, for duplicate
 * member names and `__proto__` keys), signing with node:crypto, and measuring memory after a real gc.
 */
import { constants, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AttestationError, type Verifier, type VerifyOptions } from '../../src/index.js';
import { ACCEPTED, asyncOutcome } from '../helpers/outcome.js';

/** JSON text used as is: lets a test write what JSON.stringify never produces (duplicates, `__proto__`). */
export class RawJson {
  constructor(readonly text: string) {}
}
export const raw = (text: string): RawJson => new RawJson(text);

/** base64url of a part: RawJson as is, a Buffer as bytes, anything else through JSON.stringify. */
export function segment(part: unknown): string {
  if (part instanceof RawJson) return Buffer.from(part.text, 'utf8').toString('base64url');
  if (Buffer.isBuffer(part)) return part.toString('base64url');
  return Buffer.from(JSON.stringify(part), 'utf8').toString('base64url');
}

export function decodeSegment(text: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function segmentsOf(token: string): [string, string, string] {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error(`not three segments: ${parts.length}`);
  return parts as [string, string, string];
}

export type SignScheme = 'RS256' | 'RS384' | 'RS512' | 'PS256';

/** A compact JWS over `header` and `payload` whose signature is valid for `key` under `scheme`. */
export function signJws(header: unknown, payload: unknown, key: KeyObject, scheme: SignScheme = 'RS256'): string {
  const input = `${segment(header)}.${segment(payload)}`;
  const digest = scheme === 'PS256' ? 'sha256' : `sha${scheme.slice(2)}`;
  const options = scheme === 'PS256' ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : key;
  return `${input}.${cryptoSign(digest, Buffer.from(input, 'ascii'), options).toString('base64url')}`;
}

/** Header and payload with a given signature segment (default: none, as `alg: none` tokens). */
export function unsignedJws(header: unknown, payload: unknown, signature = ''): string {
  return `${segment(header)}.${segment(payload)}.${signature}`;
}

/** Copy of `object` with `overrides` laid over it; an `undefined` override removes the member. */
export function withMembers(
  object: Readonly<Record<string, unknown>>,
  overrides: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...object };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  return out;
}

/** What verify answered: 'accepted', or the AttestationError (anything else fails the test). */
export async function outcomeOf(verifier: Verifier, token: unknown, options?: VerifyOptions): Promise<typeof ACCEPTED | AttestationError> {
  let refused: AttestationError | undefined;
  const code = await asyncOutcome(() =>
    verifier.verify(token, options).catch((error: unknown) => {
      if (error instanceof AttestationError) refused = error;
      throw error;
    }),
  );
  return code === ACCEPTED ? ACCEPTED : (refused as AttestationError);
}

export { codeOf } from '../helpers/outcome.js';

/**
 * A real garbage collection, when the flag can be turned on at run time (it can on Node 20 and 24);
 * undefined otherwise, and callers then use a more generous bound.
 */
export const gc: (() => void) | undefined = (() => {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : undefined;
  } catch {
    return undefined;
  }
})();

/** heapUsed after a full gc (twice: weak callbacks of the first pass free more in the second). */
export function settledHeap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

export const MiB = 1024 * 1024;
