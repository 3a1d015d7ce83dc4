/**
 * `Promise.prototype.then` itself, to call as `nativeThen.call(promise, ...)`: a promise's own
 * `then` property is user code and may throw or lie.
 */
export const nativeThen = Promise.prototype.then;
