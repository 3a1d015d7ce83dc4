import { hasBrand } from "./brand.js";

const retryableBrand = Symbol.for("sdax.RetryableError");
const timeoutBrand = Symbol.for("sdax.TaskTimeoutError");

/**
 * Throw this (or a subclass) from a task function to ask for a retry under the default
 * `retryOn` ({@link isRetryable}).
 *
 * @example
 * const fetchQuote = taskFunc(async (ctx: Ctx, scope) => {
 *   const res = await fetch(url, { signal: scope.signal });
 *   if (res.status === 503) throw new RetryableError("quote service busy");
 *   ctx.quote = await res.json();
 * }, { retries: 3 });
 */
export class RetryableError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    Object.defineProperty(this, retryableBrand, { value: true });
  }
}

/**
 * The error an attempt fails with when it exceeds its `timeoutMs`; also the reason its
 * `scope.signal` aborts with. Its `name` is `"TimeoutError"`, like `AbortSignal.timeout()`'s.
 */
export class TaskTimeoutError extends Error {
  override readonly name = "TimeoutError";
  constructor(
    readonly task: string,
    readonly phase: string,
    readonly attempt: number,
    readonly timeoutMs: number,
  ) {
    super(`task "${task}" ${phase} attempt ${attempt} timed out after ${timeoutMs} ms`);
    Object.defineProperty(this, timeoutBrand, { value: true });
  }
}

/** True for a {@link TaskTimeoutError}, even one from another copy of the package. */
export function isTaskTimeoutError(value: unknown): value is TaskTimeoutError {
  return hasBrand(value, timeoutBrand);
}

const retryableCodes: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/**
 * The default `retryOn`: true for sdax's {@link TaskTimeoutError}, for {@link RetryableError}
 * and its subclasses, and for Node connection errors: `code` ECONNRESET, ECONNREFUSED,
 * ECONNABORTED, ETIMEDOUT, EPIPE, EAI_AGAIN, EHOSTUNREACH or ENETUNREACH on the error or on
 * its `cause` chain (Node's `fetch` throws `TypeError: fetch failed` with the code on `cause`).
 */
export function isRetryable(error: unknown): boolean {
  if (hasBrand(error, retryableBrand) || hasBrand(error, timeoutBrand)) return true;
  // Follow `cause` a few levels at most: a cyclic chain must not loop.
  let at: unknown = error;
  for (let depth = 0; depth < 5 && typeof at === "object" && at !== null; depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === "string" && retryableCodes.has(code)) return true;
    at = (at as { cause?: unknown }).cause;
  }
  return false;
}
