import type { PhaseName } from "../functions/phase-name.js";
import { hasBrand } from "./brand.js";
import { flattenErrors, isAggregateError } from "./flatten-errors.js";
import { quoted } from "./quoted.js";

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
    // A subclass made without a name (`class extends RetryableError {}`) keeps this one.
    this.name = new.target.name || "RetryableError";
    Object.defineProperty(this, retryableBrand, { value: true });
  }
}

/**
 * The error an attempt fails with when it exceeds its `timeoutMs`; also the reason its
 * `scope.signal` aborts with. Its `name` is `"TimeoutError"`, like `AbortSignal.timeout()`'s.
 * A run's deadline (the run option `timeoutMs`) aborts the run with one too, whose `task`,
 * `phase` and `attempt` are `undefined`.
 */
export class TaskTimeoutError extends Error {
  /** Always `"TimeoutError"`. */
  override readonly name = "TimeoutError";
  constructor(
    /** The task whose attempt timed out; `undefined` for a run's deadline. */
    readonly task: string | undefined,
    /** The phase of that task; `undefined` for a run's deadline. */
    readonly phase: PhaseName | undefined,
    /** The attempt that timed out, 1 for the first; `undefined` for a run's deadline. */
    readonly attempt: number | undefined,
    /** The limit it exceeded, in ms (the function's or the run's `timeoutMs`). */
    readonly timeoutMs: number,
  ) {
    super(
      task === undefined
        ? `sdax run timed out: its deadline of ${timeoutMs} ms passed`
        : `task ${quoted(task)} ${phase} attempt ${attempt} timed out after ${timeoutMs} ms`,
    );
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
 * The default `retryOn` (`spec/task-functions.md` section 7.3). True for:
 *
 * - sdax's {@link TaskTimeoutError};
 * - {@link RetryableError} and its subclasses;
 * - Node connection errors: `code` ECONNRESET, ECONNREFUSED, ECONNABORTED, ETIMEDOUT, EPIPE,
 *   EAI_AGAIN, EHOSTUNREACH or ENETUNREACH on the error or on its `cause` chain (followed five
 *   levels at most; Node's `fetch` throws `TypeError: fetch failed` with the code on `cause`);
 * - an `AggregateError` (an `SdaxExecutionError` included) with at least one leaf, as
 *   `flattenErrors` finds them, whose leaves all match one of the rules above: a nested run
 *   whose every failure was a timeout is retried, as Python sdax retries exception groups.
 *
 * False for everything else: plain `Error`s, `AbortError`s, non-objects, an empty
 * `AggregateError`, an aggregate with any leaf that is not retryable. Never throws: a value
 * it cannot read (a revoked `Proxy`, a throwing getter) is not retryable.
 *
 * @example
 * isRetryable(new TaskTimeoutError("t", "execute", 1, 10)); // true
 * isRetryable(new AggregateError([new RetryableError("busy")])); // true
 * isRetryable(new AggregateError([new RetryableError("busy"), new Error("bug")])); // false
 */
export function isRetryable(error: unknown): boolean {
  if (isRetryableLeaf(error)) return true;
  if (!isAggregateError(error)) return false;
  // An aggregate that gives no leaf of its own (empty, unreadable, or holding only itself) is
  // its own leaf, and an aggregate leaf is not retryable.
  for (const leaf of flattenErrors(error)) {
    if (isAggregateError(leaf) || !isRetryableLeaf(leaf)) return false;
  }
  return true;
}

/** The rules for a single error (not the aggregate rule); never throws. */
function isRetryableLeaf(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  if (hasBrand(error, retryableBrand) || hasBrand(error, timeoutBrand)) return true;
  try {
    // The error, then five links of its `cause` chain at most: a cyclic chain must not loop.
    let at: unknown = error;
    for (let depth = 0; depth <= 5 && typeof at === "object" && at !== null; depth++) {
      const code = (at as { code?: unknown }).code;
      if (typeof code === "string" && retryableCodes.has(code)) return true;
      at = (at as { cause?: unknown }).cause;
    }
  } catch {
    // A property that cannot be read: not retryable.
  }
  return false;
}
