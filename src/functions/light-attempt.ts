import { AS } from "../lifecycle/machines.js";
import { type Attempt, type AttemptEntry, FULFILLED, REJECTED, TIMED_OUT } from "./attempt.js";
import { nativeThen } from "./native-then.js";
import type { PhaseName } from "./phase-name.js";
import type { TaskScope } from "./task-scope.js";

/** What a light attempt needs from the run that owns it. */
export interface LightAttemptHost {
  /** The full attempt that takes over `light` in the state it reached (made once). */
  promote(light: LightAttempt): Attempt;
  /** Its function's promise settled, or its timeout's timer fired: a step of the run's own. */
  deliverLight(light: LightAttempt, entry: AttemptEntry, error: unknown): void;
  /** The task's name (only read on paths that report or throw). */
  taskName(node: number): string;
}

/**
 * A phase's first attempt while all that happens to it is its function's promise fulfilling,
 * the common case: the {@link TaskScope} its function receives and the observer of that
 * promise, and no more. The engine moves it through the attempt table itself (`start`, then
 * `succeed`).
 *
 * Its timeout's timer, if its function has one, is kept in the run's per-task tables while
 * it is light. Anything else hands it to a full {@link Attempt}, made then, which goes on from
 * the state it reached: its promise rejecting, its timeout passing, a result that is not a
 * native promise, a cancellation, its function reading `signal` or calling `spawn`. Every
 * retry is a full attempt from the start.
 */
export class LightAttempt implements TaskScope {
  /** The attempt state's code: `idle`, `running`, then `ended` when it succeeds (unless promoted). */
  code: number = AS.idle;
  /** The full attempt that took over, once one did; from then on it holds the state. */
  full: Attempt | undefined = undefined;

  constructor(
    readonly host: LightAttemptHost,
    readonly node: number,
    readonly phase: PhaseName,
  ) {}

  get task(): string {
    return this.host.taskName(this.node);
  }

  get attempt(): number {
    return 1;
  }

  get signal(): AbortSignal {
    return this.host.promote(this).signal;
  }

  get spawn(): <R>(fn: (signal: AbortSignal) => R | PromiseLike<R>) => Promise<R> {
    return this.host.promote(this).spawn;
  }

  /**
   * Watches its function's promise until it settles. May throw (a promise subclass). If
   * `timed`, returns the callback for its timeout's timer, made here so that it shares the
   * observers' context instead of allocating one of its own.
   */
  observe(promise: Promise<unknown>, timed: boolean): (() => void) | undefined {
    nativeThen.call(
      promise,
      () => this.host.deliverLight(this, FULFILLED, undefined),
      (error: unknown) => this.host.deliverLight(this, REJECTED, error),
    );
    return timed ? () => this.host.deliverLight(this, TIMED_OUT, undefined) : undefined;
  }
}
