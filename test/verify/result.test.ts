import { describe, expect, it } from 'vitest';
import { deepFreeze, freezeJson, JSON_HEAP_BYTES } from '../../src/verify/result.js';

describe('deepFreeze', () => {
  it('freezes nested objects without running a getter (the SGX view decodes bytes in one)', () => {
    let calls = 0;
    const view = { nested: { value: 1 } };
    Object.defineProperty(view, 'bytes', { enumerable: true, get: () => ++calls });
    const frozen = deepFreeze({ view, list: [{ a: 1 }] });
    expect(calls).toBe(0);
    expect(Object.isFrozen(frozen.view)).toBe(true);
    expect(Object.isFrozen(frozen.view.nested)).toBe(true);
    expect(Object.isFrozen(frozen.list[0])).toBe(true);
    expect((frozen.view as unknown as { bytes: number }).bytes).toBe(1);
  });

  it('leaves byte arrays alone (they cannot be frozen)', () => {
    const frozen = deepFreeze({ bytes: new Uint8Array(2) });
    expect(Object.isFrozen(frozen)).toBe(true);
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
