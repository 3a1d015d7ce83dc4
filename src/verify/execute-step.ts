import { quoted } from "../errors/quoted.js";
import type { LifecycleEvent, TaskTransitionEvent } from "../events/lifecycle-event.js";
import { describe, listNames } from "./describe-event.js";
import { EXEC } from "./phases-and-states.js";
import type { ReplayState } from "./replay-state.js";

/** The execute step (INV-5): every execute starts in the one step the run begins executing. */
export class ExecuteStep<T> {
  readonly #state: ReplayState<T>;
  /** Index of the run's `execute` event. */
  #stepIndex = -1;
  /** Executes started or queued in that step. */
  #started = 0;
  /** The task of the last execute started or queued in that step (ties by add order). */
  #lastNode = -1;
  /** Tasks whose execute was queued. */
  readonly #queued = new Set<number>();
  #open = false;

  constructor(state: ReplayState<T>) {
    this.#state = state;
  }

  /** The run began executing with the current event. */
  begin(): void {
    this.#stepIndex = this.#state.index;
    this.#open = true;
    this.#started = 0;
    this.#lastNode = -1;
  }

  /**
   * Task `node` started its execute by `e`, or queued it for a slot (`queueExec`, INV-38): in
   * the execute step either way, in the order the tasks were added.
   */
  onStartExec(e: TaskTransitionEvent, node: number): void {
    const state = this.#state;
    const name = e.task;
    if (e.event === "startExec") state.startPhase(node, EXEC, e);
    else if (state.phaseStarts[node * 3 + EXEC]! > 0 || this.#queued.has(node)) {
      state.report("INV-16", `the execute of ${quoted(name)} was queued a second time`, [e]);
    }
    if (e.event === "queueExec") this.#queued.add(node);
    if (this.#open && node <= this.#lastNode) {
      state.report(
        "INV-38",
        `${describe(e)} after task ${quoted(state.name(this.#lastNode))}, which was added later; the execute step starts or queues executes in the order their tasks were added`,
        [e],
      );
    }
    this.#lastNode = node;
    if (state.runState !== "executing" || !this.#open) {
      state.report(
        "INV-5",
        `execute of ${quoted(name)} started ${state.runState === "executing" ? "after the execute step" : `while the run was ${state.runState}`}; executes start only in the step the run begins executing, when every preExecute succeeded`,
        [e],
      );
    } else {
      this.#started++;
    }
    if (state.hasPhase[node * 3 + EXEC] === 0)
      state.report("INV-5", `execute started for ${quoted(name)}, which has none`, [e]);
  }

  /** Closes the step if `e` (undefined: the end of the trace) cannot be part of it. */
  closeIfEnded(e: LifecycleEvent | undefined): void {
    if (this.#open && (e === undefined || !this.#inStep(e))) this.#close(e);
  }

  #inStep(e: LifecycleEvent): boolean {
    if (e.type === "task") return e.event === "startExec" || e.event === "queueExec";
    if (e.type === "attempt") {
      if (e.phase !== "execute") return false;
      const record = this.#state.attempt(e.task, e.phase, e.attempt);
      return e.event === "start" || (record !== undefined && record.startIndex > this.#stepIndex);
    }
    return false;
  }

  #close(e: LifecycleEvent | undefined): void {
    const state = this.#state;
    this.#open = false;
    const executeNodes = state.plan.executeNodes;
    if (this.#started >= executeNodes.length) return;
    const missing: string[] = [];
    for (const node of executeNodes) {
      if (state.phaseStarts[node * 3 + EXEC] === 0 && !this.#queued.has(node)) {
        missing.push(state.name(node));
      }
    }
    const step = state.events[this.#stepIndex]!;
    state.report(
      "INV-5",
      `execute of ${listNames(missing)} did not start in the step the run began executing (${describe(step)}); every execute starts (or is queued for a slot) in that one step`,
      e === undefined ? [step] : [step, e],
    );
  }
}
