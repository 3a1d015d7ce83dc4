import { quoted } from "../errors/quoted.js";
import type { LifecycleEvent, RunTransitionEvent } from "../events/lifecycle-event.js";
import { ABORTED_AT_START, RUN_TRANSITIONS, type RunState } from "../lifecycle/run-states.js";
import { describe, listFirst } from "./describe-event.js";
import type { EntryOrder } from "./entry-order.js";
import type { ExecuteStep } from "./execute-step.js";
import type { FailingSweep } from "./failing-sweep.js";
import { hasKey, PRE_EXEC_ACTIVE } from "./phases-and-states.js";
import type { ReplayState } from "./replay-state.js";
import type { RunDeadline } from "./run-deadline.js";
import { checkSettled } from "./settled-checks.js";
import type { SlotReplay } from "./slot-replay.js";
import type { TeardownOrder } from "./teardown-order.js";

/** The parts of the checker a run event concerns. */
export interface RunReplayParts<T> {
  readonly entryOrder: EntryOrder<T>;
  readonly executeStep: ExecuteStep<T>;
  readonly teardownOrder: TeardownOrder<T>;
  readonly failingSweep: FailingSweep<T>;
  readonly slots: SlotReplay<T>;
  readonly deadline: RunDeadline<T>;
}

/**
 * Run events (INV-1, INV-2, INV-4, INV-5, INV-11, INV-17, INV-19, INV-40): each follows the run table
 * from the state the run was in, and the tasks are where the new run state needs them.
 */
export class RunReplay<T> {
  readonly #state: ReplayState<T>;
  readonly #parts: RunReplayParts<T>;
  /** The run events whose scan of every task was done (see {@link onRun}). */
  readonly #scanned = new Set<string>();

  constructor(state: ReplayState<T>, parts: RunReplayParts<T>) {
    this.#state = state;
    this.#parts = parts;
  }

  onRun(e: RunTransitionEvent): void {
    const state = this.#state;
    const parts = this.#parts;
    // The checks that scan every task run once, at the first legal transition of their kind
    // (a run takes each once): a forged trace repeating one cannot make the check quadratic.
    const next = runTableNext(state.runState, e.event);
    const scan = next !== undefined && !this.#scanned.has(e.event);
    if (scan) this.#scanned.add(e.event);
    const to = this.#transition(e, next);
    state.runState = to;
    switch (e.event) {
      case "start":
        state.startIndex = state.index;
        parts.slots.onStart(e);
        parts.deadline.onStart(e);
        parts.entryOrder.enableRoots();
        break;
      case "abort":
        state.aborted = true;
        if (
          state.startIndex >= 0 &&
          state.index === state.startIndex + 1 &&
          !parts.deadline.isDeadline(e)
        ) {
          // INV-17: aborted before it started; nothing may be entered. (A deadline of 0 ms on a
          // clock that fires it at once aborts after the run started: INV-40.)
          state.abortedAtStart = true;
          parts.entryOrder.forgetPending();
        }
        parts.deadline.onAbort(e);
        parts.failingSweep.begin();
        parts.slots.onRunFail();
        break;
      case "fail":
        parts.failingSweep.onRunFail(e);
        parts.slots.onRunFail();
        break;
      case "allEntered":
        if (scan) this.#checkAllReady("INV-2", "every task was entered", e);
        break;
      case "execute":
        if (scan) this.#checkAllReady("INV-5", "execute began", e);
        parts.executeStep.begin();
        break;
      case "allExecuted":
        for (const node of scan ? state.plan.executeNodes : []) {
          if (state.taskState[node] !== "executed") {
            state.report(
              "INV-11",
              `the run reported every execute done while task ${quoted(state.name(node))} was ${state.taskState[node]}`,
              [e],
            );
          }
        }
        break;
      case "quiesce":
        if (scan) this.#checkQuiet("the run reached failed", e);
        break;
      case "cleanup":
        if (scan) this.#checkQuiet("cleanup began", e);
        parts.teardownOrder.begin();
        break;
      default:
        break;
    }
    if (to === "settled") checkSettled(state, e);
    if (state.abortedAtStart && e.event !== "start" && e.event !== "abort") {
      const k = state.index - state.startIndex;
      if (ABORTED_AT_START[k] !== e.event) {
        state.report(
          "INV-17",
          `a run aborted before it started must report ${ABORTED_AT_START.join(", ")}; got ${e.event} as event ${k + 1}`,
          [e],
        );
      }
    }
  }

  /**
   * INV-1 (and INV-19 for a late abort): the state the run moves to by `e`, given `to`, where
   * the run table leads by it (undefined where it leads nowhere).
   */
  #transition(e: RunTransitionEvent, to: RunState | undefined): RunState {
    const state = this.#state;
    const from = state.runState;
    if (e.from !== from) {
      state.report("INV-1", `run ${describe(e)} but the run was ${from}`, [e]);
    }
    if (to === undefined) {
      state.report("INV-1", `illegal run transition ${from} --${e.event}-->`, [e]);
      if (e.event === "abort" && (from === "cleaningUp" || from === "settled")) {
        if (this.#parts.deadline.isDeadline(e)) {
          state.report(
            "INV-40",
            `the run's deadline aborted it in ${from}: its timer is cleared when cleanup begins, and changes nothing later`,
            [e],
          );
        } else {
          state.report(
            "INV-19",
            `the run was aborted in ${from}: the signal is observed only until cleanup`,
            [e],
          );
        }
      }
      return hasKey(RUN_TRANSITIONS, e.to) ? e.to : from;
    }
    if (e.to !== to) {
      state.report(
        "INV-1",
        `run ${from} --${e.event}--> must go to ${to}, the event says ${e.to}`,
        [e],
      );
    }
    return to;
  }

  #checkAllReady(invariant: string, what: string, e: LifecycleEvent): void {
    const state = this.#state;
    const notReady: string[] = [];
    for (let node = 0; node < state.taskCount; node++) {
      if (state.taskState[node] !== "ready")
        notReady.push(`${quoted(state.name(node))} (${state.taskState[node]})`);
    }
    if (notReady.length > 0) {
      state.report(invariant, `${what} while not every task was ready: ${listFirst(notReady)}`, [
        e,
      ]);
    }
  }

  /** INV-11: no preExecute or execute function is still running. */
  #checkQuiet(what: string, e: LifecycleEvent): void {
    const state = this.#state;
    const busy: string[] = [];
    for (let node = 0; node < state.taskCount; node++) {
      if (PRE_EXEC_ACTIVE.has(state.taskState[node]!))
        busy.push(`${quoted(state.name(node))} (${state.taskState[node]})`);
    }
    if (busy.length > 0 || state.activeAttempts > 0) {
      state.report(
        "INV-11",
        `${what} while preExecute or execute functions were still running: ${busy.length > 0 ? listFirst(busy) : `${state.activeAttempts} attempt(s)`}`,
        [e],
      );
    }
  }
}

/** The state the run table leads to from `from` by `event`, or undefined if it has none. */
function runTableNext(from: RunState, event: unknown): RunState | undefined {
  if (!hasKey(RUN_TRANSITIONS, from)) return undefined;
  const row = RUN_TRANSITIONS[from] as Partial<Record<string, RunState>>;
  return hasKey(row, event) ? row[event] : undefined;
}
