import { TaskTimeoutError } from "../errors/retryable-error.js";
import {
  type AttemptEvent,
  type AttemptState,
  nextAttemptState,
} from "../lifecycle/attempt-states.js";
import type { Clock } from "../time/clock.js";
import type { PhaseName } from "./phase-name.js";
import type { TaskFunction } from "./task-function.js";
import type { TaskScope } from "./task-scope.js";

/** How an attempt ended (decided once; see `spec/task-functions.md`). */
export type AttemptOutcome = "succeeded" | "failed" | "timedOut" | "cancelled";

/** What an attempt needs from the run that owns it. */
export interface AttemptHost {
  readonly ctx: unknown;
  readonly clock: Clock;
  /** The run's default for functions whose own `abandonAfterMs` is absent. */
  readonly abandonAfterMs: number | null | undefined;
  /** True when the run has an `onEvent` listener. */
  readonly listening: boolean;
  /** The attempt's outcome was decided, or it settled or was abandoned. */
  attemptChanged(attempt: Attempt): void;
  /** Reports an attempt transition (called only while `listening`). */
  attemptEvent(attempt: Attempt, event: AttemptEvent, from: AttemptState, error: unknown): void;
}

/**
 * One attempt of one phase function: calls it, tracks it and its spawned children until all
 * have settled, applies the timeout, aborts the signal on cancellation, and abandons it after
 * `abandonAfterMs`. It is also the function's {@link TaskScope}.
 *
 * The signal is created on first read; a timer only when a limit is set.
 */
export class Attempt implements TaskScope {
  state: AttemptState = "idle";
  /** Set once, when the outcome is decided. */
  outcome: AttemptOutcome | undefined;
  /** The error of a failed or timed-out attempt, or the reason of a cancelled one. */
  error: unknown;
  /** Whether the owner retries after this attempt; decided by the owner, once. */
  retry = false;
  /** How far the owner has acted on this attempt; the owner reconciles on each change. */
  seen: "running" | "decided" | "finished" = "running";

  /** Unsettled promises of this attempt: the function's own and each spawned child's. */
  #pending = 0;
  #controller: AbortController | undefined;
  #abortReason: unknown;
  #timer: unknown;
  #abandonTimer: unknown;

  constructor(
    readonly host: AttemptHost,
    readonly node: number,
    readonly task: string,
    readonly phase: PhaseName,
    readonly attempt: number,
    readonly fn: TaskFunction<unknown>,
  ) {}

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortReason !== undefined) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /** Calls the function. Outcomes reach the host through `attemptChanged`. */
  start(): void {
    this.#move("start", undefined);
    this.#pending = 1;
    let result: unknown;
    try {
      result = this.fn.fn(this.host.ctx, this);
    } catch (error) {
      this.#pending--;
      this.#decide("fail", error);
      return;
    }
    if (isThenable(result)) {
      Promise.resolve(result).then(
        () => this.#settledOne(false, undefined),
        (error: unknown) => this.#settledOne(true, error),
      );
    } else {
      this.#pending--;
    }
    if (this.#pending === 0) {
      if (this.state === "running") this.#succeed();
    } else if (this.fn.timeoutMs !== null && this.state === "running") {
      this.#timer = this.host.clock.setTimeout(() => this.#timedOut(), this.fn.timeoutMs);
    }
  }

  /** Cancels a running attempt: aborts its signal with `reason` and waits for it to settle. */
  cancel(reason: unknown): void {
    if (this.state === "running") this.#decide("cancel", reason);
  }

  spawn<R>(fn: (signal: AbortSignal) => R | PromiseLike<R>): Promise<R> {
    if (this.state !== "running" && this.state !== "settling") {
      throw new Error(
        `task "${this.task}" ${this.phase} attempt ${this.attempt}: scope.spawn() was called after the attempt ended; start child work before the function settles`,
      );
    }
    const signal = this.signal;
    this.#pending++;
    let child: Promise<R>;
    try {
      child = Promise.resolve(fn(signal));
    } catch (error) {
      child = Promise.reject(error);
    }
    // This handler also marks the child handled: its rejection fails the attempt instead.
    child.then(
      () => this.#settledOne(false, undefined),
      (error: unknown) => this.#settledOne(true, error),
    );
    return child;
  }

  #settledOne(failed: boolean, error: unknown): void {
    this.#pending--;
    if (failed && this.state === "running") {
      this.#decide("fail", error);
      return;
    }
    if (this.#pending > 0) return;
    if (this.state === "running") this.#succeed();
    else if (this.state === "settling") this.#settle();
    else if (this.state === "abandoned") this.#move("lateSettle", failed ? error : undefined);
  }

  #succeed(): void {
    this.#clearTimer();
    this.outcome = "succeeded";
    this.#move("succeed", undefined);
    this.host.attemptChanged(this);
  }

  #timedOut(): void {
    this.#timer = undefined;
    if (this.state !== "running") return;
    const timeoutMs = this.fn.timeoutMs ?? 0;
    this.#decide("timeout", new TaskTimeoutError(this.task, this.phase, this.attempt, timeoutMs));
  }

  /** Decides a failure, timeout or cancellation: aborts the signal, then waits to settle. */
  #decide(event: "fail" | "timeout" | "cancel", error: unknown): void {
    this.#clearTimer();
    this.outcome = event === "fail" ? "failed" : event === "timeout" ? "timedOut" : "cancelled";
    this.error = error;
    this.#move(event, error);
    this.#abortReason =
      event === "fail"
        ? new DOMException(
            `task "${this.task}" ${this.phase} attempt ${this.attempt} failed`,
            "AbortError",
          )
        : error;
    this.#controller?.abort(this.#abortReason);
    if (this.#pending === 0) {
      this.#move("settle", undefined);
    } else {
      const abandonAfterMs =
        this.fn.abandonAfterMs === undefined ? this.host.abandonAfterMs : this.fn.abandonAfterMs;
      if (abandonAfterMs !== null && abandonAfterMs !== undefined) {
        this.#abandonTimer = this.host.clock.setTimeout(() => this.#abandon(), abandonAfterMs);
      }
    }
    this.host.attemptChanged(this);
  }

  #settle(): void {
    if (this.#abandonTimer !== undefined) {
      this.host.clock.clearTimeout(this.#abandonTimer);
      this.#abandonTimer = undefined;
    }
    this.#move("settle", undefined);
    this.host.attemptChanged(this);
  }

  #abandon(): void {
    this.#abandonTimer = undefined;
    if (this.state !== "settling") return;
    this.#move("abandon", undefined);
    this.host.attemptChanged(this);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      this.host.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #move(event: AttemptEvent, error: unknown): void {
    const from = this.state;
    this.state = nextAttemptState(from, event);
    if (this.host.listening) this.host.attemptEvent(this, event, from, error);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
