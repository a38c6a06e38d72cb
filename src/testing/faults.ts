/**
 * Misbehaviours the local MAA instance can be told to inject: delays, hangs, redirects, wrong statuses and
 * bodies, slow drips and oversize bodies. Timers are tracked so `close()` leaves nothing behind.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { positiveInteger } from './keys.js';

/**
 * Which endpoint a fault applies to: `discovery`, `certs`, `attest` (both attest routes), or `all`, which
 * covers every request the server receives, whatever its path.
 */
export type FaultRoute = 'certs' | 'discovery' | 'attest' | 'all';

/**
 * A misbehaviour to inject. Applied in this order: `delayMs`, then `hang`, then `redirectTo`, then the
 * response itself (`status`, `body`, `contentType`, `headers`), sent fast or by `dripBytesPerSecond`,
 * padded by `oversizeBytes`.
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

/** A response as the instance would send it without a fault. */
export interface NormalResponse {
  readonly status: number;
  readonly body: string;
}

export const JSON_TYPE = 'application/json; charset=utf-8';

interface BodySource {
  length: number;
  read(offset: number, count: number): Buffer;
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

/** Throws a RangeError for a fault whose fields are out of range. */
function checkFault(fault: Fault): void {
  if (fault.status !== undefined && (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 999)) {
    throw new RangeError('fault.status must be an HTTP status code');
  }
  if (fault.times !== undefined) positiveInteger(fault.times, 'fault.times', 1);
  if (fault.delayMs !== undefined && !(fault.delayMs >= 0)) throw new RangeError('fault.delayMs must be >= 0');
  if (fault.dripBytesPerSecond !== undefined && !(fault.dripBytesPerSecond > 0)) {
    throw new RangeError('fault.dripBytesPerSecond must be > 0');
  }
  if (fault.oversizeBytes !== undefined) positiveInteger(fault.oversizeBytes, 'fault.oversizeBytes', 0, 0);
}

/** The faults set on one instance, and the responses they produce. */
export class FaultInjector {
  readonly #faults = new Map<FaultRoute, { fault: Fault; remaining: number | undefined }>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #closing: () => boolean;

  /** `closing` says whether the instance is shutting down: nothing more is sent then. */
  constructor(closing: () => boolean) {
    this.#closing = closing;
  }

  set(route: FaultRoute, fault: Fault | null): void {
    if (fault === null) {
      this.#faults.delete(route);
      return;
    }
    checkFault(fault);
    this.#faults.set(route, { fault: { ...fault }, remaining: fault.times });
  }

  clear(): void {
    this.#faults.clear();
  }

  /** Clears every fault and timer. */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#faults.clear();
  }

  /** The fault for a request to `route` (its own, else `all`), counting it against `times`. */
  take(route: Exclude<FaultRoute, 'all'> | undefined): Fault | undefined {
    const key: FaultRoute | undefined = route && this.#faults.has(route) ? route : this.#faults.has('all') ? 'all' : undefined;
    const entry = key && this.#faults.get(key);
    if (!key || !entry) return undefined;
    if (entry.remaining !== undefined) {
      entry.remaining -= 1;
      if (entry.remaining <= 0) this.#faults.delete(key);
    }
    return entry.fault;
  }

  async apply(res: ServerResponse, fault: Fault, normal: NormalResponse): Promise<void> {
    if (fault.delayMs) {
      await new Promise<void>((resolve) => this.#later(res, resolve, fault.delayMs ?? 0));
      if (res.destroyed || this.#closing()) return;
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
      if (res.destroyed || this.#closing()) return;
      const count = Math.min(chunk, source.length - offset);
      res.write(source.read(offset, count));
      offset += count;
      if (offset >= source.length) res.end();
      else this.#later(res, tick, interval);
    };
    this.#later(res, tick, interval);
  }

  // A timer tied to both the instance (cleared by close) and the response (cleared when the client leaves).
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
