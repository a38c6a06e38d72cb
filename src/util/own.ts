/**
 * Reads a member of parsed JSON only if the object itself carries it. `payload.constructor` on a token
 * without that claim would otherwise return `Object`, and a `__proto__` member would look inherited.
 */
export function own(object: Readonly<Record<string, unknown>>, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

/** The value at a claim path: own properties of JSON objects only, never into arrays or prototypes. */
export function ownPath(root: unknown, segments: readonly string[]): unknown {
  let value = root;
  for (const name of segments) {
    if (!isJsonObject(value)) return undefined;
    value = own(value, name);
  }
  return value;
}

/** A plain JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
