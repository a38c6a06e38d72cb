/**
 * Reads a member of parsed JSON only if the object itself carries it. `payload.constructor` on a token
 * without that claim would otherwise return `Object`, and a `__proto__` member would look inherited.
 */
export function own(object: Readonly<Record<string, unknown>>, name: string): unknown {
  // Read first: most names a reader asks for are absent, and then one lookup answers.
  const value = object[name];
  return value !== undefined && Object.hasOwn(object, name) ? value : undefined;
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

/**
 * Array.isArray narrowing to `readonly unknown[]` rather than `any[]`: a list typed by its declaration
 * keeps its element type where it is checked for JavaScript callers, and an unknown value gets unknown
 * elements instead of unchecked ones.
 */
export function isList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

/** A plain JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
