import { quoted } from "../errors/quoted.js";
import type {
  AttemptTransitionEvent,
  LifecycleEvent,
  RetryScheduledEvent,
  TaskTransitionEvent,
} from "../events/lifecycle-event.js";
import {
  early,
  isActive,
  isClockFailureOfCancel,
  PHASES,
  runningStateOf,
  timeOf,
} from "./phases-and-states.js";
import type { ReplayState } from "./replay-state.js";

/**
 * Retries (INV-20, INV-21, INV-23, INV-24, INV-25, INV-36): a retry event follows the latest
 * failed attempt in the step it ended, within the phase's retries and backoff bounds, and the
 * next attempt's `delay` follows it at once; that attempt starts after the delay; a phase
 * cancelled during a delay ends at once and retries no more.
 */
export class RetryReplay<T> {
  readonly #state: ReplayState<T>;
  /** Per task and phase: the attempt a retry event was reported for (0: none yet). */
  readonly #retryFor: Int32Array;
  /** Per task and phase: `delayMs` and `at` of its latest retry event. */
  readonly #retryDelay: Float64Array;
  readonly #retryAt: Float64Array;
  /** Index of a task `cancel` during a retry delay, which must settle in its step (-1: none). */
  #expectDelaySettle = -1;
  /** Index of a `retry` event, which the next attempt's `delay` must follow at once (-1: none). */
  #expectDelay = -1;

  constructor(state: ReplayState<T>) {
    this.#state = state;
    const n = state.taskCount;
    this.#retryFor = new Int32Array(n * 3);
    this.#retryDelay = new Float64Array(n * 3);
    this.#retryAt = new Float64Array(n * 3);
  }

  /** Phase `p` of task `node` (named `task`) was cancelled by the current event. */
  onPhaseCancel(task: string, node: number, p: number): void {
    const state = this.#state;
    const k = node * 3 + p;
    state.cancelled[k] = 1;
    const next = state.attempt(task, PHASES[p]!, state.lastAttempt[k]! + 1);
    if (next?.state === "delayed") {
      // Cancelled during a retry delay: the phase ends in this same step (INV-23).
      this.#expectDelaySettle = state.index;
    }
  }

  /**
   * INV-23: the events after a cancel during a retry delay, up to `e` (undefined: the end),
   * are the delayed attempt's `cancel`, then the task's `settle`.
   */
  closeDelayCancelStep(e: LifecycleEvent | undefined): void {
    const state = this.#state;
    const at = this.#expectDelaySettle;
    if (at < 0 || at < state.index - 2) return;
    const cancel = state.events[at] as TaskTransitionEvent;
    const ok =
      at === state.index - 1
        ? e?.type === "attempt" &&
          e.task === cancel.task &&
          e.phase === cancel.phase &&
          e.event === "cancel" &&
          e.from === "delayed"
        : e?.type === "task" && e.task === cancel.task && e.event === "settle";
    if (!ok) {
      state.report(
        "INV-23",
        `task ${quoted(cancel.task)} ${String(cancel.phase)} was cancelled during a retry delay, but its delayed attempt was not cancelled and the phase settled in the same step`,
        e === undefined ? [cancel] : [cancel, e],
      );
      this.#expectDelaySettle = -1;
    } else if (at === state.index - 2) {
      this.#expectDelaySettle = -1;
    }
  }

  /** INV-36: the event after a `retry` (`e`, undefined: the end) is the next attempt's `delay`. */
  closeRetryStep(e: LifecycleEvent | undefined): void {
    const state = this.#state;
    const at = this.#expectDelay;
    if (at < 0 || at !== state.index - 1) return;
    this.#expectDelay = -1;
    const retry = state.events[at] as RetryScheduledEvent;
    if (
      !(
        e?.type === "attempt" &&
        e.event === "delay" &&
        e.task === retry.task &&
        e.phase === retry.phase &&
        e.attempt === retry.attempt + 1
      )
    ) {
      state.report(
        "INV-36",
        `the retry of ${quoted(retry.task)} ${retry.phase} after attempt ${retry.attempt} is not followed at once by attempt ${retry.attempt + 1}'s delay`,
        e === undefined ? [retry] : [retry, e],
      );
    }
  }

  /** INV-36: a `delay` comes right after the retry event of the attempt before it. */
  onDelay(e: AttemptTransitionEvent, k: number): void {
    const state = this.#state;
    const previous = state.events[state.index - 1];
    if (
      !(
        previous?.type === "retry" &&
        previous.task === e.task &&
        previous.phase === e.phase &&
        previous.attempt === e.attempt - 1
      ) ||
      this.#retryFor[k] !== e.attempt - 1
    ) {
      state.report(
        "INV-36",
        `attempt ${e.attempt} of ${quoted(e.task)} ${e.phase} was delayed without the retry event of attempt ${e.attempt - 1} just before`,
        [e],
      );
    }
  }

  /** Attempt `e.attempt` > 1 started (`k`: task and phase): a retry for the one before came. */
  checkRetryBefore(e: AttemptTransitionEvent, k: number): void {
    const state = this.#state;
    if (this.#retryFor[k] !== e.attempt - 1) {
      state.report(
        "INV-20",
        `attempt ${e.attempt} of ${quoted(e.task)} ${e.phase} started without a retry event for attempt ${e.attempt - 1}`,
        [e],
      );
    }
    if (
      this.#retryFor[k] === e.attempt - 1 &&
      early(timeOf(e), this.#retryAt[k]! + this.#retryDelay[k]!)
    ) {
      state.report(
        "INV-25",
        `attempt ${e.attempt} of ${quoted(e.task)} ${e.phase} started ${e.at - this.#retryAt[k]!} ms after its retry event; the delay was ${this.#retryDelay[k]} ms`,
        [e],
      );
    }
  }

  onRetry(e: RetryScheduledEvent): void {
    const state = this.#state;
    const located = state.locatePhase(e, "retry", e);
    if (located === undefined) return;
    const { node, p } = located;
    const k = node * 3 + p;
    const record = state.attempt(e.task, e.phase, e.attempt);
    if (
      record === undefined ||
      e.attempt !== state.lastAttempt[k] ||
      !(record.decidedBy === "fail" || record.decidedBy === "timeout")
    ) {
      state.report(
        "INV-20",
        `retry reported for attempt ${e.attempt} of ${quoted(e.task)} ${e.phase}, which is not its latest failed attempt`,
        [e],
      );
    } else if (record.endIndex !== undefined && !this.#sameStep(record.endIndex)) {
      state.report(
        "INV-25",
        `retry of ${quoted(e.task)} ${e.phase} after attempt ${e.attempt} was reported in a later step than the attempt ${state.events[record.endIndex]!.type === "attempt" ? (state.events[record.endIndex] as AttemptTransitionEvent).event : "end"}d`,
        [state.events[record.endIndex]!, e],
      );
    } else if (isActive(record.state)) {
      state.report(
        "INV-25",
        `retry of ${quoted(e.task)} ${e.phase} scheduled while attempt ${e.attempt} was still ${record.state}`,
        [e],
      );
    }
    if (state.cancelled[k] === 1) {
      state.report(
        "INV-23",
        `retry of ${quoted(e.task)} ${e.phase} reported after the phase was cancelled`,
        [e],
      );
    } else if (state.taskState[node] !== runningStateOf(p)) {
      state.report(
        "INV-20",
        `retry of ${quoted(e.task)} ${e.phase} scheduled while the task was ${state.taskState[node]}`,
        [e],
      );
    }
    const fn = state.plan.tasks[node]![PHASES[p]!];
    if (fn !== undefined && e.attempt >= fn.retries + 1) {
      state.report(
        "INV-21",
        `retry after attempt ${e.attempt} of ${quoted(e.task)} ${e.phase} exceeds its retries (${fn.retries})`,
        [e],
      );
    }
    if (fn !== undefined) {
      const base = fn.initialDelayMs * fn.backoffFactor ** (e.attempt - 1);
      const low = fn.initialDelayMs === 0 ? 0 : Math.min(fn.maxDelayMs, base / 2);
      const high = fn.initialDelayMs === 0 ? 0 : Math.min(fn.maxDelayMs, base);
      const slack = 1e-9 * Math.max(1, high);
      if (
        typeof e.delayMs !== "number" ||
        !Number.isFinite(e.delayMs) ||
        e.delayMs < low - slack ||
        e.delayMs > high + slack
      ) {
        state.report(
          "INV-24",
          `retry of ${quoted(e.task)} ${e.phase} after attempt ${e.attempt} waits ${String(e.delayMs)} ms, outside [${low}, ${high}]`,
          [e],
        );
      }
    }
    if (record !== undefined) record.retryAt = timeOf(e);
    this.#retryDelay[k] = typeof e.delayMs === "number" ? e.delayMs : 0;
    this.#retryAt[k] = timeOf(e);
    this.#retryFor[k] = e.attempt;
    this.#expectDelay = state.index;
  }

  /**
   * True if nothing between event `from` and the current one must have come from a later
   * step: no event of an attempt started before `from`, other than a cancellation (which a
   * failure in the same step causes). Scans at most 4,096 events back (then assumes yes), so
   * checking stays linear.
   */
  #sameStep(from: number): boolean {
    const state = this.#state;
    if (state.index - from > 4096) return true;
    for (let j = from + 1; j < state.index; j++) {
      const x = state.events[j]!;
      if (x.type !== "attempt" || x.event === "start" || x.event === "cancel") continue;
      if (isClockFailureOfCancel(state.events, j)) continue;
      const started = state.attempt(x.task, x.phase, x.attempt)?.startIndex;
      if (started === undefined || started < from) return false;
    }
    return true;
  }
}
