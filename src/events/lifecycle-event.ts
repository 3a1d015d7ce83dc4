import type { ErrorInfo } from "../errors/describe-error.js";
import type { PhaseName } from "../functions/phase-name.js";
import type { AttemptEvent, AttemptState } from "../lifecycle/attempt-states.js";
import type { RunEvent, RunState } from "../lifecycle/run-states.js";
import type { TaskEvent, TaskState } from "../lifecycle/task-states.js";

interface EventBase {
  /** 0 for a run's first event, then one more per event. */
  readonly seq: number;
  /** `clock.now()` when it happened. */
  readonly at: number;
}

/** A failed phase as the final run event reports it. */
export interface FailureInfo {
  readonly task: string;
  readonly phase: PhaseName;
  readonly attempts: number;
  /** True when the function failed with its own error after it was cancelled (INV-32). */
  readonly afterCancel: boolean;
  readonly error: ErrorInfo;
}

/** The run changed state (`spec/lifecycle.md` section 4). */
export interface RunTransitionEvent extends EventBase {
  readonly type: "run";
  readonly event: RunEvent;
  readonly from: RunState;
  readonly to: RunState;
  /** With `abort`: the signal's reason. */
  readonly reason?: ErrorInfo;
  /** With the move to `settled`: how the run ended. */
  readonly outcome?: "succeeded" | "failed";
  /** With the move to `settled`: whether the external signal aborted the run. */
  readonly aborted?: boolean;
  /** With the move to `settled`: every failed phase, in the order they failed. */
  readonly failures?: readonly FailureInfo[];
}

/** A task changed state (`spec/lifecycle.md` section 3). */
export interface TaskTransitionEvent extends EventBase {
  readonly type: "task";
  readonly task: string;
  readonly event: TaskEvent;
  readonly from: TaskState;
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
  readonly type: "attempt";
  readonly task: string;
  readonly phase: PhaseName;
  readonly attempt: number;
  readonly event: AttemptEvent;
  readonly from: AttemptState;
  readonly to: AttemptState;
  /**
   * With `fail`, `timeout`, `cancel`, and a `lateSettle` that rejected: the error or reason.
   * A `fail` from `cancelling` is the function's own error after its cancellation (INV-32).
   */
  readonly error?: ErrorInfo;
}

/** A failed attempt will be followed by another after `delayMs`. */
export interface RetryScheduledEvent extends EventBase {
  readonly type: "retry";
  readonly task: string;
  readonly phase: PhaseName;
  /** The attempt that failed; the next one is `attempt + 1`. */
  readonly attempt: number;
  readonly delayMs: number;
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
