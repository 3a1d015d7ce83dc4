/**
 * What kind of function a value is, for the checks of phases, `retryOn` and `random`: calling
 * a generator function runs none of its body, a class cannot be called without `new`, and an
 * async function answers with a promise where an answer is wanted at once.
 */

// Samples whose prototypes are the intrinsic %GeneratorFunction.prototype% and
// %AsyncGeneratorFunction.prototype%, which have no global name.
function* sampleGenerator(): Generator<undefined> {
  yield;
}
async function* sampleAsyncGenerator(): AsyncGenerator<undefined> {
  yield;
}

const asyncFunctionPrototype: unknown = Object.getPrototypeOf(async () => {});

const generatorPrototypes: ReadonlyMap<unknown, string> = new Map<unknown, string>([
  [Object.getPrototypeOf(sampleGenerator), "a generator"],
  [Object.getPrototypeOf(sampleAsyncGenerator), "an async generator"],
]);

const generatorTags: ReadonlyMap<string, string> = new Map([
  ["[object GeneratorFunction]", "a generator"],
  ["[object AsyncGeneratorFunction]", "an async generator"],
]);

/** `Object.prototype.toString`'s tag of `value`, or undefined when reading it throws. */
function tagOf(value: unknown): string | undefined {
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return undefined;
  }
}

/**
 * `"a generator"` or `"an async generator"` for a `function*` or an `async function*` (bound
 * ones included), else undefined. Never throws: a function whose inspection throws (a revoked
 * `Proxy`) is not taken for a generator function.
 */
export function generatorKind(fn: unknown): string | undefined {
  try {
    const prototype: unknown = Object.getPrototypeOf(fn);
    // The common case, decided at once: a plain or async function of this realm.
    if (prototype === Function.prototype || prototype === asyncFunctionPrototype) return undefined;
    const byPrototype = generatorPrototypes.get(prototype);
    if (byPrototype !== undefined) return byPrototype;
  } catch {
    // Not inspectable this way; try the tag.
  }
  const tag = tagOf(fn);
  return tag === undefined ? undefined : generatorTags.get(tag);
}

/**
 * True for a `class`, which cannot be called without `new`. Only a function with a `prototype`
 * object (a `function` or a class; never an arrow, async or method function) has its source
 * looked at. Never throws. Built-in constructors (`Map`) and bound classes cannot be told from
 * functions and are not refused.
 */
export function isClass(fn: unknown): boolean {
  try {
    const prototype: unknown = (fn as { prototype?: unknown }).prototype;
    if (typeof prototype !== "object" || prototype === null) return false;
    return /^class\b/.test(Function.prototype.toString.call(fn));
  } catch {
    return false;
  }
}

/**
 * For a function that must answer at once (`retryOn`, `random`): `"an async function"`, `"a
 * generator function"` (and the like) or `"a class"`, or undefined for a plain function.
 * Never throws.
 */
export function notAnsweringAtOnce(fn: unknown): string | undefined {
  const generator = generatorKind(fn);
  if (generator !== undefined) return `${generator} function`;
  if (isClass(fn)) return "a class";
  if (isErrorConstructor(fn)) return "an error class";
  // The tag, inherited from %AsyncFunction.prototype%, holds for bound ones and other realms'.
  return tagOf(fn) === "[object AsyncFunction]" ? "an async function" : undefined;
}

/**
 * True for `Error` and the built-in error classes made from it (`TypeError`, `DOMException`),
 * this realm's or another's (a `vm` context's, an iframe's): called without `new` they return
 * an error, which a `retryOn` would give as its answer (a class written with `class` is told
 * by {@link isClass}). Never throws.
 */
function isErrorConstructor(fn: unknown): boolean {
  try {
    return inheritsError((fn as { prototype?: unknown }).prototype);
  } catch {
    return false;
  }
}

/**
 * True for an error of this realm or another: `value` is, or inherits from, an
 * `Error.prototype` (a `DOMException` too). Read through the prototype chain, not through
 * `Symbol.toStringTag`, which any object can claim. Never throws.
 */
export function isErrorValue(value: unknown): boolean {
  try {
    return (
      typeof value === "object" && value !== null && inheritsError(Object.getPrototypeOf(value))
    );
  } catch {
    return false;
  }
}

/** Whether `prototype` is an `Error.prototype` (of any realm) or inherits from one. */
function inheritsError(prototype: unknown): boolean {
  for (let depth = 0; depth < 16 && typeof prototype === "object" && prototype !== null; depth++) {
    if (prototype === Error.prototype || isForeignErrorPrototype(prototype)) return true;
    prototype = Object.getPrototypeOf(prototype);
  }
  return false;
}

/**
 * Another realm's `Error.prototype`: its own `constructor` is a function named `Error` whose
 * `prototype` it is, and it inherits from an object without a prototype of its own
 * (that realm's `Object.prototype`). Read through descriptors, so no getter runs.
 */
function isForeignErrorPrototype(prototype: object): boolean {
  const maker: unknown = Object.getOwnPropertyDescriptor(prototype, "constructor")?.value;
  if (typeof maker !== "function") return false;
  const name: unknown = Object.getOwnPropertyDescriptor(maker, "name")?.value;
  const parent: unknown = Object.getPrototypeOf(prototype);
  return (
    name === "Error" &&
    Object.getOwnPropertyDescriptor(maker, "prototype")?.value === prototype &&
    typeof parent === "object" &&
    parent !== null &&
    Object.getPrototypeOf(parent) === null
  );
}
