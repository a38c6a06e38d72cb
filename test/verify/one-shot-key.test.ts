import { describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { keySourceSettings, type KeySourceSettings } from '../../src/verify/key-sources.js';
import { settingsKey } from '../../src/verify/one-shot.js';
import { resolveOptions } from '../../src/verify/options.js';

// The one-shot form shares key sources between calls keyed by settingsKey(keySourceSettings(...)): the
// very object createKeySource builds from. Every member of it must take part, including ones added later.
const resolved = resolveOptions({ issuers: ['https://a.attest.azure.net'] });
const base = keySourceSettings(resolved.issuers[0]!, resolved);

/** Another value of the same kind: a different function, number, string, or object. */
function another(value: unknown): unknown {
  if (typeof value === 'function') return () => 0;
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'string') return `${value}x`;
  if (value === undefined) return { keys: [] };
  return { other: true };
}

describe('the one-shot key-source key', () => {
  it('is equal for settings built from equal options', () => {
    const again = resolveOptions({ issuers: ['https://a.attest.azure.net'] });
    expect(settingsKey(keySourceSettings(again.issuers[0]!, again))).toBe(settingsKey(base));
  });

  it.each(Object.keys(base))('changes when %s changes', (name) => {
    const changed = { ...base, [name]: another(base[name as keyof KeySourceSettings]) } as KeySourceSettings;
    expect(settingsKey(changed)).not.toBe(settingsKey(base));
  });

  it('takes a dispatcher and a clock by identity, not by their (empty) JSON', () => {
    const first = { ...base, dispatcher: new Agent(), now: () => 1 };
    const second = { ...base, dispatcher: new Agent(), now: () => 1 };
    expect(settingsKey(first)).toBe(settingsKey({ ...first }));
    expect(settingsKey(first)).not.toBe(settingsKey(second));
    void first.dispatcher.close();
    void second.dispatcher.close();
  });
});
