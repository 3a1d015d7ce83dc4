import { describeError } from "../errors/describe-error.js";
import { failureInfo, type TaskFailure } from "../errors/execution-error.js";
import { reportUncaught } from "../errors/report-uncaught.js";
import { handleIfPromise } from "../functions/native-then.js";
import type { PhaseName } from "../functions/phase-name.js";
import type { AttemptEvent, AttemptState } from "../lifecycle/attempt-states.js";
import { CANCELLED_UNSETTLED, taskStateIn } from "../lifecycle/machines.js";
import type { RunEvent, RunState } from "../lifecycle/run-states.js";
import type { TaskEvent, TaskState } from "../lifecycle/task-states.js";
import type { AbortedBy, LifecycleEvent } from "./lifecycle-event.js";

/**
 * Builds one run's events and hands them to its `onEvent` listener: numbered from 0, timed by
 * the run's clock (one reading per moment), errors described as plain data. A run without a
 * listener has no log, so it builds nothing. Each event is one object literal, optional fields
 * assigned after it (no spreads: a listener is on the hot path of every phase).
 */
export class EventLog {
  #seq = 0;
  readonly #listener: (event: LifecycleEvent) => void;
  readonly #now: () => number;
  /** The reading the events of this moment share (see {@link EventLog.newMoment}). */
  #at: number | undefined = undefined;
  /** The reading held for the next event (see {@link EventLog.holdTime}). */
  #heldAt: number | undefined = undefined;

  /** @param now the run's clock reading, which never throws. */
  constructor(listener: (event: LifecycleEvent) => void, now: () => number) {
    this.#listener = listener;
    this.#now = now;
  }

  /** A run transition; `abort` carries the reason, the move to `settled` the outcome. */
  run(
    event: RunEvent,
    from: RunState,
    to: RunState,
    failures: readonly TaskFailure[],
    abort: { readonly reason: unknown; readonly by: AbortedBy } | undefined,
    limits?: { readonly maxConcurrency: number; readonly timeoutMs: number | null },
  ): void {
    const e: Record<string, unknown> = {
      type: "run",
      seq: this.#seq++,
      at: this.#time(),
      event,
      from,
      to,
    };
    if (event === "abort") {
      e.reason = describeError(abort?.reason);
      e.abortedBy = abort?.by;
    }
    if (limits !== undefined) {
      if (limits.maxConcurrency !== Number.POSITIVE_INFINITY) {
        e.maxConcurrency = limits.maxConcurrency;
      }
      if (limits.timeoutMs !== null) e.timeoutMs = limits.timeoutMs;
    }
    if (to === "settled") {
      e.outcome = failures.length > 0 || abort !== undefined ? "failed" : "succeeded";
      e.aborted = abort !== undefined;
      e.failures = failures.map(failureInfo);
    }
    this.#deliver(e as unknown as LifecycleEvent);
  }

  /**
   * A task transition; `fail` carries the error and whether it came after a cancellation,
   * `succeed` and `fail` the attempts made.
   */
  task(
    task: string,
    event: TaskEvent,
    from: TaskState,
    to: TaskState,
    phase: PhaseName | undefined,
    error: unknown,
    attempts: number | undefined,
  ): void {
    // One literal per set of fields: a field added after the literal costs an allocation.
    const seq = this.#seq++;
    const at = this.#time();
    let e: Record<string, unknown>;
    if (phase === undefined) e = { type: "task", seq, at, task, event, from, to };
    else if (attempts === undefined) e = { type: "task", seq, at, task, event, from, to, phase };
    else e = { type: "task", seq, at, task, event, from, to, phase, attempts };
    if (event === "fail") {
      e.error = describeError(error);
      e.afterCancel = taskStateIn(CANCELLED_UNSETTLED, from);
    }
    if (phase === undefined && attempts !== undefined) e.attempts = attempts;
    this.#deliver(e as unknown as LifecycleEvent);
  }

  /** An attempt transition, with the error or reason where there is one. */
  attempt(
    task: string,
    phase: PhaseName,
    attempt: number,
    event: AttemptEvent,
    from: AttemptState,
    to: AttemptState,
    hasError: boolean,
    error: unknown,
  ): void {
    const e: Record<string, unknown> = {
      type: "attempt",
      seq: this.#seq++,
      at: this.#time(),
      task,
      phase,
      attempt,
      event,
      from,
      to,
    };
    if (hasError) e.error = describeError(error);
    this.#deliver(e as unknown as LifecycleEvent);
  }

  /** Attempt `attempt` failed; the next starts after `delayMs`. */
  retry(task: string, phase: PhaseName, attempt: number, delayMs: number, error: unknown): void {
    this.#deliver({
      type: "retry",
      seq: this.#seq++,
      at: this.#time(),
      task,
      phase,
      attempt,
      delayMs,
      error: describeError(error),
    });
  }

  /**
   * Holds this moment's reading for the next event. An event announcing a timer (a retry's
   * delay, an abandonment's wait) is timed before the timer is set, so by the trace's own times
   * the timer never ends before the event's `at` plus its delay.
   */
  holdTime(): void {
    this.#heldAt = this.#time();
  }

  /** The timer an event was to announce was not set: the reading held for it is dropped. */
  dropHeldTime(): void {
    this.#heldAt = undefined;
  }

  /**
   * Events from here on read the clock afresh: a step begins, or the engine called out (a task
   * function, the clock's timers), which may have taken time. Events between share one
   * reading: a clock read costs more than the rest of an event.
   */
  newMoment(): void {
    this.#at = undefined;
  }

  /** This moment's reading, read now if not yet (the run's start time is its first event's). */
  momentTime(): number {
    const at = this.#at;
    if (at !== undefined) return at;
    const now = this.#now();
    this.#at = now;
    return now;
  }

  /** The time for an event: the one held for it, else this moment's, read now if not yet. */
  #time(): number {
    const held = this.#heldAt;
    if (held !== undefined) {
      this.#heldAt = undefined;
      return held;
    }
    return this.momentTime();
  }

  /** A throwing listener must not disturb the run; its error surfaces as uncaught. */
  #deliver(event: LifecycleEvent): void {
    callListener(this.#listener, event);
  }
}

/**
 * Calls an `onEvent` listener as an `EventTarget` calls one: with no `this`, its throw, or an
 * async listener's rejection, rethrown as an uncaught exception, never into the run.
 */
export function callListener(
  listener: (event: LifecycleEvent) => void,
  event: LifecycleEvent,
): void {
  try {
    const result: unknown = listener(event);
    if (result !== undefined) handleIfPromise(result, reportUncaught);
  } catch (error) {
    reportUncaught(error);
  }
}
