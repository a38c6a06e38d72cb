/**
 * Compact JWS tokens shaped like MAA's: header `{alg, jku, kid, typ}` in that order, payload members
 * sorted by name.
 *
 * Signed with node:crypto rather than jose: that keeps MAA's exact header member order, and jose refuses
 * the 1024-bit RSA keys MAA really served.
 */
import { constants, sign, type KeyObject } from 'node:crypto';
import type { IsolationTeeType } from '../claims/catalog.js';
import type { MintType } from './claims.js';

/** Signature algorithms `mint` can produce. `none` gives an empty signature, as MAA's draft-policy responses. */
export type MintAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'none';

/** Options of `TestAttestationService.mint`. */
export interface MintOptions {
  /**
   * The attestation type to shape the token as, from the claim catalogue's defaults: `sgx` (default),
   * `sevsnpvm`, `tdxvm` or `azurevm` (see `defaultClaims`).
   */
  type?: MintType;
  /** For `type: 'azurevm'`: the confidential VM's hardware TEE, `sevsnpvm` (default) or `tdxvm`. */
  isolationTee?: IsolationTeeType;
  /** Sign with this key (published or retired) and name it in the header. Default: the active key. */
  kid?: string;
  /** Issue time: seconds since the epoch, or a Date. Default: the service clock. `nbf` equals it. */
  iat?: number | Date;
  /** `exp - iat` in seconds. Default: the service's `lifetimeSeconds`. */
  lifetimeSeconds?: number;
  /**
   * Merged over the default header `{alg, jku, kid, typ}`; a member set to `undefined` is removed. Setting
   * `alg` here changes only what the header claims, not how the token is signed (see `alg`), so algorithm
   * confusion can be simulated.
   */
  header?: Record<string, unknown>;
  /** How to sign. Default `RS256`, the only algorithm MAA uses. */
  alg?: MintAlgorithm;
  /**
   * Sign with this RSA private key instead of a service key, keeping the header's `kid` (by default the
   * active kid): a forgery that names a genuine key.
   */
  signingKey?: KeyObject;
}

const SIGNING: Record<Exclude<MintAlgorithm, 'none'>, { digest: string; pss: boolean; saltLength: number }> = {
  RS256: { digest: 'sha256', pss: false, saltLength: 0 },
  RS384: { digest: 'sha384', pss: false, saltLength: 0 },
  RS512: { digest: 'sha512', pss: false, saltLength: 0 },
  // RFC 7518 3.5: the salt is as long as the digest.
  PS256: { digest: 'sha256', pss: true, saltLength: 32 },
  PS384: { digest: 'sha384', pss: true, saltLength: 48 },
  PS512: { digest: 'sha512', pss: true, saltLength: 64 },
};

export function assertMintAlgorithm(alg: MintAlgorithm): void {
  if (alg !== 'none' && !Object.hasOwn(SIGNING, alg)) throw new TypeError(`unsupported alg: ${String(alg)}`);
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

// Code-unit order, which is what MAA's serializer produces for the ASCII claim names it uses.
const byName = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0);

/** `claims` with its members sorted by name, as MAA serializes a token payload. */
export function sortedMembers(claims: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(claims).sort(byName));
}

/**
 * `value` with the members of every object in it sorted by name, arrays kept in order: how MAA
 * re-serializes JSON it was sent (`x-ms-runtime`, `x-ms-inittime`).
 */
export function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .sort(byName)
        .map(([name, member]) => [name, sortedDeep(member)]),
    );
  }
  return value;
}

/** The compact serialization of `header` and `payload`, signed by `key` with `alg` (empty signature for `none`). */
export function signCompact(header: Record<string, unknown>, payload: Record<string, unknown>, alg: MintAlgorithm, key: KeyObject): string {
  assertMintAlgorithm(alg);
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  if (alg === 'none') return `${signingInput}.`;
  const { digest, pss, saltLength } = SIGNING[alg];
  const signature = sign(
    digest,
    Buffer.from(signingInput, 'ascii'),
    pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength } : { key, padding: constants.RSA_PKCS1_PADDING },
  );
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** `iat` as seconds since the epoch. */
export function epochSeconds(time: number | Date): number {
  return time instanceof Date ? Math.floor(time.getTime() / 1000) : time;
}
