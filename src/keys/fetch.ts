import { Agent, request, type Dispatcher } from 'undici';
import { AttestationError } from '../errors.js';
import { CHANNELS, publish } from '../diagnostics.js';

export interface FetchOptions {
  /** undici dispatcher: a proxy (`EnvHttpProxyAgent`), a `MockAgent` in tests. Default: a shared Agent. */
  readonly dispatcher?: Dispatcher | undefined;
  /** Bound on the whole request, connect to last body byte, in milliseconds. */
  readonly timeoutMs: number;
  /** Largest response body accepted, counted on the bytes received. */
  readonly maxBytes: number;
  /** The issuer the request is for, for diagnostics. */
  readonly issuer: string;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_METADATA_BYTES = 1024 * 1024;

let defaultAgent: Agent | undefined;
function sharedAgent(): Agent {
  // Connect timeout lives on the agent; headers and body timeouts are set per request below.
  defaultAgent ??= new Agent({ connect: { timeout: DEFAULT_FETCH_TIMEOUT_MS }, keepAliveTimeout: 10_000 });
  return defaultAgent;
}

/**
 * GET a small JSON document from a key-metadata endpoint, hardened: one overall deadline (connect,
 * headers and a slowly dripping body all count), a size cap counted on received bytes (and no
 * compression, so the cap means what it says), redirects refused, JSON required. Every failure is an
 * ERR_METADATA_UNAVAILABLE carrying the cause.
 */
export async function fetchJson(url: string, options: FetchOptions): Promise<unknown> {
  const started = performance.now();
  const { issuer } = options;
  publish(CHANNELS.fetchStart, () => ({ issuer, url }));
  // A timer we clear ourselves, not AbortSignal.timeout: an abort that fires after the body was read or
  // destroyed would surface as an unhandled stream error.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  const signal = deadline.signal;
  try {
    const response = await untilDeadline(
      request(url, {
        method: 'GET',
        headers: { accept: 'application/json', 'accept-encoding': 'identity' },
        dispatcher: options.dispatcher ?? sharedAgent(),
        signal,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      }),
      signal,
    );
    const body = await readCapped(response, url, options.maxBytes, signal);
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      throw new AttestationError('ERR_METADATA_UNAVAILABLE', `${url} did not answer with JSON`);
    }
    publish(CHANNELS.fetchEnd, () => ({
      issuer,
      url,
      status: response.statusCode,
      bytes: body.length,
      durationMs: performance.now() - started,
    }));
    return value;
  } catch (cause) {
    const error =
      cause instanceof AttestationError
        ? cause
        : new AttestationError(
            'ERR_METADATA_UNAVAILABLE',
            `${url} could not be fetched${signal.aborted ? ` within ${options.timeoutMs} ms` : ''}`,
            { cause },
          );
    publish(CHANNELS.fetchError, () => ({ issuer, url, error, durationMs: performance.now() - started }));
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * undici acts on an abort only once the request has a connected socket: a connect that never completes
 * (a black-holed address, a stalled proxy, a custom connector) would outlive the deadline by the
 * dispatcher's own connect timeout, or for ever. So the deadline ends the wait itself; a response that
 * still arrives afterwards is discarded unread.
 */
function untilDeadline(pending: Promise<Dispatcher.ResponseData>, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (response) => {
        signal.removeEventListener('abort', onAbort);
        if (!signal.aborted) {
          resolve(response);
          return;
        }
        discard(response);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Drops a response unread. undici's body emits an AbortError when destroyed unread; nobody waits for it. */
function discard(response: Dispatcher.ResponseData): void {
  response.body.on('error', () => undefined);
  response.body.destroy();
}

async function readCapped(response: Dispatcher.ResponseData, url: string, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const fail = (message: string): never => {
    discard(response);
    throw new AttestationError('ERR_METADATA_UNAVAILABLE', `${url} ${message}`);
  };
  const status = response.statusCode;
  if (status >= 300 && status < 400) fail(`answered with a redirect (${status}), which is refused`);
  if (status !== 200) fail(`answered with status ${status}`);
  const encoding = response.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity') fail('answered with a compressed body, which is refused');
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) fail(`declared a body over ${maxBytes} bytes`);

  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > maxBytes) fail(`sent a body over ${maxBytes} bytes`);
    if (signal.aborted) fail('was too slow');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, received);
}
