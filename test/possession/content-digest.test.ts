import { describe, expect, it } from 'vitest';
import { createContentDigest, verifyContentDigest } from '../../src/possession/content-digest.js';
import { ACCEPTED, outcome } from '../helpers/outcome.js';

const BODY = Buffer.from('{"hello": "world"}');
// RFC 9530 Appendix B (and RFC 9421's examples) for the body above.
const SHA256 = 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:';
const SHA512 = 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:';

const code = outcome;

describe('Content-Digest (RFC 9530)', () => {
  it('creates the RFC example values, from bytes or a string', () => {
    expect(createContentDigest(BODY)).toBe(SHA256);
    expect(createContentDigest('{"hello": "world"}', ['sha-512'])).toBe(SHA512);
    expect(createContentDigest(BODY, ['sha-256', 'sha-512'])).toBe(`${SHA256}, ${SHA512}`);
  });

  it('refuses algorithms it does not implement when creating', () => {
    for (const algorithms of [[], ['md5'], ['sha-256', 'sha-256']]) {
      expect(code(() => createContentDigest(BODY, algorithms as never))).toBe('ERR_CONFIG_INVALID');
    }
  });

  it.each([
    ['sha-256', SHA256],
    ['sha-512', SHA512],
    ['both', `${SHA512}, ${SHA256}`],
    ['both on two field lines', [SHA256, SHA512]],
    ['a supported digest beside unknown ones, which are ignored', `crc32c=:AAAAAA==:, ${SHA256}, unixsum=1`],
  ])('accepts %s matching the body', (_name, field) => {
    expect(code(() => verifyContentDigest(field, BODY))).toBe(ACCEPTED);
  });

  it('checks the empty body too', () => {
    expect(code(() => verifyContentDigest(createContentDigest(new Uint8Array(0)), new Uint8Array(0)))).toBe(ACCEPTED);
  });

  it.each([
    ['a missing header', undefined],
    ['no field lines', []],
    ['a digest of another body', createContentDigest('{"hello": "mallory"}')],
    ['one matching and one mismatching digest', `${SHA256}, ${createContentDigest('x', ['sha-512'])}`],
    ['only unsupported algorithms', 'md5=:AAAAAAAAAAAAAAAAAAAAAA==:'],
    ['a truncated digest', 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9D:'],
    ['a string instead of bytes', 'sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="'],
    ['parameters', `${SHA256};x=1`],
    ['an inner list', 'sha-256=()'],
    ['upper-case algorithm names', SHA256.replace('sha', 'SHA')],
    ['the legacy Digest syntax', 'SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE='],
    ['a duplicate algorithm', `${SHA256}, ${SHA256}`],
    ['garbage', ':::'],
  ])('refuses %s', (_name, field) => {
    expect(code(() => verifyContentDigest(field as string | string[] | undefined, BODY))).toBe('ERR_POSSESSION');
  });
});
