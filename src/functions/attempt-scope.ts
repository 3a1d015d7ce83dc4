import type { Attempt } from "./attempt.js";
import type { PhaseName } from "./phase-name.js";
import type { TaskScope } from "./task-scope.js";

let attemptOfScope: (scope: AttemptScope) => Attempt;

/**
 * The {@link TaskScope} a full attempt (every retry) hands its function: the attempt's
 * identity, its signal and `spawn`, and nothing of the engine's. Handing the attempt itself
 * would let a function reach the engine's own record and methods (a function that called its
 * attempt's `cancel()` left its run unsettled for ever).
 */
export class AttemptScope implements TaskScope {
  readonly #attempt: Attempt;

  constructor(attempt: Attempt) {
    this.#attempt = attempt;
  }

  get task(): string {
    return this.#attempt.task;
  }

  get phase(): PhaseName {
    return this.#attempt.phase;
  }

  get attempt(): number {
    return this.#attempt.attempt;
  }

  get signal(): AbortSignal {
    return this.#attempt.signal;
  }

  get spawn(): <R>(fn: (signal: AbortSignal) => R | PromiseLike<R>) => Promise<R> {
    return this.#attempt.spawn;
  }

  static {
    // A module function, not a static member: a function can reach the class from its scope
    // (`scope.constructor`), and nothing of the engine may be reachable from a scope.
    attemptOfScope = (scope) => scope.#attempt;
  }
}

/** The attempt behind a full attempt's scope, for sdax's own tracing; else undefined. */
export function attemptOf(scope: unknown): Attempt | undefined {
  return scope instanceof AttemptScope ? attemptOfScope(scope) : undefined;
}
