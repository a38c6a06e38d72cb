/**
 * The local MAA instance's signing keys: every key ever created (so tests can sign with a retired one),
 * the ones `/certs` publishes, and the active one. No HTTP here.
 */
import { createPublicKey, generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { maaKeyId } from '../keys/maa-kid.js';
import { createSelfSignedCertificate, type SelfSignedCertificate } from './certificate.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * One key of `/certs`, member order as MAA sends it. Type aliases rather than interfaces, so that a JWKS
 * passes where a `Record<string, unknown>`-based JWKS type is expected (pinned-key configuration).
 */
export type TestJwk = {
  x5c: [string];
  kid: string;
  kty: 'RSA';
  n?: string;
  e?: string;
};

/** The `/certs` body. */
export type TestJwks = {
  keys: TestJwk[];
};

/** Options of `TestAttestationService.addKey`. */
export interface AddKeyOptions {
  /** RSA modulus length in bits. Default: the service's `modulusLength`. */
  modulusLength?: number;
  /** Make it the key `mint` uses by default. Default false. */
  activate?: boolean;
  /** Publish this RSA private key instead of generating one. */
  privateKey?: KeyObject;
}

export interface KeyRecord {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly certificate: SelfSignedCertificate;
  readonly n: string;
  readonly e: string;
}

/** `value`, or `fallback` when undefined; a RangeError unless it is an integer of at least `min`. */
export function positiveInteger(value: number | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}`);
  return value;
}

function assertRsaPrivate(key: KeyObject, name: string): void {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'rsa') throw new TypeError(`${name} must be an RSA private key`);
}

/**
 * The private keys a service starts with: the given ones, or `count` fresh ones generated in parallel on
 * the libuv pool (several keys cost about one).
 */
export function initialPrivateKeys(given: readonly KeyObject[], count: number, modulusLength: number): Promise<KeyObject[]> {
  for (const key of given) assertRsaPrivate(key, 'privateKeys');
  if (given.length > 0) return Promise.resolve([...given]);
  return Promise.all(Array.from({ length: count }, async () => (await generateKeyPairAsync('rsa', { modulusLength })).privateKey));
}

/** The keys of one instance, whose certificates name `commonName` (the issuer). */
export class SigningKeys {
  readonly #commonName: string;
  readonly #modulusLength: number;
  readonly #includeModulus: boolean;
  // Every key ever created, including removed ones, so tests can mint with a retired key.
  readonly #all = new Map<string, KeyRecord>();
  #published: string[] = [];
  #activeKid = '';

  constructor(commonName: string, modulusLength: number, includeModulus: boolean, privateKeys: readonly KeyObject[]) {
    this.#commonName = commonName;
    this.#modulusLength = modulusLength;
    this.#includeModulus = includeModulus;
    for (const privateKey of privateKeys) this.#publish(this.#record(privateKey));
    this.#activeKid = this.#published[0] ?? '';
  }

  get activeKid(): string {
    return this.#activeKid;
  }

  published(): string[] {
    return [...this.#published];
  }

  get(kid: string): KeyRecord {
    const record = this.#all.get(kid);
    if (!record) throw new Error(`unknown kid: ${kid}`);
    return record;
  }

  jwks(): TestJwks {
    return {
      keys: this.#published.map((kid) => {
        const record = this.get(kid);
        const jwk: TestJwk = { x5c: [record.certificate.base64], kid, kty: 'RSA' };
        if (this.#includeModulus) Object.assign(jwk, { n: record.n, e: record.e });
        return jwk;
      }),
    };
  }

  add(options: AddKeyOptions = {}): string {
    const privateKey =
      options.privateKey ??
      generateKeyPairSync('rsa', {
        modulusLength: positiveInteger(options.modulusLength, 'modulusLength', this.#modulusLength, 512),
      }).privateKey;
    assertRsaPrivate(privateKey, 'privateKey');
    const record = this.#record(privateKey);
    this.#publish(record);
    if (options.activate) this.#activeKid = record.kid;
    return record.kid;
  }

  remove(kid: string): boolean {
    const index = this.#published.indexOf(kid);
    if (index < 0) return false;
    this.#published.splice(index, 1);
    if (kid === this.#activeKid) this.#activeKid = this.#published.at(-1) ?? kid;
    return true;
  }

  rotate(): string {
    const kid = this.add({ activate: true });
    this.#published = [kid];
    return kid;
  }

  #record(privateKey: KeyObject): KeyRecord {
    const publicKey = createPublicKey(privateKey);
    const kid = maaKeyId(publicKey);
    const existing = this.#all.get(kid);
    if (existing) return existing;
    const { n, e } = publicKey.export({ format: 'jwk' });
    const certificate = createSelfSignedCertificate({ commonName: this.#commonName, privateKey, publicKey });
    const record: KeyRecord = { kid, privateKey, publicKey, certificate, n: n ?? '', e: e ?? '' };
    this.#all.set(kid, record);
    return record;
  }

  #publish(record: KeyRecord): void {
    if (!this.#published.includes(record.kid)) this.#published.push(record.kid);
  }
}
