import { quoted } from "../errors/quoted.js";
import type { LifecycleEvent, RunTransitionEvent } from "../events/lifecycle-event.js";
import { CANCELLABLE, taskStateIn } from "../lifecycle/machines.js";
import { describe } from "./describe-event.js";
import type { ReplayState } from "./replay-state.js";

/**
 * The failing sweep (INV-4, INV-6): a preExecute or execute failure moves the run to failing
 * in the same step, and the step in which the run begins failing (or is aborted) cancels every
 * running preExecute and execute.
 */
export class FailingSweep<T> {
  readonly #state: ReplayState<T>;
  /** Index of a pre/exec `fail` task event the run must answer by failing at once (-1: none). */
  #expectRunFail = -1;
  /** The tasks that must be cancelled in the step the run began failing. */
  #sweep: number[] | undefined;
  #sweepIndex = -1;

  constructor(state: ReplayState<T>) {
    this.#state = state;
  }

  /** The current event failed a preExecute or execute: the next one must fail the run. */
  expectRunFail(): void {
    this.#expectRunFail = this.#state.index;
  }

  /** INV-4: the event right after a pre/exec failure, `e` (undefined: end), fails the run. */
  closeRunFailStep(e: LifecycleEvent | undefined): void {
    const state = this.#state;
    if (this.#expectRunFail >= 0 && this.#expectRunFail === state.index - 1) {
      if (!(e?.type === "run" && e.event === "fail")) {
        const failed = state.events[this.#expectRunFail]!;
        state.report(
          "INV-4",
          `${describe(failed)} but the run did not move to failing in the same step (next: ${e === undefined ? "end of trace" : describe(e)})`,
          e === undefined ? [failed] : [failed, e],
        );
      }
      this.#expectRunFail = -1;
    }
  }

  /** The run moved to failing by `e`: a pre/exec failure must come just before. */
  onRunFail(e: RunTransitionEvent): void {
    const state = this.#state;
    const prev = state.events[state.index - 1];
    if (!(prev?.type === "task" && prev.event === "fail" && prev.phase !== "postExecute")) {
      state.report(
        "INV-4",
        "the run moved to failing without a preExecute or execute failure just before",
        prev === undefined ? [e] : [prev, e],
      );
    }
    this.begin();
  }

  /** The run began failing or was aborted: every running task must be cancelled in this step. */
  begin(): void {
    this.#sweep = [...this.#state.runningTasks];
    this.#sweepIndex = this.#state.index;
  }

  /** Closes the sweep's step if `e` (undefined: the end of the trace) cannot be part of it. */
  closeIfEnded(e: LifecycleEvent | undefined): void {
    if (this.#sweep !== undefined && (e === undefined || !inSweep(e))) this.#close(e);
  }

  #close(e: LifecycleEvent | undefined): void {
    const state = this.#state;
    const sweep = this.#sweep!;
    this.#sweep = undefined;
    const start = state.events[this.#sweepIndex]!;
    for (const node of sweep) {
      const taskState = state.taskState[node]!;
      if (taskStateIn(CANCELLABLE, taskState)) {
        const byExecute =
          start.type === "run" &&
          start.event === "fail" &&
          state.failures.at(-1)?.phase === "execute" &&
          taskState === "execRunning";
        state.report(
          byExecute ? "INV-6" : "INV-4",
          `task ${quoted(state.name(node))} was still ${taskState} after the step in which the run began failing (${describe(start)}); every running preExecute and execute must be cancelled in that step`,
          e === undefined ? [start] : [start, e],
        );
      }
    }
  }
}

/** True if `e` can belong to the step that cancels every running task. */
export function inSweep(e: LifecycleEvent): boolean {
  if (e.type === "task") {
    return (
      e.event === "cancel" ||
      e.event === "settle" ||
      e.event === "abandon" ||
      e.event === "succeed" ||
      e.event === "fail"
    );
  }
  if (e.type === "attempt") {
    // A retry decided in the step is delayed before it is cancelled; a clock that throws while
    // an attempt is cancelled fails it after its cancellation, in the step (spec 5.2).
    return (
      e.event === "cancel" || e.event === "delay" || (e.event === "fail" && e.from === "cancelling")
    );
  }
  return e.type === "retry";
}
