import { readFileSync } from 'node:fs';
import { X509Certificate, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { certificateToPem, maaKeyId } from '../../src/keys/maa-kid.js';

const fixture = (name: string): { keys: { kid: string; x5c?: string[] }[] } =>
  JSON.parse(readFileSync(new URL(`../fixtures/maa/${name}`, import.meta.url), 'utf8'));

// Files spanning instances, trust models, the 2022 rotation (with a 1024-bit key) and the 2020 format.
const FILES = [
  'cpp-sgx-shared-wus-2022.certs.json',
  'cpp-sgx-runtimebinary-shared-wus-2022-03-oldkey.certs.json',
  'cpp-openenclave-runtimejson-aad-2022.certs.json',
  'faasm-sgx-custom-eus2-2024.certs.json',
  'azsamples-uks-2020.certs.json',
];

describe('maaKeyId', () => {
  for (const file of FILES) {
    it(`reproduces every self-signed kid in ${file}`, () => {
      const single = fixture(file).keys.filter((k) => k.x5c?.length === 1);
      expect(single.length).toBeGreaterThan(0);
      for (const key of single) {
        const cert = new X509Certificate(certificateToPem(key.x5c?.[0] ?? ''));
        const kid = maaKeyId(cert.publicKey);
        expect(kid).toBe(key.kid);
        expect(kid).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      }
    });
  }

  it('hashes the public half of a private key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(maaKeyId(privateKey)).toBe(maaKeyId(publicKey));
    expect(maaKeyId(createPublicKey(privateKey))).toBe(maaKeyId(publicKey));
  });
});

describe('certificateToPem', () => {
  it('wraps in 64-character lines between armour', () => {
    const b64 = fixture('cpp-sgx-shared-wus-2022.certs.json').keys[0]?.x5c?.[0] ?? '';
    const pem = certificateToPem(b64);
    const lines = pem.trimEnd().split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines.at(-1)).toBe('-----END CERTIFICATE-----');
    const body = lines.slice(1, -1);
    expect(body.slice(0, -1).every((l) => l.length === 64)).toBe(true);
    expect(body.join('')).toBe(b64);
  });

  it('is what makes Node parse the outer MAA certificate, not the Intel one inside it', () => {
    const b64 = fixture('cpp-sgx-shared-wus-2022.certs.json').keys[0]?.x5c?.[0] ?? '';
    expect(new X509Certificate(certificateToPem(b64)).subject).toBe('CN=https://sharedwus.wus.attest.azure.net');
    // The trap this helper exists for: DER input yields the PCK certificate embedded in the quote extension.
    expect(new X509Certificate(Buffer.from(b64, 'base64')).subject).not.toBe('CN=https://sharedwus.wus.attest.azure.net');
  });

  it('refuses anything but canonical standard base64', () => {
    for (const bad of ['', 'abc', 'ab-_', 'QUJD\n', 'QUJD\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nQUJD']) {
      expect(() => certificateToPem(bad)).toThrow(TypeError);
    }
  });
});
