import { readFileSync, readdirSync } from 'node:fs';
import { readMaaCertificateQuote } from '../../../src/keys/maa-quote.js';

const fixtures = new URL('../../fixtures/maa/', import.meta.url);

/** Every distinct real MAA signing certificate in the fixtures (`/certs` bodies and recordings) with its quote. */
export function realCertificateQuotes(): { file: string; kid: string; certificate: string; quote: Uint8Array }[] {
  const files = [
    ...readdirSync(fixtures).filter((name) => name.endsWith('.certs.json')),
    ...readdirSync(new URL('recordings/', fixtures), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `recordings/${entry.name}/certs.json`),
  ].sort();
  const seen = new Set<string>();
  const out: { file: string; kid: string; certificate: string; quote: Uint8Array }[] = [];
  for (const file of files) {
    const { keys } = JSON.parse(readFileSync(new URL(file, fixtures), 'utf8')) as { keys: { kid: string; x5c?: string[] }[] };
    for (const { kid, x5c } of keys) {
      const certificate = x5c?.length === 1 ? x5c[0] : undefined;
      if (certificate === undefined || seen.has(certificate)) continue;
      seen.add(certificate);
      out.push({ file, kid, certificate, quote: readMaaCertificateQuote(certificate).quote.bytes });
    }
  }
  return out;
}
