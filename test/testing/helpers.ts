import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';

/** One RSA key for every local instance of a test file: key generation dominates a service's cost. */
export const SERVICE_KEY: KeyObject = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

export function decodeToken(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string } {
  const [h = '', p = '', signature = ''] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>,
    signature,
  };
}

/** One recorded request to real MAA and what MAA answered. */
export interface RecordedExchange {
  readonly name: string;
  /** Path and query of the request, the host left out. */
  readonly pathAndQuery: string;
  readonly body: Record<string, unknown>;
  readonly status: number;
  readonly response: Record<string, unknown>;
  readonly evidence: Buffer;
}

const recordings = new URL('../fixtures/maa/recordings/', import.meta.url);

/** Every exchange under test/fixtures/maa/recordings (a folder with `-1`, `-2` files holds several). */
export function recordedExchanges(): RecordedExchange[] {
  const out: RecordedExchange[] = [];
  for (const entry of readdirSync(recordings, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = new URL(`${entry.name}/`, recordings);
    for (const file of readdirSync(dir).filter((name) => /^request(-\d+)?\.json$/.test(name))) {
      const suffix = file.slice('request'.length, -'.json'.length);
      const read = (name: string): Record<string, unknown> =>
        JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as Record<string, unknown>;
      const request = read(file) as { uri: string; body: Record<string, unknown> };
      const response = read(`response${suffix}.json`) as { status: number; body: Record<string, unknown> };
      const uri = new URL(request.uri);
      out.push({
        name: `${entry.name}${suffix}`,
        pathAndQuery: `${uri.pathname}${uri.search}`,
        body: request.body,
        status: response.status,
        response: response.body,
        evidence: readFileSync(new URL(`evidence${suffix}.bin`, dir)),
      });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** POSTs `body` as JSON to the instance. */
export async function post(
  base: string,
  pathAndQuery: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${pathAndQuery}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}
