/**
 * Express 4/5 and Connect: a thin adapter over the request gate. It turns the Node request into a
 * `GateRequest`, asks the gate, and writes the outcome back (`req.attestation` and `next()`, or the
 * refusal); every rule lives in the gate.
 */
import { IncomingMessage } from 'node:http';
import { Http2ServerRequest } from 'node:http2';
import { CHANNELS, publish } from '../diagnostics.js';
import { AttestationError, asAttestationError } from '../errors.js';
import { adapterGate, capturedBody } from '../gate/adapter.js';
import { nodeGateRequest } from '../gate/node.js';
import type {
  GateOutcome,
  GateRequest,
  PossessionOptions as GatePossessionOptions,
  RequestGateOptions,
  TokenSources,
} from '../gate/types.js';
import type { VerifiedAttestation } from '../verify/result.js';
import type { RequestLike } from './extract.js';
import { sendProblem, type ResponseLike } from './respond.js';

export interface RequireAttestationOptions extends Omit<RequestGateOptions, 'token' | 'onRefusal' | 'possession'> {
  /** Where the token is looked for. Default: `Authorization: Bearer` only. `from` receives the Express request. */
  readonly token?: TokenSources<AttestedRequest>;
  /**
   * Hand refusals to `next(err)` instead of answering: the AttestationError then carries `status` and
   * `headers`, so Express's default handler answers with the right status and `WWW-Authenticate`. Default false.
   */
  readonly passErrors?: boolean;
  /**
   * Called with each refusal before it is answered, for logs and metrics. The error's message, and for
   * ERR_POLICY_DENIED its `decision.reasons`, say exactly what failed; they are never sent to the client.
   * A throw or a rejected promise is published on `CHANNELS.callbackError`, never crashes the process.
   */
  readonly onRefusal?: (error: AttestationError, req: AttestedRequest) => unknown;
  /**
   * Require proof of possession: each request signed (RFC 9421) with the private key whose public half
   * the enclave put in its runtime data (`attestation.runtimeKey`), so a stolen token alone is refused.
   */
  readonly possession?: PossessionOptions;
}

export interface PossessionOptions extends GatePossessionOptions {
  /**
   * The raw request body, for its `Content-Digest`. Default: `req.rawBody`, or `req.body` when it is a
   * Buffer (`express.raw()`). A request that may carry a body the gate cannot see is refused.
   */
  readonly body?: (req: AttestedRequest) => Uint8Array | undefined;
}

/** The request as the middleware leaves it. */
export interface AttestedRequest extends RequestLike {
  attestation?: VerifiedAttestation;
  readonly method?: string;
  readonly originalUrl?: string;
  readonly rawBody?: unknown;
  readonly body?: unknown;
  readonly httpVersionMajor?: number;
  /** HTTP/2 (compatibility API): the stream, which says whether the request ended with its headers. */
  readonly stream?: { readonly endAfterHeaders?: boolean };
  /** The connection (Node's socket): a keep-alive client's repeated token is recognised on it. */
  readonly socket?: object;
}

type Next = (error?: unknown) => void;

function invalid(message: string): never {
  throw new AttestationError('ERR_CONFIG_INVALID', message);
}

/**
 * Express 4/5 and Connect middleware: a plain `(req, res, next)` function that never throws and never
 * returns a rejected promise (Express 4 would not catch it). On success `req.attestation` holds the
 * verified attestation; on refusal it answers 400/401/403/500/503 with an RFC 9457 problem body and
 * RFC 6750 `WWW-Authenticate`, or passes the error to `next` (`passErrors`).
 */
export function requireAttestation(options: RequireAttestationOptions): (req: AttestedRequest, res: ResponseLike, next: Next) => void {
  const passErrors = (options as Partial<RequireAttestationOptions> | null | undefined)?.passErrors;
  if (passErrors !== undefined && typeof passErrors !== 'boolean') invalid('passErrors must be a boolean');
  const gate = adapterGate(options, 'requireAttestation');
  const { possession } = options;
  // Read only under possession: the gate asks for the body nowhere else.
  const bodyOf = possession?.body ?? capturedBody;

  function settle(outcome: GateOutcome, req: AttestedRequest, res: ResponseLike, next: Next): void {
    if (outcome.ok) {
      if (outcome.attestation !== undefined) attach(req, outcome.attestation);
      next();
      return;
    }
    if (passErrors === true) {
      // The error handed to next carries the headers Express's default handler sends; the gate never sets them.
      outcome.error.headers = { ...outcome.headers };
      next(outcome.error);
      return;
    }
    if (res.headersSent === true) {
      next(outcome.error);
      return;
    }
    sendProblem(res, { status: outcome.status, headers: outcome.headers, body: outcome.problem });
  }

  return function attestationGate(req, res, next) {
    let request: GateRequest;
    try {
      request = nodeGateRequest(req, { target: () => req.originalUrl ?? req.url, body: () => bodyOf(req) });
    } catch (error) {
      next(asAttestationError(error));
      return;
    }
    // A remembered token is answered synchronously: no promise, no extra tick on the hot path.
    const known = gate.checkSync(request);
    if (known !== undefined) {
      settle(known, req, res, next);
      return;
    }
    gate
      .check(request)
      .then((outcome) => settle(outcome, req, res, next))
      .then(undefined, (error: unknown) => {
        // Only a throw from `next` itself lands here: reported, never an unhandled rejection.
        publish(CHANNELS.callbackError, () => ({ callback: 'next', error }));
      });
  };
}

/**
 * Where `req.attestation` is kept. Express gives every request object its own hidden class (it swaps the
 * prototype of Node's request per app), so a plain `req.attestation = …` is a megamorphic store that,
 * measured, cost more than a WeakMap's `set` on a repeated-token request. Express's base request
 * prototype (`express.request`, below every app's and mounted sub-app's) gets an accessor once instead,
 * reading and writing this map; so `req.attestation` reads and assigns as before, in every app a request
 * passes through. Node's own prototypes are never patched: a plain Node request (Connect) gets an
 * ordinary property.
 */
const attached = new WeakMap<object, VerifiedAttestation | undefined>();

const accessor: PropertyDescriptor = {
  get(this: object) {
    return attached.get(this);
  },
  set(this: object, value: VerifiedAttestation | undefined) {
    attached.set(this, value);
  },
  enumerable: false,
  configurable: true,
};

/** Prototypes seen, by whether `attestation` read through them is this module's accessor. */
const accessorOn = new WeakMap<object, boolean>();
const NODE_REQUESTS: readonly object[] = [IncomingMessage.prototype, Http2ServerRequest.prototype];
let lastPrototype: object | null = null;
let lastHasAccessor = false;

function attach(req: AttestedRequest, attestation: VerifiedAttestation): void {
  const prototype = Object.getPrototypeOf(req) as object | null;
  if (prototype !== lastPrototype) {
    lastPrototype = prototype;
    lastHasAccessor = prototype !== null && hasAccessor(prototype);
  }
  if (lastHasAccessor) attached.set(req, attestation);
  else req.attestation = attestation;
}

function hasAccessor(prototype: object): boolean {
  let known = accessorOn.get(prototype);
  if (known === undefined) {
    known = installAccessor(prototype);
    accessorOn.set(prototype, known);
  }
  return known;
}

/** Defines the accessor on the last prototype before Node's request (none for Node's own requests). */
function installAccessor(prototype: object): boolean {
  let base: object | undefined;
  for (let current: object | null = prototype; current !== null; current = Object.getPrototypeOf(current) as object | null) {
    const existing = Object.getOwnPropertyDescriptor(current, 'attestation');
    if (existing !== undefined) return existing.get === accessor.get;
    if (NODE_REQUESTS.includes(current)) break;
    if (NODE_REQUESTS.includes(Object.getPrototypeOf(current) as object)) base = current;
  }
  if (base === undefined || !Object.isExtensible(base)) return false;
  Object.defineProperty(base, 'attestation', accessor);
  return true;
}

/** The verified attestation the gate attached to this request, or undefined on an ungated route. */
export function getAttestation(req: object): VerifiedAttestation | undefined {
  return (req as AttestedRequest).attestation;
}
