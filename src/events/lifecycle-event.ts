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

interface RunEventBase extends EventBase {
  /** Tells a run event from the others. */
  readonly type: "run";
  /** The run's state before. */
  readonly from: RunState;
}

/** The run started: `idle --start--> entering`, with its limits when it has them. */
export interface RunStartEvent extends RunEventBase {
  /** What happened. */
  readonly event: "start";
  /** The run's state after. */
  readonly to: "entering";
  /** The run's concurrency limit, if it has one. */
  readonly maxConcurrency?: number;
  /** The run's deadline in ms, if it has one. */
  readonly timeoutMs?: number;
  /** Only with `abort`. */
  readonly reason?: undefined;
  /** Only with `abort`. */
  readonly abortedBy?: undefined;
  /** Only with the move to `settled`. */
  readonly outcome?: undefined;
  /** Only with the move to `settled`. */
  readonly aborted?: undefined;
  /** Only with the move to `settled`. */
  readonly failures?: undefined;
}

/** The run's signal or its deadline aborted it: `--abort--> failing`. */
export interface RunAbortEvent extends RunEventBase {
  /** What happened. */
  readonly event: "abort";
  /** The run's state after. */
  readonly to: "failing";
  /** The signal's reason, or the deadline's `TaskTimeoutError`. */
  readonly reason: ErrorInfo;
  /** What aborted the run, its signal or its deadline (`timeoutMs`). */
  readonly abortedBy: AbortedBy;
  /** Only with `start`. */
  readonly maxConcurrency?: undefined;
  /** Only with `start`. */
  readonly timeoutMs?: undefined;
  /** Only with the move to `settled`. */
  readonly outcome?: undefined;
  /** Only with the move to `settled`. */
  readonly aborted?: undefined;
  /** Only with the move to `settled`. */
  readonly failures?: undefined;
}

/** The run ended (`close` from idle, or `allTornDown`), with how it ended. */
export interface RunSettledEvent extends RunEventBase {
  /** What happened: `close` (a runner closed before its first phase) or `allTornDown`. */
  readonly event: "close" | "allTornDown";
  /** The run's state after. */
  readonly to: "settled";
  /** How the run ended. */
  readonly outcome: "succeeded" | "failed";
  /** Whether the run was aborted (by its signal or its deadline). */
  readonly aborted: boolean;
  /** Every failed phase, in the order they failed. */
  readonly failures: readonly FailureInfo[];
  /** Only with `start`. */
  readonly maxConcurrency?: undefined;
  /** Only with `start`. */
  readonly timeoutMs?: undefined;
  /** Only with `abort`. */
  readonly reason?: undefined;
  /** Only with `abort`. */
  readonly abortedBy?: undefined;
}

/** Any other step of the run (`allEntered`, `execute`, `fail`, `cleanup`, ...). */
export interface RunStepEvent extends RunEventBase {
  /** What happened. */
  readonly event: Exclude<RunEvent, "start" | "abort" | "close" | "allTornDown">;
  /** The run's state after. */
  readonly to: Exclude<RunState, "idle" | "entering" | "settled">;
  /** Only with `start`. */
  readonly maxConcurrency?: undefined;
  /** Only with `start`. */
  readonly timeoutMs?: undefined;
  /** Only with `abort`. */
  readonly reason?: undefined;
  /** Only with `abort`. */
  readonly abortedBy?: undefined;
  /** Only with the move to `settled`. */
  readonly outcome?: undefined;
  /** Only with the move to `settled`. */
  readonly aborted?: undefined;
  /** Only with the move to `settled`. */
  readonly failures?: undefined;
}

/**
 * The run changed state (`spec/lifecycle.md` section 4). Narrow it by `event` or `to` for the
 * fields a transition carries: `if (e.to === "settled") e.failures`.
 */
export type RunTransitionEvent = RunStartEvent | RunAbortEvent | RunSettledEvent | RunStepEvent;

interface TaskEventBase extends EventBase {
  /** Tells a task event from the others. */
  readonly type: "task";
  /** The task's name. */
  readonly task: string;
  /** The task's state before. */
  readonly from: TaskState;
  /** The task's state after. */
  readonly to: TaskState;
}

/** A phase of the task failed for good (after its last attempt). */
export interface TaskFailEvent extends TaskEventBase {
  /** What happened. */
  readonly event: "fail";
  /** The phase that failed. */
  readonly phase: PhaseName;
  /** The error of the last attempt. */
  readonly error: ErrorInfo;
  /** True when the function failed on its own after it was cancelled (INV-32). */
  readonly afterCancel: boolean;
  /** Attempts made. */
  readonly attempts: number;
}

/** A phase of the task succeeded. */
export interface TaskSucceedEvent extends TaskEventBase {
  /** What happened. */
  readonly event: "succeed";
  /** The phase that succeeded. */
  readonly phase: PhaseName;
  /** Attempts made. */
  readonly attempts: number;
  /** Only with `fail`. */
  readonly error?: undefined;
  /** Only with `fail`. */
  readonly afterCancel?: undefined;
}

/** A phase of the task was queued, started or cancelled, or ended after a failure or a cancellation. */
export interface TaskPhaseEvent extends TaskEventBase {
  /** What happened (`startPre`, `queueExec`, `cancel`, `settle`, `abandon`, ...). */
  readonly event: Exclude<TaskEvent, "fail" | "succeed" | "enter" | "skip" | "finish">;
  /** The phase the event concerns. */
  readonly phase: PhaseName;
  /** Only with `fail`. */
  readonly error?: undefined;
  /** Only with `fail`. */
  readonly afterCancel?: undefined;
  /** Only with `succeed` and `fail`. */
  readonly attempts?: undefined;
}

/** The task was entered with no preExecute, skipped, or finished: no phase concerned. */
export interface TaskEntryEvent extends TaskEventBase {
  /** What happened. */
  readonly event: "enter" | "skip" | "finish";
  /** Every event but `enter`, `skip` and `finish` has one. */
  readonly phase?: undefined;
  /** Only with `fail`. */
  readonly error?: undefined;
  /** Only with `fail`. */
  readonly afterCancel?: undefined;
  /** Only with `succeed` and `fail`. */
  readonly attempts?: undefined;
}

/**
 * A task changed state (`spec/lifecycle.md` section 3). Narrow it by `event` for the fields a
 * transition carries: `if (e.event === "fail") e.error.message`.
 */
export type TaskTransitionEvent =
  | TaskFailEvent
  | TaskSucceedEvent
  | TaskPhaseEvent
  | TaskEntryEvent;

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
