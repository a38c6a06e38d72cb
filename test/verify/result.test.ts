import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../../src/index.js';
import { createTestAttestationService, runtimeDataClaims, type TestAttestationService } from '../../src/testing/index.js';
import { freezeJson, freezeResult, JSON_HEAP_BYTES } from '../../src/verify/result.js';

describe('freezeResult', () => {
  it('freezes nested objects and leaves byte arrays alone (they cannot be frozen)', () => {
    const frozen = freezeResult({ view: { nested: { value: 1 } }, list: [{ a: 1 }], bytes: new Uint8Array(2) });
    expect(Object.isFrozen(frozen)).toBe(true);
    expect(Object.isFrozen(frozen.view.nested)).toBe(true);
    expect(Object.isFrozen(frozen.list[0])).toBe(true);
  });

  let maa: TestAttestationService;
  beforeAll(async () => {
    maa = await createTestAttestationService();
  });
  afterAll(async () => {
    await maa.close();
  });

  /** Every object in a result, with the path to it; fails on an own accessor, which a direct walk would run. */
  function objectsOf(root: object): [string, object][] {
    const found: [string, object][] = [];
    const walk = (value: object, path: string) => {
      found.push([path, value]);
      for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(value))) {
        expect(descriptor.get ?? descriptor.set, `${path}.${name} is an own accessor`).toBeUndefined();
        const member: unknown = descriptor.value;
        if (typeof member === 'object' && member !== null && !ArrayBuffer.isView(member)) walk(member, `${path}.${name}`);
      }
    };
    walk(root, 'result');
    return found;
  }

  it.each([
    ['sgx with runtime data', () => maa.mint(runtimeDataClaims(Buffer.from('{"keys":[]}')))],
    ['sgx with JSON runtime data', () => maa.mint({ 'x-ms-runtime': { keys: [], 'client-payload': { nonce: 'n' } } })],
    ['sevsnpvm', () => maa.mint({}, { type: 'sevsnpvm' })],
    ['tdxvm', () => maa.mint({}, { type: 'tdxvm' })],
    ['azurevm on SEV-SNP', () => maa.mint({}, { type: 'azurevm' })],
    ['azurevm on TDX', () => maa.mint({}, { type: 'azurevm', isolationTee: 'tdxvm' })],
  ])('a verified %s result is frozen throughout and has no own accessor anywhere', async (_name, mint) => {
    const verifier = createVerifier({ issuers: [{ issuer: maa.issuer, jwks: maa.publicJwks() }], allowInsecureLoopback: true });
    const result = await verifier.verify(mint());
    const objects = objectsOf(result);
    expect(objects.length).toBeGreaterThan(3);
    for (const [path, value] of objects) expect(Object.isFrozen(value), `${path} is not frozen`).toBe(true);
  });
});

describe('freezeJson', () => {
  it('freezes parsed JSON deeply and sizes it by what it holds', () => {
    const value = JSON.parse('{"a":"hello","b":[1,2.5,{"c":"x"}],"d":null,"e":true}') as { b: [number, number, object] };
    const bytes = freezeJson(value);
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.b)).toBe(true);
    expect(Object.isFrozen(value.b[2])).toBe(true);
    const { object, array, slot, string, number } = JSON_HEAP_BYTES;
    // "hello" costs a string; 1 is a small integer; 2.5 a boxed double; "x" is V8's shared one-letter string.
    expect(bytes).toBe(object + 4 * slot + (string + 5) + (array + 3 * slot + number + (object + slot)));
  });

  it('charges an object of many members as a hash table', () => {
    const small = freezeJson(Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`k${i}`, i])));
    const large = freezeJson(Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, i])));
    expect(small).toBe(JSON_HEAP_BYTES.object + 128 * JSON_HEAP_BYTES.slot);
    expect(large).toBe(JSON_HEAP_BYTES.object + 256 * JSON_HEAP_BYTES.dictionaryEntry);
  });
});
