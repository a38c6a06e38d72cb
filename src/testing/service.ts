/**
 * A local stand-in for a Microsoft Azure Attestation instance: a real HTTP server on loopback that serves
 * MAA's signing-key metadata, answers MAA's attest API for SGX enclaves (`/attest/SgxEnclave`,
 * `/attest/OpenEnclave`), mints tokens shaped exactly like MAA's, and has the knobs tests need (key
 * rotation, forged and unsigned tokens, misbehaving endpoints).
 *
 * This file is the server and its public face; the concerns live beside it: `keys.ts` (signing keys and
 * `/certs`), `minting.ts` (token encoding), `faults.ts` (injected misbehaviour), `attest-route.ts` and
 * `attestation.ts` (the attest API), `maa-policy.ts` (the policy language), `evidence.ts` (quote builders).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes, type KeyObject } from 'node:crypto';
import type { SelfSignedCertificate } from './certificate.js';
import { DEFAULT_POLICY_TEXT, defaultClaims, mergeClaims, setOrDelete } from './claims.js';
import { compileInstancePolicy, type AttestOutcome, type CompiledInstancePolicy, type InstancePolicy } from './attestation.js';
import { attestRouteOf, handleAttest } from './attest-route.js';
import { FaultInjector, JSON_TYPE, type Fault, type FaultRoute, type NormalResponse } from './faults.js';
import { initialPrivateKeys, positiveInteger, SigningKeys, type AddKeyOptions, type TestJwks } from './keys.js';
import { assertMintAlgorithm, epochSeconds, signCompact, sortedMembers, type MintOptions } from './minting.js';

/** Options of `createTestAttestationService`. */
export interface TestAttestationServiceOptions {
  /** How many signing keys to generate and publish at start. The first one is active. Default 1, at least 1. */
  keyCount?: number;
  /** RSA modulus length of generated keys, in bits. Default 2048; MAA also served 1024-bit keys (2020–2022). */
  modulusLength?: number;
  /** Lifetime (`exp - iat`) of minted tokens, in seconds. Default 28800 (8 h), as MAA's attestation tokens. */
  lifetimeSeconds?: number;
  /**
   * The clock for `iat`, `nbf` and `exp` of minted tokens, in milliseconds since the epoch: the same
   * type as the verifier's `now`, so one test clock can drive both. Default `Date.now`.
   */
  now?: () => number;
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
  /**
   * The instance's SGX attestation policy, in MAA's policy language: the attest routes evaluate it and
   * tokens carry its `x-ms-policy-hash`. Default `DEFAULT_POLICY_TEXT`, MAA's default policy, which
   * issues tokens for every enclave, debug ones included. Must parse, or the service does not start.
   */
  policyText?: string;
  /**
   * Runs after `policyText` permitted an attestation (not for draft policies): sees the evidence's claims
   * and can deny (`{ deny: reason }`, MAA's 400 `PolicyEvaluationError`) or add claims (`{ claims }`, as
   * a custom `issuancerules` block would).
   */
  policy?: InstancePolicy;
}

/** Requests received, by endpoint. `total` also counts unknown paths. */
export interface RequestCounters {
  discovery: number;
  certs: number;
  /** Requests to the attest routes, answered or refused. */
  attest: number;
  total: number;
}

const DISCOVERY_PATH = '/.well-known/openid-configuration';
const CERTS_PATH = '/certs';
const NOT_FOUND: NormalResponse = {
  status: 404,
  body: JSON.stringify({ error: { code: 'NotFound', message: 'The requested resource was not found.' } }),
};
// A slow client cannot hold an attest request open for long; loopback requests take milliseconds.
const REQUEST_TIMEOUT_MS = 30_000;

// The claims list a real shared instance advertises (cpp-metadata-shared-wus-2022.openid-configuration.json).
const CLAIMS_SUPPORTED = [
  'cnf',
  'nonce',
  'x-ms-ver',
  'x-ms-attestation-type',
  'x-ms-policy-hash',
  'x-ms-policy-signer',
  'x-ms-sgx-is-debuggable',
  'x-ms-sgx-mrenclave',
  'x-ms-sgx-mrsigner',
  'x-ms-sgx-svn',
  'x-ms-sgx-ehd',
  'x-ms-sgx-collateral',
  'is-debuggable',
  'sgx-mrsigner',
  'sgx-mrenclave',
  'product-id',
  'svn',
  'tee',
];

/**
 * A running local MAA instance. Create one with `createTestAttestationService()`, and `close()` it when done.
 */
export class TestAttestationService {
  /** `http://127.0.0.1:<port>`, no trailing slash: the `iss` of minted tokens and the CN of the certificates. */
  readonly issuer: string;
  /** `<issuer>/certs`: the `jku` of minted tokens and the discovery document's `jwks_uri`. */
  readonly jwksUri: string;
  /** The instance policy's text and `x-ms-policy-hash`. */
  readonly policyText: string;
  readonly policyHash: string;

  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #keys: SigningKeys;
  readonly #faults: FaultInjector;
  readonly #policy: CompiledInstancePolicy;
  readonly #requests: RequestCounters = { discovery: 0, certs: 0, attest: 0, total: 0 };
  readonly #lifetimeSeconds: number;
  readonly #now: () => number;
  #closing: Promise<void> | undefined;

  private constructor(
    server: Server,
    port: number,
    options: TestAttestationServiceOptions,
    lifetimeSeconds: number,
    modulusLength: number,
    privateKeys: readonly KeyObject[],
    policy: CompiledInstancePolicy,
  ) {
    this.#server = server;
    this.issuer = `http://127.0.0.1:${port}`;
    this.jwksUri = `${this.issuer}${CERTS_PATH}`;
    this.#lifetimeSeconds = lifetimeSeconds;
    this.#now = options.now ?? Date.now;
    this.#keys = new SigningKeys(this.issuer, modulusLength, options.jwksIncludesModulus ?? false, privateKeys);
    this.#faults = new FaultInjector(() => this.#closing !== undefined);
    this.#policy = policy;
    this.policyText = policy.text;
    this.policyHash = policy.hash;
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

  /**
   * `now()` checked where it is read: a function still returning a Date (this option's type before it
   * became milliseconds) would otherwise mint tokens at a time nobody chose.
   */
  #clockReading(): number {
    const ms: unknown = this.#now();
    if (typeof ms !== 'number' || !Number.isFinite(ms))
      throw new TypeError('now() must return milliseconds since the epoch (a number, not a Date)');
    return ms;
  }

  /** @internal Use `createTestAttestationService`. */
  static async start(options: TestAttestationServiceOptions = {}): Promise<TestAttestationService> {
    // Everything is validated before listening, so that a bad option leaks no server.
    const keyCount = positiveInteger(options.keyCount, 'keyCount', 1);
    const modulusLength = positiveInteger(options.modulusLength, 'modulusLength', 2048, 512);
    const lifetimeSeconds = positiveInteger(options.lifetimeSeconds, 'lifetimeSeconds', 28_800, 0);
    if (options.now !== undefined && typeof options.now !== 'function')
      throw new TypeError('now must be a function returning milliseconds since the epoch');
    const text = options.policyText ?? DEFAULT_POLICY_TEXT;
    if (typeof text !== 'string') throw new TypeError('policyText must be a string');
    const policy = compileInstancePolicy(text, options.policy);
    const generating = initialPrivateKeys(options.privateKeys ?? [], keyCount, modulusLength);
    // Marked handled now; awaited (and its error rethrown) only once the server is listening.
    generating.catch(() => undefined);

    const server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS });
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
    return new TestAttestationService(server, address.port, options, lifetimeSeconds, modulusLength, privateKeys, policy);
  }

  /** The kid `mint` signs with by default. It stays usable for minting even if removed from `/certs`. */
  get activeKid(): string {
    return this.#keys.activeKid;
  }

  /** Live request counters: read them after the client under test has run. */
  get requests(): Readonly<RequestCounters> {
    return this.#requests;
  }

  /** Sets every request counter back to 0. */
  resetCounters(): void {
    this.#requests.discovery = 0;
    this.#requests.certs = 0;
    this.#requests.attest = 0;
    this.#requests.total = 0;
  }

  /** The kids `/certs` currently publishes, in order. */
  keys(): string[] {
    return this.#keys.published();
  }

  /** Exactly the body `/certs` serves now (a fresh copy): handy for verifiers configured with pinned keys. */
  publicJwks(): TestJwks {
    return this.#keys.jwks();
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
  privateKey(kid: string = this.activeKid): KeyObject {
    return this.#keys.get(kid).privateKey;
  }

  /** The public key behind `kid` (default: the active key). */
  publicKey(kid: string = this.activeKid): KeyObject {
    return this.#keys.get(kid).publicKey;
  }

  /** The self-signed certificate (`CN=<issuer>`) published for `kid` (default: the active key). */
  certificate(kid: string = this.activeKid): SelfSignedCertificate {
    return this.#keys.get(kid).certificate;
  }

  /**
   * Publishes a new signing key (appended to `/certs`) and returns its kid. Synchronous, so generating a
   * 2048-bit key blocks for 50–200 ms; pass `privateKey` to skip that.
   */
  addKey(options: AddKeyOptions = {}): string {
    return this.#keys.add(options);
  }

  /**
   * Unpublishes `kid` from `/certs`; returns whether it was published. The key remains known, so
   * `mint({ kid })` can still sign with it (a token from before a rotation). If it was the active key, the
   * newest remaining published key becomes active; if none remains, it stays active while unpublished.
   */
  removeKey(kid: string): boolean {
    return this.#keys.remove(kid);
  }

  /**
   * Rotates like MAA: a new key (service `modulusLength`) becomes active and the only one in `/certs`.
   * Returns the new kid. Old keys stay usable for `mint({ kid })`.
   */
  rotateKeys(): string {
    return this.#keys.rotate();
  }

  /**
   * Mints a compact JWS shaped like MAA's: header `{alg, jku, kid, typ}` in that order, payload with
   * `exp`, `iat`, `iss`, `jti`, `nbf` and `defaultClaims(options.type, options.isolationTee)`, with `claims` merged on top by
   * `mergeClaims` (an `undefined` value removes a claim; legacy duplicates follow their `x-ms-*` claim).
   * Payload members are sorted by name, as MAA serializes them.
   */
  mint(claims: Record<string, unknown> = {}, options: MintOptions = {}): string {
    return this.#encode(
      (registered) => mergeClaims({ ...registered, ...defaultClaims(options.type, options.isolationTee) }, claims),
      options,
    );
  }

  /** Injects `fault` into `route` (replacing any fault there), or clears it with `null`. */
  setFault(route: FaultRoute, fault: Fault | null): void {
    this.#faults.set(route, fault);
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
      this.#faults.close();
      this.#closing = new Promise<void>((resolve, reject) => {
        this.#server.close((error) => (error ? reject(error) : resolve()));
      });
      for (const socket of this.#sockets) socket.destroy();
    }
    return this.#closing;
  }

  // The payload `claimsOver` builds over the registered claims, sorted and signed.
  #encode(claimsOver: (registered: Record<string, unknown>) => Record<string, unknown>, options: MintOptions): string {
    const alg = options.alg ?? 'RS256';
    assertMintAlgorithm(alg);
    const kid = options.kid ?? this.activeKid;
    const signingKey = options.signingKey ?? this.#keys.get(kid).privateKey;
    const iat = epochSeconds(options.iat ?? new Date(this.#clockReading()));
    const lifetime = options.lifetimeSeconds ?? this.#lifetimeSeconds;

    const header: Record<string, unknown> = { alg, jku: this.jwksUri, kid, typ: 'JWT' };
    for (const [name, value] of Object.entries(options.header ?? {})) setOrDelete(header, name, value);
    const registered = { exp: iat + lifetime, iat, iss: this.issuer, jti: randomBytes(32).toString('hex'), nbf: iat };
    return signCompact(header, sortedMembers(claimsOver(registered)), alg, signingKey);
  }

  #mintAttested(outcome: AttestOutcome): string {
    return this.#encode((registered) => ({ ...registered, ...outcome.claims }), { alg: outcome.unsigned ? 'none' : 'RS256' });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.#closing) {
      res.destroy();
      return;
    }
    this.#requests.total += 1;
    // Split by hand: `new URL('//x', base)` would read a leading `//` as a host.
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    const evidenceType = attestRouteOf(path);
    if (evidenceType !== undefined) {
      this.#requests.attest += 1;
      const query = queryAt < 0 ? '' : url.slice(queryAt + 1);
      void handleAttest(req, evidenceType, query, this.#policy, (outcome) => this.#mintAttested(outcome)).then((normal) =>
        this.#respond(res, 'attest', normal),
      );
      return;
    }
    const route = path === DISCOVERY_PATH ? 'discovery' : path === CERTS_PATH ? 'certs' : undefined;
    if (route) this.#requests[route] += 1;
    const normal =
      route && req.method === 'GET'
        ? { status: 200, body: JSON.stringify(route === 'certs' ? this.publicJwks() : this.openidConfiguration()) }
        : NOT_FOUND;
    this.#respond(res, route, normal);
  }

  #respond(res: ServerResponse, route: 'discovery' | 'certs' | 'attest' | undefined, normal: NormalResponse): void {
    if (res.destroyed || this.#closing) return;
    const fault = this.#faults.take(route);
    if (!fault) {
      res.writeHead(normal.status, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(normal.body) });
      res.end(normal.body);
      return;
    }
    void this.#faults.apply(res, fault, normal);
  }
}

/**
 * Starts a local MAA instance on `http://127.0.0.1:<random port>`, serving
 * `/.well-known/openid-configuration`, `/certs` and the SGX attest routes (everything else is 404).
 * Always `close()` it.
 */
export function createTestAttestationService(options: TestAttestationServiceOptions = {}): Promise<TestAttestationService> {
  return TestAttestationService.start(options);
}
