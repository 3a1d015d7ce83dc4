import { describeValue } from "../errors/describe-error.js";
import type { LifecycleEvent } from "../events/lifecycle-event.js";
import { MAX_TIMER_MS } from "../functions/options.js";
import type { Clock } from "../time/clock.js";

/** Options of one run. */
export interface RunOptions {
  /** Cancels the whole run when it aborts (until cleanup begins; postExecute is never aborted). */
  readonly signal?: AbortSignal | undefined;
  /**
   * Receives every lifecycle transition, in order, as plain data. Called synchronously: keep it
   * cheap. An error it throws is reported as an uncaught exception (like an `EventTarget`
   * listener's) and does not disturb the run. Without it no event is built.
   */
  readonly onEvent?: ((event: LifecycleEvent) => void) | undefined;
  /** Time source for timeouts, retry delays and event times. @default realClock */
  readonly clock?: Clock | undefined;
  /** Jitter source for retry delays, returning [0, 1). @default Math.random */
  readonly random?: (() => number) | undefined;
  /**
   * Default `abandonAfterMs` for every function of this run that sets none: how long to wait
   * for a cancelled or timed-out function to settle. `null` or absent: wait for ever.
   */
  readonly abandonAfterMs?: number | null | undefined;
}

const knownKeys = new Set(["signal", "onEvent", "clock", "random", "abandonAfterMs"]);

/** Validates run options; returns an error describing the first bad field, or undefined. */
export function checkRunOptions(options: unknown): TypeError | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    return new TypeError(`run options must be an object, got ${describeValue(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!knownKeys.has(key)) {
      return new TypeError(
        `run options: unknown option \`${key}\`; known options: ${[...knownKeys].join(", ")}`,
      );
    }
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    return new TypeError(
      `run options: \`signal\` must be an AbortSignal, got ${describeValue(o.signal)}`,
    );
  }
  for (const key of ["onEvent", "random"]) {
    if (o[key] !== undefined && typeof o[key] !== "function") {
      return new TypeError(
        `run options: \`${key}\` must be a function, got ${describeValue(o[key])}`,
      );
    }
  }
  const clock = o.clock as Partial<Clock> | undefined;
  if (
    clock !== undefined &&
    (typeof clock !== "object" ||
      clock === null ||
      typeof clock.now !== "function" ||
      typeof clock.setTimeout !== "function" ||
      typeof clock.clearTimeout !== "function")
  ) {
    return new TypeError(
      `run options: \`clock\` must have now(), setTimeout() and clearTimeout(), got ${describeValue(clock)}`,
    );
  }
  const abandon = o.abandonAfterMs;
  if (
    abandon !== undefined &&
    abandon !== null &&
    (typeof abandon !== "number" || !(abandon >= 0 && abandon <= MAX_TIMER_MS))
  ) {
    return new TypeError(
      `run options: \`abandonAfterMs\` must be a number of ms from 0 to ${MAX_TIMER_MS}, or null, got ${describeValue(abandon)}`,
    );
  }
  return undefined;
}
