/**
 * What the commands read: the token (argument, file or stdin), JSON files, dates. A mistake here is the
 * user's, so it is a UsageError (exit 2), never a refusal of the token.
 */
import { open } from 'node:fs/promises';
import { AttestationError } from '../errors.js';
import { DEFAULT_MAX_TOKEN_BYTES } from '../token/parse.js';

export interface CliIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  /**
   * Reads stdin as UTF-8, stopping as soon as more than `maxBytes` have arrived: what it returns is then
   * longer than `maxBytes`, and the rest is never read (`inspect - < /dev/zero` must end).
   */
  readonly stdin: (maxBytes: number) => Promise<string>;
}

/** Bytes read past maxTokenBytes: room for the whitespace around a token, and to explain an oversized one. */
export const READ_SLACK_BYTES = 4096;

/** How much of a token argument, file or stdin the commands read at most. */
export function tokenReadLimit(maxTokenBytes: number = DEFAULT_MAX_TOKEN_BYTES): number {
  return maxTokenBytes + READ_SLACK_BYTES;
}

/** A problem with the command line or the files it names: exit status 2 with a usage reminder. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Runs node:util parseArgs (strict), turning its TypeErrors into UsageErrors. */
export function parsingArgs<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(error.message);
    }
    throw error;
  }
}

// Compact JWS uses only these characters; anything else (a slash, a backslash…) names a file.
const TOKEN_SHAPE = /^[A-Za-z0-9_\-.]+$/;

/**
 * The token argument: `-` reads stdin, a string shaped like a token is the token, anything else is a
 * file holding one. Whitespace around it is dropped, since tokens arrive from pasted text and files
 * ending in a newline.
 */
export async function readTokenArgument(argument: string | undefined, io: CliIo, limit: number = tokenReadLimit()): Promise<string> {
  if (argument === undefined) throw new UsageError('missing the token argument (the token, a file holding it, or - for stdin)');
  if (argument === '-') {
    let text: string;
    try {
      text = await io.stdin(limit);
    } catch (error) {
      throw new UsageError(`cannot read the token from stdin: ${describeError(error)}`);
    }
    return bounded(text, limit, 'stdin').trim();
  }
  const trimmed = argument.trim();
  if (TOKEN_SHAPE.test(trimmed) && trimmed.includes('.')) return bounded(trimmed, limit, 'the token argument');
  try {
    return bounded(await readFileBounded(argument, limit), limit, `token file ${showPath(argument)}`).trim();
  } catch (error) {
    if (error instanceof AttestationError) throw error;
    // Three segments and no directory: a damaged token (padding, stray characters) rather than a path;
    // the parser says precisely what is wrong with it.
    if (isNotFound(error) && trimmed.split('.').length === 3 && !/[\\/]/.test(trimmed)) return trimmed;
    throw new UsageError(`cannot read token file ${showPath(argument)}: ${describeError(error)}`);
  }
}

/** The refusal the verifier would give, without reading (or keeping) the rest of an endless input. */
function bounded(text: string, limit: number, what: string): string {
  if (Buffer.byteLength(text, 'utf8') <= limit) return text;
  throw new AttestationError(
    'ERR_TOKEN_TOO_LARGE',
    `${what} holds more than ${limit} bytes (maxTokenBytes and ${READ_SLACK_BYTES} for whitespace): not read further`,
  );
}

/** At most `limit + 1` bytes of a file: enough to tell that it is too long (a device, a pipe, a huge file). */
async function readFileBounded(path: string, limit: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

// A whole token is longer than a file name may be, hence ENAMETOOLONG.
function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENAMETOOLONG');
}

// A mistyped token can be kilobytes long: keep the message readable.
function showPath(path: string): string {
  return JSON.stringify(path.length > 80 ? `${path.slice(0, 79)}…` : path);
}

/** Largest JWKS or policy file read: as large as a metadata response the verifier accepts. */
const MAX_JSON_FILE_BYTES = 1024 * 1024;

async function readTextFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFileBounded(path, MAX_JSON_FILE_BYTES);
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${showPath(path)}: ${describeError(error)}`);
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_JSON_FILE_BYTES)
    throw new UsageError(`${what} ${showPath(path)} is larger than ${MAX_JSON_FILE_BYTES} bytes`);
  return text;
}

export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const text = await readTextFile(path, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`invalid ${what} ${showPath(path)}: not JSON (${describeError(error)})`);
  }
}

/** `--at`: an ISO 8601 date, or seconds since the epoch as tokens write them. */
export function parseDateOption(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = /^\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new UsageError(`--at ${JSON.stringify(value)} is not a date (use ISO 8601, e.g. 2022-05-31T23:00:00Z)`);
  return date;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
    // fs messages already start with their code ("ENOENT: no such file…"); do not say it twice.
    return code !== undefined && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
