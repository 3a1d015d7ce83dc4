/**
 * An object literal (or `Object.create(null)`): what every options argument must be. Not an
 * array, a `Map`, a class instance or an `AbortSignal` passed where `{ signal }` was meant.
 * Never throws: a revoked `Proxy` is not one.
 */
export function isPlainObject(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  try {
    const prototype = Object.getPrototypeOf(value);
    return prototype === Object.prototype || prototype === null;
  } catch {
    return false;
  }
}

/**
 * `options[key]` if it is the object's own property, else `undefined`: on a plain object an
 * inherited value can only come from `Object.prototype`, which a polluted prototype would make
 * an option of every call. Throws what reading throws (a getter, a `Proxy` trap).
 */
export function ownOption(options: object, key: string): unknown {
  return Object.hasOwn(options, key) ? (options as Record<string, unknown>)[key] : undefined;
}

/**
 * The options' own enumerable properties, on an object without a prototype, for a schema that
 * reads every field by name. Throws what reading throws.
 */
export function ownOptions(options: object): Record<string, unknown> {
  const own: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(options)) own[key] = (options as Record<string, unknown>)[key];
  return own;
}
