import { TaskTimeoutError } from "../errors/retryable-error.js";
import type { AttemptEvent, AttemptState } from "../lifecycle/attempt-states.js";
import { AE, AS, ATTEMPT_MACHINE } from "../lifecycle/machines.js";
import type { Clock } from "../time/clock.js";
import type { PhaseName } from "./phase-name.js";
import type { TaskFunction } from "./task-function.js";
import type { TaskScope } from "./task-scope.js";

/** How an attempt ended (decided once; see `spec/task-functions.md`). */
export type AttemptOutcome = "succeeded" | "failed" | "timedOut" | "cancelled";

/**
 * The ways into an attempt from outside an engine step: its function's or a child's promise
 * settled, or one of its timers fired. The host brackets each in a step of its own
 * ({@link AttemptHost.deliver}), so whatever user code runs meanwhile (an `onEvent` listener,
 * an abort listener) cannot re-enter the engine halfway.
 */
export type AttemptEntry =
  | typeof FULFILLED
  | typeof REJECTED
  | typeof TIMED_OUT
  | typeof ABANDON_DUE;
const FULFILLED = 0;
const REJECTED = 1;
const TIMED_OUT = 2;
const ABANDON_DUE = 3;

/** The attempt's side of {@link AttemptHost.deliver}; a symbol, so it stays off the scope's API. */
export const enterAttempt: unique symbol = Symbol("sdax.enterAttempt");

/** `Promise.prototype.then` itself: a promise's own `then` property is user code and may throw. */
const nativeThen = Promise.prototype.then;

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
  /** Runs `attempt[enterAttempt](entry, error)` as an engine step of its own. */
  deliver(attempt: Attempt, entry: AttemptEntry, error: unknown): void;
  /** Reports an attempt transition (called only while `listening`). */
  attemptEvent(
    attempt: Attempt,
    event: AttemptEvent,
    from: AttemptState,
    hasError: boolean,
    error: unknown,
  ): void;
  /** The task's name (only read on paths that report or throw). */
  taskName(node: number): string;
}

/**
 * One attempt of one phase function: calls it, tracks it and its spawned children until all
 * have settled, applies the timeout, aborts the signal on cancellation, and abandons it after
 * `abandonAfterMs`. It is also the function's {@link TaskScope}.
 *
 * The signal is created on first read; a timer only when a limit is set.
 */
export class Attempt implements TaskScope {
  /** The attempt state's code in {@link ATTEMPT_MACHINE}. */
  code: number = AS.idle;
  /** Set once, when the outcome is decided. */
  outcome: AttemptOutcome | undefined;
  /** The error of a failed or timed-out attempt, or the reason of a cancelled one. */
  error: unknown;
  /** If the owner retries after this attempt: the delay before the next; decided once. */
  retryDelayMs: number | undefined;
  /** How far the owner has acted on this attempt; the owner reconciles on each change. */
  seen: "running" | "decided" | "finished" = "running";

  /** Unsettled promises of this attempt: the function's own and each spawned child's. */
  #pending = 0;
  #controller: AbortController | undefined;
  #abortReason: unknown;
  /** The timeout timer while running; the abandonment timer while settling. */
  #timer: unknown;

  constructor(
    readonly host: AttemptHost,
    readonly node: number,
    readonly phase: PhaseName,
    readonly attempt: number,
    readonly fn: TaskFunction<unknown>,
  ) {}

  /** The task's name. */
  get task(): string {
    return this.host.taskName(this.node);
  }

  /** The attempt's state. */
  get state(): AttemptState {
    return ATTEMPT_MACHINE.states[this.code]!;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortReason !== undefined) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /** Calls the function. Outcomes reach the host through `attemptChanged`. */
  start(): void {
    this.#move(AE.start, false, undefined);
    this.#pending = 1;
    let pending: boolean;
    try {
      const result = this.fn.fn(this.host.ctx, this);
      // A native promise is observed as it is; another thenable is adopted first. Inside the
      // try: observing touches user code (a `then` getter, a promise subclass).
      pending = true;
      if (result instanceof Promise) this.#observe(result);
      else if (isThenable(result)) this.#observe(Promise.resolve(result));
      else pending = false;
    } catch (error) {
      this.#settledOne(true, error);
      return;
    }
    if (!pending) this.#settledOne(false, undefined);
    if (this.#pending > 0 && this.fn.timeoutMs !== null && this.code === AS.running) {
      this.#timer = this.host.clock.setTimeout(
        () => this.host.deliver(this, TIMED_OUT, undefined),
        this.fn.timeoutMs,
      );
    }
  }

  /** Runs one way in from outside (see {@link AttemptEntry}); called by the host's step. */
  [enterAttempt](entry: AttemptEntry, error: unknown): void {
    if (entry === FULFILLED) this.#settledOne(false, undefined);
    else if (entry === REJECTED) this.#settledOne(true, error);
    else if (entry === TIMED_OUT) this.#timedOut();
    else this.#abandon();
  }

  /** Watches a promise of this attempt (its function's or a child's) until it settles. */
  #observe(promise: Promise<unknown>): void {
    nativeThen.call(
      promise,
      () => this.host.deliver(this, FULFILLED, undefined),
      (error: unknown) => this.host.deliver(this, REJECTED, error),
    );
  }

  /** Cancels a running attempt: aborts its signal with `reason` and waits for it to settle. */
  cancel(reason: unknown): void {
    if (this.code === AS.running) this.#decide("cancel", reason);
  }

  /** A getter returning a bound function, so `const { spawn } = scope` works too. */
  get spawn(): <R>(fn: (signal: AbortSignal) => R | PromiseLike<R>) => Promise<R> {
    return (fn) => this.#spawn(fn);
  }

  #spawn<R>(fn: (signal: AbortSignal) => R | PromiseLike<R>): Promise<R> {
    if (this.code !== AS.running && this.code !== AS.settling) {
      throw new Error(
        `task "${this.task}" ${this.phase} attempt ${this.attempt}: scope.spawn() was called after the attempt ended; start child work before the function settles`,
      );
    }
    const signal = this.signal;
    this.#pending++;
    let child: Promise<R>;
    try {
      const result = fn(signal);
      child = result instanceof Promise ? result : Promise.resolve(result);
    } catch (error) {
      child = Promise.reject(error);
    }
    // Observing also marks the child handled: its rejection fails the attempt instead.
    try {
      this.#observe(child);
    } catch (error) {
      // A promise subclass that cannot be observed fails as a child with that error.
      child = Promise.reject(error);
      this.#observe(child);
    }
    return child;
  }

  #settledOne(failed: boolean, error: unknown): void {
    this.#pending--;
    if (failed && this.code === AS.running) {
      this.#decide("fail", error);
      return;
    }
    if (this.#pending > 0) return;
    if (this.code === AS.running) this.#succeed();
    else if (this.code === AS.settling) this.#settle();
    else if (this.code === AS.abandoned) this.#move(AE.lateSettle, failed, error);
  }

  #succeed(): void {
    this.#clearTimer();
    this.outcome = "succeeded";
    this.#move(AE.succeed, false, undefined);
    this.host.attemptChanged(this);
  }

  #timedOut(): void {
    this.#timer = undefined;
    if (this.code !== AS.running) return;
    const timeoutMs = this.fn.timeoutMs ?? 0;
    this.#decide("timeout", new TaskTimeoutError(this.task, this.phase, this.attempt, timeoutMs));
  }

  /** Decides a failure, timeout or cancellation: aborts the signal, then waits to settle. */
  #decide(event: "fail" | "timeout" | "cancel", error: unknown): void {
    this.#clearTimer();
    this.outcome = event === "fail" ? "failed" : event === "timeout" ? "timedOut" : "cancelled";
    this.error = error;
    this.#move(AE[event], true, error);
    this.#abortReason =
      event === "fail"
        ? new DOMException(
            `task "${this.task}" ${this.phase} attempt ${this.attempt} failed`,
            "AbortError",
          )
        : error;
    this.#controller?.abort(this.#abortReason);
    if (this.#pending === 0) {
      this.#move(AE.settle, false, undefined);
    } else {
      const abandonAfterMs =
        this.fn.abandonAfterMs === undefined ? this.host.abandonAfterMs : this.fn.abandonAfterMs;
      if (abandonAfterMs !== null && abandonAfterMs !== undefined) {
        this.#timer = this.host.clock.setTimeout(
          () => this.host.deliver(this, ABANDON_DUE, undefined),
          abandonAfterMs,
        );
      }
    }
    this.host.attemptChanged(this);
  }

  #settle(): void {
    this.#clearTimer();
    this.#move(AE.settle, false, undefined);
    this.host.attemptChanged(this);
  }

  #abandon(): void {
    this.#timer = undefined;
    if (this.code !== AS.settling) return;
    this.#move(AE.abandon, false, undefined);
    this.host.attemptChanged(this);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      this.host.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #move(event: number, hasError: boolean, error: unknown): void {
    const from = this.code;
    const to = ATTEMPT_MACHINE.next(from, event);
    if (to < 0)
      throw ATTEMPT_MACHINE.illegal(from, event, `${this.task} ${this.phase} #${this.attempt}`);
    this.code = to;
    if (this.host.listening) {
      this.host.attemptEvent(
        this,
        ATTEMPT_MACHINE.events[event]!,
        ATTEMPT_MACHINE.states[from]!,
        hasError,
        error,
      );
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
