/**
 * `Content-Digest` (RFC 9530): a structured-field dictionary of digests of the body bytes as sent
 * (`sha-256=:<base64>:`). The request signature covers this header, not the body, so the header must be
 * checked against the body for the signature to say anything about the body.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AttestationError } from '../errors.js';
import { parseDictionary, serializeBareItem, type Limits } from './structured-fields.js';

/** The RFC 9530 algorithms accepted; the registry's others (md5, sha, crc32c, …) are insecure or not digests. */
export const DIGEST_ALGORITHMS = ['sha-256', 'sha-512'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

const NODE_HASH: Record<DigestAlgorithm, string> = { 'sha-256': 'sha256', 'sha-512': 'sha512' };

const LIMITS: Limits = {
  maxLength: 1024,
  maxMembers: 8,
  maxInnerListItems: 0,
  maxParameters: 0,
  maxStringLength: 128,
  maxBytesLength: 64,
};

function digest(algorithm: DigestAlgorithm, body: Uint8Array): Buffer {
  return createHash(NODE_HASH[algorithm]).update(body).digest();
}

function isDigestAlgorithm(value: string): value is DigestAlgorithm {
  return (DIGEST_ALGORITHMS as readonly string[]).includes(value);
}

/** The `Content-Digest` value for these body bytes (strings are taken as UTF-8). */
export function createContentDigest(body: Uint8Array | string, algorithms: readonly DigestAlgorithm[] = ['sha-256']): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (algorithms.length === 0 || !algorithms.every(isDigestAlgorithm) || new Set(algorithms).size !== algorithms.length) {
    throw new AttestationError(
      'ERR_CONFIG_INVALID',
      `Content-Digest algorithms must be distinct values among ${DIGEST_ALGORITHMS.join(', ')}`,
    );
  }
  return algorithms.map((algorithm) => `${algorithm}=${serializeBareItem({ type: 'bytes', value: digest(algorithm, bytes) })}`).join(', ');
}

/**
 * Throws `AttestationError('ERR_POSSESSION')` unless `field` is a well-formed `Content-Digest` with at
 * least one sha-256 or sha-512 digest, and every such digest matches `body`. Digests with other algorithm
 * names are ignored (RFC 9530 §2 lets a recipient ignore what it does not support), so they can
 * neither satisfy nor spoil the check.
 */
export function verifyContentDigest(field: string | readonly string[] | undefined, body: Uint8Array): void {
  if (field === undefined || (typeof field !== 'string' && field.length === 0))
    throw new AttestationError('ERR_POSSESSION', 'Content-Digest is missing');
  const value = typeof field === 'string' ? field : field.join(', ');
  const dictionary = parseDictionary(value, 'Content-Digest', LIMITS);
  let checked = 0;
  for (const [key, { member }] of dictionary) {
    if (!isDigestAlgorithm(key)) continue;
    if (member.kind !== 'item' || member.value.type !== 'bytes')
      throw new AttestationError('ERR_POSSESSION', `Content-Digest: ${key} is not a byte sequence`);
    const expected = digest(key, body);
    if (member.value.value.length !== expected.length || !timingSafeEqual(member.value.value, expected)) {
      throw new AttestationError('ERR_POSSESSION', `Content-Digest: the ${key} digest does not match the body`);
    }
    checked++;
  }
  if (checked === 0) throw new AttestationError('ERR_POSSESSION', `Content-Digest carries no ${DIGEST_ALGORITHMS.join(' or ')} digest`);
}
