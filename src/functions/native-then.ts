/**
 * `Promise.prototype.then` itself, to call as `nativeThen.call(promise, ...)`: a promise's own
 * `then` property is user code and may throw or lie.
 */
export const nativeThen = Promise.prototype.then;

/**
 * If `value` is a native promise (of this realm or another: a `vm` context's, say), marks it
 * handled, handing its rejection to `onRejected`, and returns true; else false. The brand is
 * checked by `Promise.prototype.then` itself, so an object that only looks like a promise is
 * not one. Never throws.
 */
export function handleIfPromise(value: unknown, onRejected: (error: unknown) => void): boolean {
  if (typeof value !== "object" || value === null) return false;
  try {
    nativeThen.call(value, undefined, onRejected);
    return true;
  } catch {
    return false; // not a promise, or a subclass whose species cannot make one
  }
}
