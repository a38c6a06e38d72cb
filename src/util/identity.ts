/**
 * A number per object or function, stable for its lifetime, so that identity can take part in a
 * string key without the key keeping the object alive.
 */
const ids = new WeakMap<object, number>();
let nextId = 0;

export function identityOf(value: object): number {
  let id = ids.get(value);
  if (id === undefined) {
    id = ++nextId;
    ids.set(value, id);
  }
  return id;
}
