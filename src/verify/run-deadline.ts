import { TaskTimeoutError } from "../errors/retryable-error.js";
import type { RunTransitionEvent } from "../events/lifecycle-event.js";
import { early, timeOf } from "./phases-and-states.js";
import type { ReplayState } from "./replay-state.js";

/** A run deadline's error, as the run makes one, with `NaN` ms so that its number can be found. */
const DEADLINE_PROBE = new TaskTimeoutError(undefined, undefined, undefined, Number.NaN).message;

/**
 * How the deadline's `TaskTimeoutError` describes itself, up to its number of ms (the one place
 * an abort carries the deadline's ms); taken from the error, so its text is written only there.
 */
const DEADLINE_MESSAGE = DEADLINE_PROBE.slice(0, DEADLINE_PROBE.indexOf("NaN"));

/**
 * The run deadline (INV-40), as far as a trace shows it: an abort whose reason is the
 * deadline's `TaskTimeoutError` comes from a deadline the run has (its `start` event carries
 * `timeoutMs`), no earlier than `timeoutMs` after the run started on its own clock, and never
 * once cleanup began (the run replay reports that one). That the deadline fires at all is not
 * checked: a real clock's timer may be late, and a trace cannot tell how late is too late.
 */
export class RunDeadline<T> {
  readonly #state: ReplayState<T>;
  /** The run's deadline in ms (undefined: none). */
  #timeoutMs: number | undefined;
  #startAt = 0;

  constructor(state: ReplayState<T>) {
    this.#state = state;
  }

  /** The run started by `e`: its deadline, if it has one. */
  onStart(e: RunTransitionEvent): void {
    this.#startAt = timeOf(e);
    const ms = e.timeoutMs;
    if (ms === undefined) return;
    if (typeof ms !== "number" || !(ms >= 0)) {
      this.#state.report(
        "INV-40",
        `the run's start event carries timeoutMs ${String(ms)}, which is not a number of ms`,
        [e],
      );
      return;
    }
    this.#timeoutMs = ms;
  }

  /**
   * True if abort `e` is the deadline passing: `abortedBy` says so, and the reason is the
   * deadline's `TaskTimeoutError` (a clock that could not set the deadline's timer aborts with
   * another error).
   */
  isDeadline(e: RunTransitionEvent): boolean {
    return e.abortedBy === "deadline" && e.reason?.name === "TimeoutError";
  }

  /** The run was aborted by `e`: if by its deadline, one it has, and not early. */
  onAbort(e: RunTransitionEvent): void {
    if (!this.isDeadline(e)) return;
    const state = this.#state;
    const ms = this.#timeoutMs;
    const message = e.reason!.message;
    const said = message.startsWith(DEADLINE_MESSAGE)
      ? Number.parseFloat(message.slice(DEADLINE_MESSAGE.length))
      : Number.NaN;
    if (ms === undefined) {
      state.report(
        "INV-40",
        "the run was aborted by a deadline, but its start event carries no timeoutMs",
        [e],
      );
    } else if (said !== ms) {
      state.report(
        "INV-40",
        `the run was aborted by a deadline of ${said} ms; its start event says timeoutMs ${ms}`,
        [e],
      );
    } else if (early(timeOf(e), this.#startAt + ms)) {
      state.report(
        "INV-40",
        `the run's deadline aborted it ${e.at - this.#startAt} ms after it started; its timeoutMs is ${ms}`,
        [state.events[state.startIndex]!, e],
      );
    }
  }
}
