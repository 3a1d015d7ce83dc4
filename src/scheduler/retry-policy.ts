import { quoted } from "../errors/quoted.js";
import type { Attempt } from "../functions/attempt.js";
import { isErrorValue } from "../functions/function-kind.js";
import { handleIfPromise } from "../functions/native-then.js";
import type { ResolvedOptions } from "../functions/options.js";

/**
 * The wait after failed attempt `attempt` (1-based) before the next one:
 * `min(maxDelayMs, initialDelayMs * backoffFactor ** (attempt - 1) * uniform(0.5, 1))`,
 * where `uniform` comes from `random` (clamped to [0, 1], anything but a number counting as 0,
 * so a bad source cannot yield NaN).
 */
export function retryDelay(options: ResolvedOptions, attempt: number, random: unknown): number {
  // Anything but a number is 0, never converted: an object's valueOf is user code that could
  // give another value at each conversion.
  const unit =
    typeof random !== "number" ? 0 : random >= 0 && random <= 1 ? random : random > 1 ? 1 : 0;
  const jitter = 0.5 + 0.5 * unit;
  if (options.initialDelayMs === 0) return 0;
  return Math.min(
    options.maxDelayMs,
    options.initialDelayMs * options.backoffFactor ** (attempt - 1) * jitter,
  );
}

/**
 * Whether a failed attempt is retried, and after how long: the delay, or undefined for no
 * retry. `retryOn` and `random` are user code: if one throws, or answers with a promise instead
 * of at once (or `retryOn` with an error, as an error class called as a function does), there
 * is no retry and the attempt's error becomes an `AggregateError` of both
 * errors, which the phase then fails with.
 */
export function judgeRetry(attempt: Attempt, random: () => number): number | undefined {
  if (attempt.attempt > attempt.fn.retries) return undefined;
  let judging = "retryOn";
  let failed = "threw";
  try {
    const retryOn = attempt.fn.retryOn; // called with no \`this\`, as task functions are
    const verdict: unknown = retryOn(attempt.error);
    if (verdict !== true) {
      if (handleIfPromise(verdict, ignore)) {
        failed = "answered with a promise";
        throw answeredLater(verdict, judging);
      }
      if (isErrorValue(verdict)) {
        failed = "answered with an error";
        throw answeredWithError(verdict);
      }
      return undefined;
    }
    judging = "random";
    const unit: unknown = random();
    if (typeof unit !== "number" && handleIfPromise(unit, ignore)) {
      failed = "answered with a promise";
      throw answeredLater(unit, judging);
    }
    return retryDelay(attempt.fn, attempt.attempt, unit);
  } catch (thrown) {
    attempt.error = new AggregateError(
      [attempt.error, thrown],
      `task ${quoted(attempt.task)} ${attempt.phase}: ${judging} ${failed} while judging attempt ${attempt.attempt}'s error`,
    );
    return undefined;
  }
}

/**
 * The error for a `retryOn` or `random` that answered with a promise. The promise is its
 * `cause`, already marked handled: what it settles with is there for whoever reads the error,
 * and a rejection does not crash the process as an unhandled one.
 */
function answeredLater(promise: unknown, judging: string): TypeError {
  return new TypeError(`${judging} must answer at once, not with a promise`, { cause: promise });
}

/**
 * The error for a `retryOn` that answered with an error: an error class called as a function
 * does (a bound one, or one the checks made when the function was made could not tell).
 */
function answeredWithError(verdict: unknown): TypeError {
  return new TypeError(
    "retryOn must answer true or false, not with an error: an error class given as retryOn? Give (error) => error instanceof TheClass",
    { cause: verdict },
  );
}

function ignore(): void {}
