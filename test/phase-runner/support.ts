/**
 * Helpers for the phase-runner tests (spec/phase-runner.md): hand-settled promises, a promise
 * flush, and a recorder that builds tasks whose phases log when they are called.
 */
import type {
  AsyncTask,
  LifecycleEvent,
  PhaseName,
  RunTransitionEvent,
  TaskFn,
  TaskScope,
} from "../../src/index.js";
import { task } from "../../src/index.js";

import type { Deferred } from "../helpers/async.js";

export { type Deferred, deferred, flush } from "../helpers/async.js";

/**
 * How a recorded phase behaves: `"ok"` returns at once, `"fail"` throws the recorder's error for
 * that phase synchronously, a {@link Deferred} returns its promise, a function is called with
 * the phase's scope.
 */
export type Step = "ok" | "fail" | Deferred<void> | ((scope: TaskScope) => unknown);

export interface Phases {
  readonly pre?: Step;
  readonly exec?: Step;
  readonly post?: Step;
}

const short: Record<PhaseName, string> = {
  preExecute: "pre",
  execute: "exec",
  postExecute: "post",
};

/**
 * Records phase calls as `"A.pre"`, `"A.exec"`, `"A.post"` in call order; keeps each call's
 * scope, and one Error per phase (so a test can compare failures by identity).
 */
export class Recorder {
  readonly log: string[] = [];
  readonly scopes = new Map<string, TaskScope>();
  readonly #errors = new Map<string, Error>();

  /** The error `"fail"` throws for `key` (e.g. `"B.pre"`). */
  error(key: string): Error {
    let error = this.#errors.get(key);
    if (error === undefined) {
      error = new Error(`${key} failed`);
      this.#errors.set(key, error);
    }
    return error;
  }

  /** A task whose given phases record themselves and behave as `phases` says. */
  task<T>(name: string, phases: Phases): AsyncTask<T> {
    return task<T>(name, {
      preExecute: this.#fn<T>(name, "preExecute", phases.pre),
      execute: this.#fn<T>(name, "execute", phases.exec),
      postExecute: this.#fn<T>(name, "postExecute", phases.post),
    });
  }

  /** How many times `key` was called. */
  count(key: string): number {
    return this.log.filter((line) => line === key).length;
  }

  #fn<T>(name: string, phase: PhaseName, step: Step | undefined): TaskFn<T> | undefined {
    if (step === undefined) return undefined;
    const key = `${name}.${short[phase]}`;
    return (_ctx: T, scope: TaskScope) => {
      this.log.push(key);
      this.scopes.set(key, scope);
      if (step === "ok") return undefined;
      if (step === "fail") throw this.error(key);
      if (typeof step === "function") return step(scope);
      return step.promise;
    };
  }
}

/** A function that waits for `gate` unless its signal aborts first (then rejects with the reason). */
export function abortable(gate: Deferred<void>): (scope: TaskScope) => Promise<void> {
  return (scope) =>
    new Promise<void>((resolve, reject) => {
      scope.signal.addEventListener("abort", () => reject(scope.signal.reason), { once: true });
      gate.promise.then(resolve, reject);
    });
}

/** The run transitions of a trace, as `"from -event-> to"`. */
export function runSteps(events: readonly LifecycleEvent[]): string[] {
  return events
    .filter((e): e is RunTransitionEvent => e.type === "run")
    .map((e) => `${e.from} -${e.event}-> ${e.to}`);
}
