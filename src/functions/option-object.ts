import { describeValue } from "../errors/describe-error.js";
import { escapedText } from "../errors/quoted.js";

/**
 * An object literal (or `Object.create(null)`): what every options argument must be. Not an
 * array, a `Map`, a class instance or an `AbortSignal` passed where `{ signal }` was meant.
 * Never throws: a revoked `Proxy` is not one.
 */
export function isPlainObject(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  try {
    return isPlainPrototype(Object.getPrototypeOf(value));
  } catch {
    return false;
  }
}

/** Whether an object with this prototype is a plain object (see {@link isPlainObject}). */
export function isPlainPrototype(prototype: unknown): boolean {
  return (
    prototype === Object.prototype || prototype === null || isForeignObjectPrototype(prototype)
  );
}

/**
 * True for another realm's `Object.prototype` (a `vm` context's, an iframe's): an object
 * literal made there is a plain object too. Such a prototype has none of its own, and is the
 * `prototype` of its own `constructor`, a function named `Object`.
 */
function isForeignObjectPrototype(prototype: unknown): boolean {
  if (typeof prototype !== "object" || prototype === null) return false;
  if (Object.getPrototypeOf(prototype) !== null || !Object.hasOwn(prototype, "constructor")) {
    return false;
  }
  const maker = (prototype as { constructor: unknown }).constructor;
  return (
    typeof maker === "function" &&
    maker.name === "Object" &&
    (maker as { prototype?: unknown }).prototype === prototype
  );
}

/**
 * `options[key]` if it is the object's own enumerable property (what `Object.keys` lists, and
 * what a spread copies), else `undefined`: on a plain object an inherited value can only come
 * from `Object.prototype`, which a polluted prototype would make an option of every call.
 * Throws what reading throws (a getter, a `Proxy` trap).
 */
export function ownOption(options: object, key: string): unknown {
  return isEnumerable.call(options, key) ? (options as Record<string, unknown>)[key] : undefined;
}

const isEnumerable = Object.prototype.propertyIsEnumerable;

/**
 * The options' own enumerable properties, on an object without a prototype, for a schema that
 * reads every field by name. Throws what reading throws.
 */
export function ownOptions(options: object): Record<string, unknown> {
  const own: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(options)) own[key] = (options as Record<string, unknown>)[key];
  return own;
}

/**
 * `options`, an options argument of `caller`, as a copy of its own enumerable fields, each
 * read once. Throws a `TypeError` from `caller` for what is not a plain object (`like` shows
 * one), for options that cannot be read (its `cause` what reading threw), for a key in
 * `refused` given a value (saying why it cannot be set), and for any other key not in `known`.
 */
export function readOptionObject(
  options: unknown,
  caller: string,
  known: readonly string[],
  like?: string,
  refused: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  if (!isPlainObject(options)) {
    const example = like === undefined ? "" : ` like ${like}`;
    throw new TypeError(
      `${caller}: options must be a plain object${example}, got ${describeValue(options)}`,
    );
  }
  let copy: Record<string, unknown>;
  try {
    copy = ownOptions(options);
  } catch (cause) {
    throw new TypeError(`${caller}: options could not be read`, { cause });
  }
  for (const key of Object.keys(copy)) {
    if (Object.hasOwn(refused, key)) {
      if (copy[key] === undefined) continue;
      throw new TypeError(`${caller}: option \`${key}\` cannot be set: ${refused[key]}`);
    }
    if (!known.includes(key)) {
      throw new TypeError(
        `${caller}: unknown option \`${escapedText(key)}\`; known options: ${known.join(", ")}`,
      );
    }
  }
  return copy;
}
