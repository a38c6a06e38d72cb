/**
 * A local stand-in for a Microsoft Azure Attestation instance: a real HTTP server on loopback that serves
 * MAA's signing-key metadata and mints tokens shaped exactly like MAA's, plus the knobs tests need (key
 * rotation, forged and unsigned tokens, misbehaving metadata endpoints).
 */
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { constants, createPublicKey, generateKeyPair, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { maaKeyId } from '../keys/maa-kid.js';
import { createSelfSignedCertificate, type SelfSignedCertificate } from './certificate.js';
import { defaultClaims, mergeClaims, type MintType, setOrDelete } from './claims.js';
import type { IsolationTeeType } from '../claims/catalog.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Options of `createTestAttestationService`. */
export interface TestAttestationServiceOptions {
  /** How many signing keys to generate and publish at start. The first one is active. Default 1, at least 1. */
  keyCount?: number;
  /** RSA modulus length of generated keys, in bits. Default 2048; MAA also served 1024-bit keys (2020–2022). */
  modulusLength?: number;
  /** Lifetime (`exp - iat`) of minted tokens, in seconds. Default 28800 (8 h), as MAA's attestation tokens. */
  lifetimeSeconds?: number;
  /** Clock used for `iat`, `nbf` and `exp` of minted tokens. Default: the system clock. */
  now?: () => Date;
  /**
   * Also publish `n` and `e` next to `x5c` in `/certs`. Real MAA responses (2020–2022) carry only `kid`,
   * `kty` and `x5c`; default false.
   */
  jwksIncludesModulus?: boolean;
  /**
   * RSA private keys to use instead of generating `keyCount` fresh ones (the first is active). Generating
   * 2048-bit keys costs 50–200 ms each: a suite that starts many services can generate once and reuse.
   */
  privateKeys?: readonly KeyObject[];
}

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

/** Which endpoint a fault applies to. `all` covers every request the server receives, whatever its path. */
export type FaultRoute = 'certs' | 'discovery' | 'all';

/**
 * A misbehaviour to inject into the metadata endpoints. Applied in this order: `delayMs`, then `hang`, then
 * `redirectTo`, then the response itself (`status`, `body`, `contentType`, `headers`), sent fast or by
 * `dripBytesPerSecond`, padded by `oversizeBytes`.
 */
export interface Fault {
  /** Status code of the response. Default: 200 when `body`/`oversizeBytes` is given, else the normal one. */
  status?: number;
  /**
   * Response body. Default: the normal body, or a small MAA-style JSON error when `status` is 400 or more.
   */
  body?: string | Buffer;
  /** Wait this long before doing anything else. */
  delayMs?: number;
  /** Accept the request and never answer; the socket stays open until the client gives up or `close()`. */
  hang?: boolean;
  /** Send the body (normal or `body`) at this rate, after the headers, which go out at once. */
  dripBytesPerSecond?: number;
  /**
   * Send a body exactly this long (or the unpadded body, if that is already longer): the normal or given
   * JSON object with a leading `"x-padding"` string member, streamed with chunked encoding and no
   * Content-Length. It is valid JSON, so a client without a size limit accepts it.
   */
  oversizeBytes?: number;
  /** Answer 302 with this `Location`. */
  redirectTo?: string;
  /** Content-Type of the response. Default `application/json; charset=utf-8`. */
  contentType?: string;
  /** Extra response headers (e.g. `Cache-Control`, `Retry-After`). */
  headers?: Record<string, string>;
  /** Apply to the next N matching requests only, then clear. Default: until cleared. */
  times?: number;
}

/** Requests received, by endpoint. `total` also counts unknown paths. */
export interface RequestCounters {
  discovery: number;
  certs: number;
  total: number;
}

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

interface KeyRecord {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificate: SelfSignedCertificate;
  n: string;
  e: string;
}

interface BodySource {
  length: number;
  read(offset: number, count: number): Buffer;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const DISCOVERY_PATH = '/.well-known/openid-configuration';
const CERTS_PATH = '/certs';

// The claims list a real shared instance advertises (cpp-metadata-shared-wus-2022.openid-configuration.json).
const CLAIMS_SUPPORTED = [
  'cnf', 'nonce', 'x-ms-ver', 'x-ms-attestation-type', 'x-ms-policy-hash', 'x-ms-policy-signer',
  'x-ms-sgx-is-debuggable', 'x-ms-sgx-mrenclave', 'x-ms-sgx-mrsigner', 'x-ms-sgx-svn', 'x-ms-sgx-ehd',
  'x-ms-sgx-collateral', 'is-debuggable', 'sgx-mrsigner', 'sgx-mrenclave', 'product-id', 'svn', 'tee',
];

const SIGNING: Record<Exclude<MintAlgorithm, 'none'>, { digest: string; pss: boolean; saltLength: number }> = {
  RS256: { digest: 'sha256', pss: false, saltLength: 0 },
  RS384: { digest: 'sha384', pss: false, saltLength: 0 },
  RS512: { digest: 'sha512', pss: false, saltLength: 0 },
  // RFC 7518 3.5: the salt is as long as the digest.
  PS256: { digest: 'sha256', pss: true, saltLength: 32 },
  PS384: { digest: 'sha384', pss: true, saltLength: 48 },
  PS512: { digest: 'sha512', pss: true, saltLength: 64 },
};

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

function positiveInteger(value: number | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}`);
  return value;
}

function bufferSource(buffer: Buffer): BodySource {
  return { length: buffer.length, read: (offset, count) => buffer.subarray(offset, offset + count) };
}

// Built lazily, so a multi-gigabyte oversize body costs no memory.
function paddedSource(body: Buffer, targetBytes: number): BodySource {
  const text = body.toString('utf8');
  const inner = text.trim().startsWith('{') ? text.trim().slice(1) : null;
  // Not an object: pad with trailing whitespace, which JSON also allows.
  const prefix = Buffer.from(inner === null ? text : '{"x-padding":"', 'utf8');
  const suffix = Buffer.from(inner === null ? '' : inner.trim() === '}' ? '"}' : `",${inner}`, 'utf8');
  const padByte = inner === null ? 0x20 : 0x41; // ' ' or 'A'
  const padCount = Math.max(0, targetBytes - prefix.length - suffix.length);
  const length = prefix.length + padCount + suffix.length;
  return {
    length,
    read(offset, count) {
      const end = Math.min(length, offset + count);
      const out = Buffer.alloc(end - offset, padByte);
      // Copy the parts of prefix and suffix that overlap [offset, end); the rest is padding.
      if (offset < prefix.length) prefix.copy(out, 0, offset, Math.min(prefix.length, end));
      const suffixStart = prefix.length + padCount;
      if (end > suffixStart) {
        const from = Math.max(offset, suffixStart);
        suffix.copy(out, from - offset, from - suffixStart, end - suffixStart);
      }
      return out;
    },
  };
}

/**
 * A running local MAA instance. Create one with `createTestAttestationService()`, and `close()` it when done.
 */
export class TestAttestationService {
  /** `http://127.0.0.1:<port>`, no trailing slash: the `iss` of minted tokens and the CN of the certificates. */
  readonly issuer: string;
  /** `<issuer>/certs`: the `jku` of minted tokens and the discovery document's `jwks_uri`. */
  readonly jwksUri: string;

  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  // Every key ever created, including removed ones, so tests can mint with a retired key.
  readonly #keys = new Map<string, KeyRecord>();
  #published: string[] = [];
  #activeKid = '';
  readonly #faults = new Map<FaultRoute, { fault: Fault; remaining: number | undefined }>();
  readonly #requests: RequestCounters = { discovery: 0, certs: 0, total: 0 };
  readonly #modulusLength: number;
  readonly #lifetimeSeconds: number;
  readonly #now: () => Date;
  readonly #includeModulus: boolean;
  #closing: Promise<void> | undefined;

  /** `modulusLength` and `lifetimeSeconds` are the options' values as `start` checked them, defaults applied. */
  private constructor(server: Server, port: number, options: TestAttestationServiceOptions, modulusLength: number, lifetimeSeconds: number) {
    this.#server = server;
    this.issuer = `http://127.0.0.1:${port}`;
    this.jwksUri = `${this.issuer}${CERTS_PATH}`;
    this.#modulusLength = modulusLength;
    this.#lifetimeSeconds = lifetimeSeconds;
    this.#now = options.now ?? (() => new Date());
    this.#includeModulus = options.jwksIncludesModulus ?? false;
    server.on('connection', (socket: Socket) => {
      if (this.#closing) {
        socket.destroy();
        return;
      }
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#handle(req, res));
  }

  /** @internal Use `createTestAttestationService`. */
  static async start(options: TestAttestationServiceOptions = {}): Promise<TestAttestationService> {
    const keyCount = positiveInteger(options.keyCount, 'keyCount', 1);
    const modulusLength = positiveInteger(options.modulusLength, 'modulusLength', 2048, 512);
    // Validated before listening so that a bad option leaks no server.
    const lifetimeSeconds = positiveInteger(options.lifetimeSeconds, 'lifetimeSeconds', 28_800, 0);
    const given = options.privateKeys ?? [];
    for (const key of given) {
      if (key.type !== 'private' || key.asymmetricKeyType !== 'rsa') throw new TypeError('privateKeys must be RSA private keys');
    }
    // Generated in parallel on the libuv pool while the server starts: several keys cost about one.
    const generating = given.length > 0
      ? Promise.resolve(given.map((privateKey) => privateKey))
      : Promise.all(
          Array.from({ length: keyCount }, async () => (await generateKeyPairAsync('rsa', { modulusLength })).privateKey),
        );

    // Marked handled now; awaited (and its error rethrown) only once the server is listening.
    generating.catch(() => undefined);

    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    let privateKeys: KeyObject[];
    try {
      privateKeys = await generating;
      if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
    } catch (error) {
      server.close();
      throw error;
    }
    const service = new TestAttestationService(server, address.port, options, modulusLength, lifetimeSeconds);
    for (const privateKey of privateKeys) service.#publish(service.#record(privateKey));
    service.#activeKid = service.#published[0] ?? '';
    return service;
  }

  /** The kid `mint` signs with by default. It stays usable for minting even if removed from `/certs`. */
  get activeKid(): string {
    return this.#activeKid;
  }

  /** Live request counters: read them after the client under test has run. */
  get requests(): Readonly<RequestCounters> {
    return this.#requests;
  }

  /** Sets every request counter back to 0. */
  resetCounters(): void {
    this.#requests.discovery = 0;
    this.#requests.certs = 0;
    this.#requests.total = 0;
  }

  /** The kids `/certs` currently publishes, in order. */
  keys(): string[] {
    return [...this.#published];
  }

  /** Exactly the body `/certs` serves now (a fresh copy): handy for verifiers configured with pinned keys. */
  publicJwks(): TestJwks {
    return {
      keys: this.#published.map((kid) => {
        const record = this.#get(kid);
        const jwk: TestJwk = { x5c: [record.certificate.base64], kid, kty: 'RSA' };
        if (this.#includeModulus) Object.assign(jwk, { n: record.n, e: record.e });
        return jwk;
      }),
    };
  }

  /** Exactly the body `/.well-known/openid-configuration` serves, shaped like MAA's. */
  openidConfiguration(): Record<string, unknown> {
    return {
      response_types_supported: ['token', 'none'],
      id_token_signing_alg_values_supported: ['RS256'],
      revocation_endpoint: `${this.issuer}/revoke`,
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      claims_supported: [...CLAIMS_SUPPORTED],
    };
  }

  /** The private key behind `kid` (default: the active key), published or removed. Throws for an unknown kid. */
  privateKey(kid: string = this.#activeKid): KeyObject {
    return this.#get(kid).privateKey;
  }

  /** The public key behind `kid` (default: the active key). */
  publicKey(kid: string = this.#activeKid): KeyObject {
    return this.#get(kid).publicKey;
  }

  /** The self-signed certificate (`CN=<issuer>`) published for `kid` (default: the active key). */
  certificate(kid: string = this.#activeKid): SelfSignedCertificate {
    return this.#get(kid).certificate;
  }

  /**
   * Publishes a new signing key (appended to `/certs`) and returns its kid. Synchronous, so generating a
   * 2048-bit key blocks for 50–200 ms; pass `privateKey` to skip that.
   */
  addKey(options: AddKeyOptions = {}): string {
    const privateKey =
      options.privateKey ??
      generateKeyPairSync('rsa', {
        modulusLength: positiveInteger(options.modulusLength, 'modulusLength', this.#modulusLength, 512),
      }).privateKey;
    if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'rsa') throw new TypeError('privateKey must be an RSA private key');
    const record = this.#record(privateKey);
    this.#publish(record);
    if (options.activate) this.#activeKid = record.kid;
    return record.kid;
  }

  /**
   * Unpublishes `kid` from `/certs`; returns whether it was published. The key remains known, so
   * `mint({ kid })` can still sign with it (a token from before a rotation). If it was the active key, the
   * newest remaining published key becomes active; if none remains, it stays active while unpublished.
   */
  removeKey(kid: string): boolean {
    const index = this.#published.indexOf(kid);
    if (index < 0) return false;
    this.#published.splice(index, 1);
    if (kid === this.#activeKid) this.#activeKid = this.#published.at(-1) ?? kid;
    return true;
  }

  /**
   * Rotates like MAA: a new key (service `modulusLength`) becomes active and the only one in `/certs`.
   * Returns the new kid. Old keys stay usable for `mint({ kid })`.
   */
  rotateKeys(): string {
    const kid = this.addKey({ activate: true });
    this.#published = [kid];
    return kid;
  }

  /**
   * Mints a compact JWS shaped like MAA's: header `{alg, jku, kid, typ}` in that order, payload with
   * `exp`, `iat`, `iss`, `jti`, `nbf` and `defaultClaims(options.type)`, with `claims` merged on top by
   * `mergeClaims` (an `undefined` value removes a claim; legacy duplicates follow their `x-ms-*` claim).
   * Payload members are sorted by name, as MAA serializes them.
   *
   * Signed with node:crypto rather than jose: that keeps MAA's exact header member order, and jose refuses
   * the 1024-bit RSA keys MAA really served.
   */
  mint(claims: Record<string, unknown> = {}, options: MintOptions = {}): string {
    const alg = options.alg ?? 'RS256';
    if (alg !== 'none' && !Object.hasOwn(SIGNING, alg)) throw new TypeError(`unsupported alg: ${String(alg)}`);
    const kid = options.kid ?? this.#activeKid;
    const signingKey = options.signingKey ?? this.#get(kid).privateKey;

    const iatOption = options.iat ?? this.#now();
    const iat = iatOption instanceof Date ? Math.floor(iatOption.getTime() / 1000) : iatOption;
    const lifetime = options.lifetimeSeconds ?? this.#lifetimeSeconds;

    const header: Record<string, unknown> = { alg, jku: this.jwksUri, kid, typ: 'JWT' };
    for (const [name, value] of Object.entries(options.header ?? {})) setOrDelete(header, name, value);

    const merged = mergeClaims(
      {
        exp: iat + lifetime,
        iat,
        iss: this.issuer,
        jti: randomBytes(32).toString('hex'),
        nbf: iat,
        ...defaultClaims(options.type, options.isolationTee),
      },
      claims,
    );
    const payload = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

    const signingInput = `${b64url(header)}.${b64url(payload)}`;
    if (alg === 'none') return `${signingInput}.`;
    const { digest, pss, saltLength } = SIGNING[alg];
    const signature = sign(
      digest,
      Buffer.from(signingInput, 'ascii'),
      pss
        ? { key: signingKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }
        : { key: signingKey, padding: constants.RSA_PKCS1_PADDING },
    );
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  /** Injects `fault` into `route` (replacing any fault there), or clears it with `null`. */
  setFault(route: FaultRoute, fault: Fault | null): void {
    if (fault === null) {
      this.#faults.delete(route);
      return;
    }
    if (fault.status !== undefined && (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 999)) {
      throw new RangeError('fault.status must be an HTTP status code');
    }
    if (fault.times !== undefined) positiveInteger(fault.times, 'fault.times', 1);
    if (fault.delayMs !== undefined && !(fault.delayMs >= 0)) throw new RangeError('fault.delayMs must be >= 0');
    if (fault.dripBytesPerSecond !== undefined && !(fault.dripBytesPerSecond > 0)) {
      throw new RangeError('fault.dripBytesPerSecond must be > 0');
    }
    if (fault.oversizeBytes !== undefined) positiveInteger(fault.oversizeBytes, 'fault.oversizeBytes', 0, 0);
    this.#faults.set(route, { fault: { ...fault }, remaining: fault.times });
  }

  /** Removes every fault. */
  clearFaults(): void {
    this.#faults.clear();
  }

  /**
   * Stops the server: clears every timer, destroys every open socket (hanging and dripping responses
   * included) and resolves once the server is closed. Safe to call more than once.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      this.#faults.clear();
      this.#closing = new Promise<void>((resolve, reject) => {
        this.#server.close((error) => (error ? reject(error) : resolve()));
      });
      for (const socket of this.#sockets) socket.destroy();
    }
    return this.#closing;
  }

  // --- keys -------------------------------------------------------------------------------------------

  #get(kid: string): KeyRecord {
    const record = this.#keys.get(kid);
    if (!record) throw new Error(`unknown kid: ${kid}`);
    return record;
  }

  #record(privateKey: KeyObject): KeyRecord {
    const publicKey = createPublicKey(privateKey);
    const kid = maaKeyId(publicKey);
    const existing = this.#keys.get(kid);
    if (existing) return existing;
    const { n, e } = publicKey.export({ format: 'jwk' });
    const certificate = createSelfSignedCertificate({ commonName: this.issuer, privateKey, publicKey });
    const record: KeyRecord = { kid, privateKey, publicKey, certificate, n: n ?? '', e: e ?? '' };
    this.#keys.set(kid, record);
    return record;
  }

  #publish(record: KeyRecord): void {
    if (!this.#published.includes(record.kid)) this.#published.push(record.kid);
  }

  // --- HTTP -------------------------------------------------------------------------------------------

  #handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.#closing) {
      res.destroy();
      return;
    }
    this.#requests.total += 1;
    // Split by hand: `new URL('//x', base)` would read a leading `//` as a host.
    const path = (req.url ?? '/').split('?', 1)[0];
    const route = path === DISCOVERY_PATH ? 'discovery' : path === CERTS_PATH ? 'certs' : undefined;
    if (route) this.#requests[route] += 1;

    const normal =
      route && req.method === 'GET'
        ? { status: 200, body: JSON.stringify(route === 'certs' ? this.publicJwks() : this.openidConfiguration()) }
        : { status: 404, body: JSON.stringify({ error: { code: 'NotFound', message: 'The requested resource was not found.' } }) };

    const fault = this.#takeFault(route);
    if (!fault) {
      res.writeHead(normal.status, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(normal.body) });
      res.end(normal.body);
      return;
    }
    void this.#applyFault(res, fault, normal);
  }

  #takeFault(route: 'discovery' | 'certs' | undefined): Fault | undefined {
    const key: FaultRoute | undefined = route && this.#faults.has(route) ? route : this.#faults.has('all') ? 'all' : undefined;
    const entry = key && this.#faults.get(key);
    if (!key || !entry) return undefined;
    if (entry.remaining !== undefined) {
      entry.remaining -= 1;
      if (entry.remaining <= 0) this.#faults.delete(key);
    }
    return entry.fault;
  }

  async #applyFault(res: ServerResponse, fault: Fault, normal: { status: number; body: string }): Promise<void> {
    if (fault.delayMs) {
      await new Promise<void>((resolve) => this.#later(res, resolve, fault.delayMs ?? 0));
      if (res.destroyed || this.#closing) return;
    }
    // Doing nothing is the point: `close()` destroys the socket.
    if (fault.hang) return;

    const headers: OutgoingHttpHeaders = { ...fault.headers };
    if (fault.redirectTo !== undefined) {
      res.writeHead(302, { 'Content-Length': 0, ...headers, Location: fault.redirectTo });
      res.end();
      return;
    }

    const status = fault.status ?? (fault.body !== undefined || fault.oversizeBytes !== undefined ? 200 : normal.status);
    let body: Buffer;
    if (fault.body !== undefined) body = Buffer.isBuffer(fault.body) ? fault.body : Buffer.from(fault.body, 'utf8');
    else if (fault.status !== undefined && fault.status >= 400) {
      body = Buffer.from(JSON.stringify({ error: { code: `Http${status}`, message: 'Injected fault.' } }), 'utf8');
    } else body = Buffer.from(normal.body, 'utf8');

    headers['Content-Type'] = fault.contentType ?? JSON_TYPE;
    let source: BodySource;
    if (fault.oversizeBytes !== undefined) {
      // No Content-Length: a client must enforce its limit while reading, not trust a header.
      source = paddedSource(body, fault.oversizeBytes);
    } else {
      source = bufferSource(body);
      headers['Content-Length'] = body.length;
    }
    res.writeHead(status, headers);

    if (fault.dripBytesPerSecond !== undefined) this.#drip(res, source, fault.dripBytesPerSecond);
    else this.#pump(res, source);
  }

  // Sends `source` as fast as the client reads it, honouring backpressure so a huge body never buffers.
  #pump(res: ServerResponse, source: BodySource): void {
    let offset = 0;
    const step = (): void => {
      while (offset < source.length) {
        if (res.destroyed) return;
        const count = Math.min(64 * 1024, source.length - offset);
        const flushed = res.write(source.read(offset, count));
        offset += count;
        if (!flushed) {
          res.once('drain', step);
          return;
        }
      }
      res.end();
    };
    step();
  }

  // About 20 writes a second (fewer below 20 B/s), so the rate holds without a timer per byte.
  #drip(res: ServerResponse, source: BodySource, bytesPerSecond: number): void {
    const chunk = Math.max(1, Math.ceil(bytesPerSecond / 20));
    const interval = Math.max(1, Math.round((chunk * 1000) / bytesPerSecond));
    let offset = 0;
    res.flushHeaders();
    const tick = (): void => {
      if (res.destroyed || this.#closing) return;
      const count = Math.min(chunk, source.length - offset);
      res.write(source.read(offset, count));
      offset += count;
      if (offset >= source.length) res.end();
      else this.#later(res, tick, interval);
    };
    this.#later(res, tick, interval);
  }

  // A timer tied to both the service (cleared by close) and the response (cleared when the client leaves).
  #later(res: ServerResponse, fn: () => void, ms: number): void {
    const onClose = (): void => {
      clearTimeout(timer);
      this.#timers.delete(timer);
    };
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      res.off('close', onClose);
      fn();
    }, ms);
    this.#timers.add(timer);
    res.once('close', onClose);
  }
}

/**
 * Starts a local MAA instance on `http://127.0.0.1:<random port>`, serving
 * `/.well-known/openid-configuration` and `/certs` (everything else is 404). Always `close()` it.
 */
export function createTestAttestationService(options: TestAttestationServiceOptions = {}): Promise<TestAttestationService> {
  return TestAttestationService.start(options);
}
