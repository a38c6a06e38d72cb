import { readFileSync } from 'node:fs';

export interface ManifestEntry {
  readonly token: string;
  readonly certs: string | null;
  readonly issuer: string;
  readonly kid: string;
  readonly alg: string;
  readonly iat: number;
  readonly exp: number;
  readonly attestationType: string | null;
  readonly expect: string;
}

const directory = new URL('../fixtures/maa/', import.meta.url);

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, directory), 'utf8').trim();
}

export function fixtureJson<T = unknown>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}

export const manifest: readonly ManifestEntry[] = fixtureJson<ManifestEntry[]>('manifest.json');

/** A moment inside a token's validity window, to verify long-expired real tokens. */
export function insideWindow(entry: { iat: number; exp: number }): Date {
  return new Date(((entry.iat + entry.exp) / 2) * 1000);
}

export function expectedOutcome(entry: ManifestEntry): 'accept' | 'policy-management' | 'unsigned' | 'unverifiable' {
  if (entry.expect.startsWith('accept')) return 'accept';
  if (entry.expect.includes('policy-management')) return 'policy-management';
  if (entry.expect.includes('unsigned')) return 'unsigned';
  return 'unverifiable';
}

/** The decoded payload of a real token (`decoded/<name>.json`), as plain JSON. */
export function decodedPayload(name: string): Record<string, unknown> {
  return fixtureJson<{ payload: Record<string, unknown> }>(`decoded/${name}.json`).payload;
}

/** A clock stopped at `date`, as the verifier's `now` option takes it: milliseconds since the epoch. */
export function clockAt(date: Date): () => number {
  const ms = date.getTime();
  return () => ms;
}
