import { errorsText } from "../errors/execution-error.js";
import { quoted } from "../errors/quoted.js";
import { TaskTimeoutError } from "../errors/retryable-error.js";
import type { AttemptEvent, AttemptState } from "../lifecycle/attempt-states.js";
import { AE, AS, ATTEMPT_ACTIVE, ATTEMPT_MACHINE } from "../lifecycle/machines.js";
import { AttemptScope } from "./attempt-scope.js";
import type { LightScope } from "./light-scope.js";
import { nativeThen } from "./native-then.js";
import type { PhaseName } from "./phase-name.js";
import type { TaskFunction } from "./task-function.js";

/**
 * How an attempt ended (see `spec/task-functions.md`): decided once, except that a cancelled
 * attempt may still fail on its own (`failedAfterCancel`, spec INV-32).
 */
export type AttemptOutcome =
  | "succeeded"
  | "failed"
  | "timedOut"
  | "cancelled"
  | "failedAfterCancel";

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
  | typeof ABANDON_DUE
  | typeof DELAY_OVER
  | typeof CLEAR_THREW;
/** The attempt's function's (or a child's) promise fulfilled. */
export const FULFILLED = 0;
/** The attempt's function's (or a child's) promise rejected. */
export const REJECTED = 1;
/** The attempt's timeout's timer fired. */
export const TIMED_OUT = 2;
const ABANDON_DUE = 3;
/** A retry's delay timer fired. */
const DELAY_OVER = 4;
/**
 * Its function's promise fulfilled, but the clock threw clearing its timeout's timer (cleared
 * by the run while the attempt was light): the clock's error fails it (spec 5.2).
 */
export const CLEAR_THREW = 5;

/** Which of its timers an attempt has set: data, never inferred from a handle (INV-36). */
const NO_TIMER = 0;
const TIMEOUT_TIMER = 1;
const ABANDON_TIMER = 2;
const DELAY_TIMER = 3;

/** The attempt's side of {@link AttemptHost.deliver}; a symbol, so it stays off the scope's API. */
export const enterAttempt: unique symbol = Symbol("sdax.enterAttempt");

/** What an attempt needs from the run that owns it. */
export interface AttemptHost {
  readonly ctx: unknown;
  /** The run's default for functions whose own `abandonAfterMs` is absent. */
  readonly abandonAfterMs: number | null | undefined;
  /** True when the run has an `onEvent` listener. */
  readonly listening: boolean;
  /** The run clock's `setTimeout`; may throw (the clock is user code). */
  setTimer(callback: () => void, ms: number): unknown;
  /** The run clock's `clearTimeout` (user code): what it threw, or {@link NO_ERROR}. */
  clearTimer(handle: unknown): unknown;
  /** True while the run clock's `clearTimeout` is being called, where `spawn` is refused. */
  readonly clearingTimer: boolean;
  /** An error with no phase left to fail: rethrown as an uncaught exception. */
  reportUncaught(error: unknown): void;
  /** The attempt's outcome was decided, or it settled, ended or was abandoned. */
  attemptChanged(attempt: Attempt): void;
  /** Runs `attempt[enterAttempt](entry, error)` as an engine step of its own. */
  deliver(attempt: Attempt, entry: AttemptEntry, error: unknown): void;
  /** Times the next event now, before a timer it announces is set (called only while `listening`). */
  holdEventTime(): void;
  /** A task function was called: events after it read the clock afresh (only while `listening`). */
  newEventMoment(): void;
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
 * have settled, applies the timeout, aborts the signal on cancellation, abandons it after
 * `abandonAfterMs`, and, for a retry, waits out its delay first. Its function gets an
 * {@link AttemptScope} of it.
 *
 * The signal is created on first read; a timer only when a limit is set.
 */
export class Attempt {
  /** The attempt state's code in {@link ATTEMPT_MACHINE}. */
  code: number = AS.idle;
  /** Set when the outcome is decided. */
  outcome: AttemptOutcome | undefined;
  /** The error of a failed or timed-out attempt, or the reason of a cancelled one. */
  error: unknown;
  /** If the owner retries after this attempt: the delay before the next; decided once. */
  retryDelayMs: number | undefined;
  /** How far the owner has acted on this attempt (see `Run#reconcile`). */
  seen = 0;

  /** Unsettled promises of this attempt: the function's own and each spawned child's. */
  #pending = 0;
  #controller: AbortController | undefined;
  #abortReason: unknown;
  #timer: unknown;
  #timerKind = NO_TIMER;
  /**
   * The errors of the attempt's own (not its cancellation echoed back, not its decided error
   * again) that came after its outcome was decided, in the order they came: reported with its
   * `settle`, or its `lateSettle` once abandoned, and, for a phase that failed, with the failure
   * (spec section 4). Made at the first.
   */
  #laterErrors: unknown[] | undefined = undefined;
  /**
   * The error the outcome was decided with, as the function or a child gave it: `error` may
   * become an aggregate of it and what a clock or `retryOn` threw, and the same error given
   * again (a function rethrowing its child's) is not a later one.
   */
  #decidedError: unknown = NO_ERROR;
  /** For an attempt whose phase failed with it: its failure's place in the run's `failures`. */
  failureIndex = -1;
  /**
   * The error the attempt event being reported carries, as thrown, while a run listens: the
   * event has a description only, and sdax's own tracing records the error with its stack.
   */
  eventError: unknown = undefined;

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

  /**
   * A retry: sets the delay's timer, calls `announce` (the owner's `retry` event), then waits
   * in `delayed` until the timer fires. Throws what the clock threw, before any transition (the
   * owner then fails the phase instead).
   */
  delay(ms: number, announce: () => void): void {
    if (this.host.listening) this.host.holdEventTime();
    const timer = this.host.setTimer(() => this.host.deliver(this, DELAY_OVER, undefined), ms);
    this.#timer = timer;
    this.#timerKind = DELAY_TIMER;
    announce();
    this.#move(AE.delay, false, undefined);
  }

  /** Calls the function. Outcomes reach the host through `attemptChanged`. */
  start(): void {
    this.#move(AE.start, false, undefined);
    this.#pending = 1;
    let result: unknown;
    try {
      const fn = this.fn.fn; // called with no `this` (spec 1)
      result = fn(this.host.ctx, new AttemptScope(this));
    } catch (error) {
      this.afterCall(true, error);
      return;
    }
    this.afterCall(false, result);
  }

  /**
   * Takes over a light attempt (see {@link LightScope}) in the state it reached, without an
   * event: `running` (its function still being called, or its promise observed and
   * unsettled), or `ended` in success.
   */
  adopt(code: number): this {
    this.code = code;
    if (code === AS.running) this.#pending = 1;
    else this.outcome = "succeeded";
    return this;
  }

  /** Takes over the timeout's timer a light attempt had set. */
  adoptTimeout(handle: unknown): void {
    this.#timer = handle;
    this.#timerKind = TIMEOUT_TIMER;
  }

  /**
   * The function returned `value` (or, if `threw`, threw it): observes what it returned, or
   * settles at once, then sets the timeout while the attempt runs. `notNative`: the caller
   * found already that `value` is not a native promise (asking again would call a Proxy's
   * `getPrototypeOf` twice).
   */
  afterCall(threw: boolean, value: unknown, notNative = false): void {
    if (this.host.listening) this.host.newEventMoment();
    let pending = false;
    if (!threw) {
      // A native promise is observed as it is; another thenable is adopted first. Inside the
      // try: observing touches user code (a `then` getter, a promise subclass).
      try {
        pending = true;
        if (!notNative && value instanceof Promise) this.#observe(value);
        else if (isThenable(value)) this.#observe(Promise.resolve(value));
        else pending = false;
      } catch (error) {
        threw = true;
        value = error;
      }
    }
    if (threw) {
      this.#settledOne(true, value);
      return;
    }
    if (!pending) this.#settledOne(false, undefined);
    if (this.#pending > 0 && this.fn.timeoutMs !== null && this.code === AS.running) {
      try {
        this.#timer = this.host.setTimer(
          () => this.host.deliver(this, TIMED_OUT, undefined),
          this.fn.timeoutMs,
        );
        this.#timerKind = TIMEOUT_TIMER;
      } catch (clockError) {
        this.failOnClock(clockError);
      }
    }
  }

  /** The clock threw setting or clearing the timeout's timer: the attempt fails with its error. */
  failOnClock(clockError: unknown): void {
    this.#decide("fail", clockError); // spec 5.2: the attempt fails with the clock's error
  }

  /** Runs one way in from outside (see {@link AttemptEntry}); called by the host's step. */
  [enterAttempt](entry: AttemptEntry, error: unknown): void {
    if (entry === FULFILLED) this.#settledOne(false, undefined);
    else if (entry === REJECTED) this.#settledOne(true, error);
    else if (entry === TIMED_OUT) this.#timerFired(TIMEOUT_TIMER);
    else if (entry === ABANDON_DUE) this.#timerFired(ABANDON_TIMER);
    else if (entry === DELAY_OVER) this.#timerFired(DELAY_TIMER);
    else {
      this.#pending--; // CLEAR_THREW: the function's promise has fulfilled
      this.failOnClock(error);
    }
  }

  /** Watches a promise of this attempt (its function's or a child's) until it settles. */
  #observe(promise: Promise<unknown>): void {
    nativeThen.call(
      promise,
      () => this.host.deliver(this, FULFILLED, undefined),
      (error: unknown) => this.host.deliver(this, REJECTED, error),
    );
  }

  /**
   * Cancels the attempt: a running one aborts its signal with `reason` and waits to settle
   * (`cancelling`); a delayed one never starts and ends at once.
   */
  cancel(reason: unknown): void {
    if (this.code === AS.running) {
      this.#decide("cancel", reason);
    } else if (this.code === AS.delayed) {
      const clockError = this.#clearTimer();
      this.outcome = "cancelled";
      this.error = reason;
      this.#move(AE.cancel, true, reason);
      if (clockError !== NO_ERROR) this.host.reportUncaught(clockError);
      this.host.attemptChanged(this);
    }
  }

  /** A getter returning a bound function, so `const { spawn } = scope` works too. */
  get spawn(): <R>(fn: (signal: AbortSignal) => R | PromiseLike<R>) => Promise<R> {
    return (fn) => this.#spawn(fn);
  }

  #spawn<R>(fn: (signal: AbortSignal) => R | PromiseLike<R>): Promise<R> {
    if (ATTEMPT_ACTIVE[this.code] === 0) {
      throw new Error(
        `task ${quoted(this.task)} ${this.phase} attempt ${this.attempt}: scope.spawn() was called after the attempt ended; start child work before the function settles`,
      );
    }
    if (this.host.clearingTimer) {
      // The clock is clearing a timer because an attempt ended or was decided: a child started
      // now would be left out of that end, with no timeout to cover it (spec 8).
      throw new Error(
        `task ${quoted(this.task)} ${this.phase} attempt ${this.attempt}: scope.spawn() was called from inside the clock's clearTimeout; start child work from the function or its children`,
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
    if (failed) {
      if (this.code === AS.running) {
        this.#decide("fail", error);
        return;
      }
      if (this.code === AS.cancelling && !this.#isCancellation(error)) {
        this.#failAfterCancel(error);
      } else if (
        (this.code === AS.settling || this.code === AS.abandoned) &&
        error !== this.error &&
        error !== this.#decidedError &&
        !this.#isCancellation(error) &&
        !this.#isLaterErrorAgain(error)
      ) {
        this.#laterErrors ??= [];
        this.#laterErrors.push(error);
      }
    }
    if (this.#pending > 0) return;
    if (this.code === AS.running) this.#succeed();
    else if (this.code === AS.settling || this.code === AS.cancelling) this.#settle();
    else if (this.code === AS.abandoned) {
      if (this.#laterErrors === undefined) this.#move(AE.lateSettle, failed, error);
      else this.#move(AE.lateSettle, true, this.#laterErrorsAsOne());
    }
  }

  /**
   * A later error given again: the same object (a child's error rethrown by the function).
   * Equal primitives are different throws, and each is kept.
   */
  #isLaterErrorAgain(error: unknown): boolean {
    if ((typeof error !== "object" && typeof error !== "function") || error === null) return false;
    return this.#laterErrors?.includes(error) === true;
  }

  /** The errors of its own that came after the attempt's outcome was decided, in order. */
  get laterErrors(): readonly unknown[] {
    return this.#laterErrors ?? NONE;
  }

  /** The later errors as one error for an event: the error itself, or an aggregate of several. */
  #laterErrorsAsOne(): unknown {
    const later = this.#laterErrors!;
    return later.length === 1 ? later[0] : laterAggregate(later);
  }

  /** Spec INV-32: the signal's own reason, or an `AbortError`, is the cancellation echoed back. */
  #isCancellation(error: unknown): boolean {
    if (error === this.#abortReason) return true;
    if (typeof error !== "object" || error === null) return false;
    try {
      return (error as { name?: unknown }).name === "AbortError";
    } catch {
      return false; // a name that cannot be read is not an AbortError's
    }
  }

  #succeed(): void {
    const clockError = this.#clearTimer();
    if (clockError !== NO_ERROR) {
      this.#decide("fail", clockError); // spec 5.2: a clock that throws fails the attempt
      return;
    }
    this.outcome = "succeeded";
    this.#move(AE.succeed, false, undefined);
    this.host.attemptChanged(this);
  }

  #timerFired(kind: number): void {
    if (this.#timerKind !== kind) return; // cleared (or its clear threw): the state moved on
    this.#timerKind = NO_TIMER;
    this.#timer = undefined;
    if (kind === TIMEOUT_TIMER) {
      const timeoutMs = this.fn.timeoutMs ?? 0;
      this.#decide("timeout", new TaskTimeoutError(this.task, this.phase, this.attempt, timeoutMs));
    } else if (kind === ABANDON_TIMER) {
      this.#move(AE.abandon, false, undefined);
      this.host.attemptChanged(this);
    } else {
      this.start();
    }
  }

  /**
   * Decides a failure, timeout or cancellation: aborts the signal, then waits to settle. The
   * clock is called first, so an error it throws is part of the decision (spec 5.2).
   */
  #decide(event: "fail" | "timeout" | "cancel", error: unknown): void {
    const clockErrors: unknown[] = [];
    const cleared = this.#clearTimer();
    if (cleared !== NO_ERROR) clockErrors.push(cleared);
    if (this.#pending > 0) {
      const abandonAfterMs =
        this.fn.abandonAfterMs === undefined ? this.host.abandonAfterMs : this.fn.abandonAfterMs;
      if (abandonAfterMs !== null && abandonAfterMs !== undefined) {
        try {
          if (this.host.listening) this.host.holdEventTime(); // the decision's time (INV-27)
          this.#timer = this.host.setTimer(
            () => this.host.deliver(this, ABANDON_DUE, undefined),
            abandonAfterMs,
          );
          this.#timerKind = ABANDON_TIMER;
        } catch (clockError) {
          clockErrors.push(clockError); // no timer: the attempt is waited for without limit
        }
      }
    }
    let decided = error;
    if (event !== "cancel" && clockErrors.length > 0) {
      decided = new AggregateError(
        [error, ...clockErrors],
        `task ${quoted(this.task)} ${this.phase} attempt ${this.attempt}: the clock threw while the attempt failed`,
      );
    }
    this.outcome = event === "fail" ? "failed" : event === "timeout" ? "timedOut" : "cancelled";
    this.error = decided;
    this.#decidedError = error;
    this.#move(AE[event], true, decided);
    this.#abortReason =
      event === "fail"
        ? new DOMException(
            `task ${quoted(this.task)} ${this.phase} attempt ${this.attempt} failed`,
            "AbortError",
          )
        : decided;
    this.#controller?.abort(this.#abortReason);
    if (event === "cancel" && clockErrors.length > 0) {
      this.#failAfterCancel(clockErrors.length === 1 ? clockErrors[0] : aggregate(clockErrors));
    }
    if (this.#pending === 0) this.#move(AE.settle, false, undefined);
    this.host.attemptChanged(this);
  }

  /** Spec INV-32: a cancelled attempt that fails on its own; its error replaces the reason. */
  #failAfterCancel(error: unknown): void {
    this.outcome = "failedAfterCancel";
    this.error = error;
    this.#decidedError = error;
    this.#move(AE.fail, true, error);
    this.host.attemptChanged(this);
  }

  #settle(): void {
    const clockError = this.#clearTimer();
    if (clockError !== NO_ERROR) {
      if (this.code === AS.cancelling) this.#failAfterCancel(clockError);
      else this.host.reportUncaught(clockError); // the phase already failed: nothing left to fail
    }
    if (this.#laterErrors === undefined) this.#move(AE.settle, false, undefined);
    else this.#move(AE.settle, true, this.#laterErrorsAsOne());
    this.host.attemptChanged(this);
  }

  /** Clears the timer set, if any; returns what the clock threw, or {@link NO_ERROR}. */
  #clearTimer(): unknown {
    if (this.#timerKind === NO_TIMER) return NO_ERROR;
    const timer = this.#timer;
    this.#timerKind = NO_TIMER;
    this.#timer = undefined;
    return this.host.clearTimer(timer);
  }

  #move(event: number, hasError: boolean, error: unknown): void {
    const from = this.code;
    const to = ATTEMPT_MACHINE.next(from, event);
    if (to < 0)
      throw ATTEMPT_MACHINE.illegal(from, event, `${this.task} ${this.phase} #${this.attempt}`);
    this.code = to;
    if (this.host.listening) {
      this.eventError = hasError ? error : undefined;
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

/** "The clock did not throw": a value no clock can throw. */
export const NO_ERROR: unique symbol = Symbol("sdax.noError");

function aggregate(errors: unknown[]): AggregateError {
  return new AggregateError(errors, "the clock threw more than once");
}

const NONE: readonly unknown[] = Object.freeze([]);

/** Several later errors as one, for the event that reports them; its message lists them. */
function laterAggregate(errors: readonly unknown[]): AggregateError {
  return new AggregateError(
    errors,
    `${errors.length} errors after the attempt's outcome: ${errorsText(errors)}`,
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
