import type { ErrorInfo } from "../errors/describe-error.js";
import type { PhaseName } from "../functions/phase-name.js";
import type { AttemptEvent, AttemptState } from "../lifecycle/attempt-states.js";
import type { RunEvent, RunState } from "../lifecycle/run-states.js";
import type { TaskEvent, TaskState } from "../lifecycle/task-states.js";

interface EventBase {
  /** 0 for a run's first event, then one more per event. */
  readonly seq: number;
  /**
   * `clock.now()` when it happened. Events of one engine step share one reading, read afresh
   * after each call of a task function or of the clock's timers (`spec/lifecycle.md` section 6).
   */
  readonly at: number;
}

/** A failed phase as the final run event reports it. */
export interface FailureInfo {
  /** The task that failed. */
  readonly task: string;
  /** Its phase that failed. */
  readonly phase: PhaseName;
  /** Attempts made. */
  readonly attempts: number;
  /** True when the function failed with its own error after it was cancelled (INV-32). */
  readonly afterCancel: boolean;
  /** The error of the last attempt. */
  readonly error: ErrorInfo;
}

/** What aborted a run: its `signal`, or its deadline (the run option `timeoutMs`). */
export type AbortedBy = "signal" | "deadline";

/** The run changed state (`spec/lifecycle.md` section 4). */
export interface RunTransitionEvent extends EventBase {
  /** Tells a run event from the others. */
  readonly type: "run";
  /** What happened (`start`, `fail`, `abort`, `cleanup`, ...). */
  readonly event: RunEvent;
  /** The run's state before. */
  readonly from: RunState;
  /** The run's state after. */
  readonly to: RunState;
  /** With `start`: the run's concurrency limit, if it has one. */
  readonly maxConcurrency?: number;
  /** With `start`: the run's deadline in ms, if it has one. */
  readonly timeoutMs?: number;
  /** With `abort`: the signal's reason, or the deadline's `TaskTimeoutError`. */
  readonly reason?: ErrorInfo;
  /** With `abort`: what aborted the run, its signal or its deadline (`timeoutMs`). */
  readonly abortedBy?: AbortedBy;
  /** With the move to `settled`: how the run ended. */
  readonly outcome?: "succeeded" | "failed";
  /** With the move to `settled`: whether the run was aborted (by its signal or its deadline). */
  readonly aborted?: boolean;
  /** With the move to `settled`: every failed phase, in the order they failed. */
  readonly failures?: readonly FailureInfo[];
}

/** A task changed state (`spec/lifecycle.md` section 3). */
export interface TaskTransitionEvent extends EventBase {
  /** Tells a task event from the others. */
  readonly type: "task";
  /** The task's name. */
  readonly task: string;
  /** What happened (`enter`, `startPre`, `succeed`, `fail`, `cancel`, ...). */
  readonly event: TaskEvent;
  /** The task's state before. */
  readonly from: TaskState;
  /** The task's state after. */
  readonly to: TaskState;
  /** The phase the event concerns, for every event but `enter`, `skip` and `finish`. */
  readonly phase?: PhaseName;
  /** With `fail`: the error of the last attempt. */
  readonly error?: ErrorInfo;
  /** With `fail`: true when the function failed on its own after it was cancelled (INV-32). */
  readonly afterCancel?: boolean;
  /** With `succeed` and `fail`: attempts made. */
  readonly attempts?: number;
}

/** An attempt changed state (`spec/task-functions.md`). */
export interface AttemptTransitionEvent extends EventBase {
  /** Tells an attempt event from the others. */
  readonly type: "attempt";
  /** The task's name. */
  readonly task: string;
  /** The phase the attempt runs. */
  readonly phase: PhaseName;
  /** The attempt's number: 1 for the first. */
  readonly attempt: number;
  /** What happened (`start`, `succeed`, `fail`, `timeout`, `cancel`, ...). */
  readonly event: AttemptEvent;
  /** The attempt's state before. */
  readonly from: AttemptState;
  /** The attempt's state after. */
  readonly to: AttemptState;
  /**
   * With `fail`, `timeout`, `cancel`, and a `lateSettle` that rejected: the error or reason.
   * A `fail` from `cancelling` is the function's own error after its cancellation (INV-32).
   * A `settle` with an error: the errors of the attempt's own that came after its outcome was
   * decided (a rejection after a timeout, say), kept so that none is lost: one as thrown,
   * several as an `AggregateError` of them, in the order they came.
   */
  readonly error?: ErrorInfo;
}

/** A failed attempt will be followed by another after `delayMs`. */
export interface RetryScheduledEvent extends EventBase {
  /** Tells a retry event from the others. */
  readonly type: "retry";
  /** The task's name. */
  readonly task: string;
  /** The phase being retried. */
  readonly phase: PhaseName;
  /** The attempt that failed; the next one is `attempt + 1`. */
  readonly attempt: number;
  /** How long until the next attempt starts, in ms (backoff with jitter, capped). */
  readonly delayMs: number;
  /** The error the failed attempt failed with. */
  readonly error: ErrorInfo;
}

/**
 * Everything a run reports to `onEvent`, in order: plain, serialisable data, so a trace can
 * be saved as JSON and checked later with `checkTrace`.
 */
export type LifecycleEvent =
  | RunTransitionEvent
  | TaskTransitionEvent
  | AttemptTransitionEvent
  | RetryScheduledEvent;
