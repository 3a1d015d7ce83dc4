import type { Attempt, AttemptEntry } from "./attempt.js";
import { FULFILLED, REJECTED, TIMED_OUT } from "./attempt.js";
import { nativeThen } from "./native-then.js";
import type { PhaseName } from "./phase-name.js";
import type { TaskScope } from "./task-scope.js";

/** What a light attempt's scope and observers need from the run that owns the attempt. */
export interface LightScopeHost {
  /**
   * The full attempt of `node`'s `phase` (its first attempt): made now if it is still light,
   * in the state it reached, or afresh in success if it succeeded; the same one while it is
   * current, and after it was decided other than by success.
   */
  promote(node: number, phase: PhaseName): Attempt;
  /**
   * That full attempt if one was made and is still current, or was decided other than by
   * success; never makes one.
   */
  promoted(node: number, phase: PhaseName): Attempt | undefined;
  /** Its function's promise settled, or its timeout's timer fired: a step of the run's own. */
  deliverLight(node: number, phase: PhaseName, entry: AttemptEntry, error: unknown): void;
  /** The task's name (only read on paths that report or throw). */
  taskName(node: number): string;
}

let fullOfScope: (scope: LightScope) => Attempt | undefined;
let hostOfScope: (scope: LightScope) => LightScopeHost;

/**
 * The {@link TaskScope} a phase's first attempt hands its function while the attempt is light:
 * while all that happens to it is its function's promise fulfilling, the common case.
 *
 * A light attempt has no record of its own: the run keeps its state in its per-task tables,
 * and its promise's observers know only the run, the task and the phase. So this scope is
 * held by nobody but the function, and a function that never keeps it leaves it to be
 * collected at once, however long its promise takes.
 *
 * Anything else hands the attempt to a full {@link Attempt}, made then, which goes on from the
 * state it reached: its promise rejecting, its timeout passing, a result that is not a native
 * promise, a cancellation, its function throwing, or reading `signal` or `spawn` (through
 * this scope, even after the phase ended). Every retry is a full attempt from the start.
 */
export class LightScope implements TaskScope {
  readonly #host: LightScopeHost;
  readonly #node: number;
  /** The full attempt reached through this scope, kept so that every read gives the same. */
  #full: Attempt | undefined = undefined;

  constructor(
    host: LightScopeHost,
    node: number,
    readonly phase: PhaseName,
  ) {
    this.#host = host;
    this.#node = node;
  }

  get task(): string {
    return this.#host.taskName(this.#node);
  }

  get attempt(): number {
    return 1;
  }

  get signal(): AbortSignal {
    return this.#attempt().signal;
  }

  get spawn(): <R>(fn: (signal: AbortSignal) => R | PromiseLike<R>) => Promise<R> {
    return this.#attempt().spawn;
  }

  static {
    // Module functions, not static members: a function can reach the class from its scope
    // (`scope.constructor`), and nothing of the engine may be reachable from a scope.
    fullOfScope = (scope) => scope.#full ?? scope.#host.promoted(scope.#node, scope.phase);
    hostOfScope = (scope) => scope.#host;
  }

  #attempt(): Attempt {
    this.#full ??= this.#host.promote(this.#node, this.phase);
    return this.#full;
  }
}

/**
 * The full attempt that took over a light attempt's scope, if one did and it is still known;
 * undefined for anything else. For sdax's own tracing.
 */
export function fullAttemptOf(scope: unknown): Attempt | undefined {
  return scope instanceof LightScope ? fullOfScope(scope) : undefined;
}

/** The run a light attempt's scope belongs to: for checks of the engine's object layouts. */
export function hostOfLightScope(scope: LightScope): LightScopeHost {
  return hostOfScope(scope);
}

/**
 * Watches a light attempt's promise until it settles. May throw (a promise subclass). If
 * `timed`, returns the callback for its timeout's timer, made here so that it shares the
 * observers' context instead of allocating one of its own. The observers hold the run, the
 * node and the phase, and nothing else.
 */
export function observeLight(
  host: LightScopeHost,
  node: number,
  phase: PhaseName,
  promise: Promise<unknown>,
  timed: boolean,
): (() => void) | undefined {
  nativeThen.call(
    promise,
    () => host.deliverLight(node, phase, FULFILLED, undefined),
    (error: unknown) => host.deliverLight(node, phase, REJECTED, error),
  );
  return timed ? () => host.deliverLight(node, phase, TIMED_OUT, undefined) : undefined;
}
