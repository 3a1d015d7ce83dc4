import type { Attempt } from "../functions/attempt.js";
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
 * retry. `retryOn` and `random` are user code: if one throws, there is no retry and the
 * attempt's error becomes an `AggregateError` of both errors, which the phase then fails with.
 */
export function judgeRetry(attempt: Attempt, random: () => number): number | undefined {
  if (attempt.attempt > attempt.fn.retries) return undefined;
  let judging = "retryOn";
  try {
    if (attempt.fn.retryOn(attempt.error) !== true) return undefined;
    judging = "random";
    return retryDelay(attempt.fn, attempt.attempt, random());
  } catch (thrown) {
    attempt.error = new AggregateError(
      [attempt.error, thrown],
      `task "${attempt.task}" ${attempt.phase}: ${judging} threw while judging attempt ${attempt.attempt}'s error`,
    );
    return undefined;
  }
}
