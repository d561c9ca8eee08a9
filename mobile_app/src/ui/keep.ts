// Stable identities for data read again: a screen re-reads IndexedDB after every change anywhere,
// and each read hands back new objects even for what did not change. Keeping the objects the
// screen already holds lets a memoised component (an item card) see that its own part is the same
// and skip its render, and lets a state setter given an equal value skip the whole screen's.

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** `next`, with every part equal to the same part of `before` replaced by `before`'s own object;
 * `before` itself when the two are equal all through. Only plain objects and arrays are looked
 * into: anything else (a Blob, a Date, a Set, a class's instance) is the same only when it is the
 * same object. Neither argument is changed. */
export function keepUnchanged<T>(before: T, next: T): T {
  if (Object.is(before, next)) return before;
  if (Array.isArray(before) && Array.isArray(next)) {
    let same = before.length === next.length;
    const kept = next.map((item, index) => {
      const part = keepUnchanged(before[index], item);
      if (part !== before[index]) same = false;
      return part;
    });
    return (same ? before : kept) as T;
  }
  if (isPlainObject(before) && isPlainObject(next)) {
    const keys = Object.keys(next);
    let same = keys.length === Object.keys(before).length;
    const kept: Record<string, unknown> = Object.create(Object.getPrototypeOf(next));
    for (const key of keys) {
      const part = keepUnchanged(before[key], next[key]);
      if (part !== before[key] || !Object.prototype.hasOwnProperty.call(before, key)) same = false;
      kept[key] = part;
    }
    return (same ? before : kept) as T;
  }
  return next;
}
