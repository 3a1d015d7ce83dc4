import { quoted } from "../errors/quoted.js";
import type { TaskTransitionEvent } from "../events/lifecycle-event.js";
import type { PhaseName } from "../functions/phase-name.js";
import { CANCELLABLE, CANCELLED_UNSETTLED, TORN_DOWN, taskStateIn } from "../lifecycle/machines.js";
import { RUN_ABORTABLE } from "../lifecycle/run-states.js";
import { PHASE_EVENTS } from "../lifecycle/task-phases.js";
import { TASK_TRANSITIONS, type TaskState } from "../lifecycle/task-states.js";
import type { EntryOrder } from "./entry-order.js";
import type { ExecuteStep } from "./execute-step.js";
import type { FailingSweep } from "./failing-sweep.js";
import {
  EXEC,
  hasKey,
  isActive,
  PHASES,
  POST,
  phaseIndex,
  STATE_PHASE,
} from "./phases-and-states.js";
import type { ReplayState } from "./replay-state.js";
import type { RetryReplay } from "./retry-replay.js";
import type { SlotReplay } from "./slot-replay.js";
import type { TeardownOrder } from "./teardown-order.js";

/** The parts of the checker a task event concerns. */
export interface TaskReplayParts<T> {
  readonly entryOrder: EntryOrder<T>;
  readonly executeStep: ExecuteStep<T>;
  readonly teardownOrder: TeardownOrder<T>;
  readonly failingSweep: FailingSweep<T>;
  readonly retries: RetryReplay<T>;
  readonly slots: SlotReplay<T>;
}

/**
 * Task events (INV-1, INV-4, INV-12, INV-20, INV-21, INV-27): each follows the task table from
 * the state the task was in, names the phase it concerns, and agrees with the phase's attempts.
 * Entry, execute and teardown events are checked further by their own parts, and every move by
 * the slot replay (INV-37 .. INV-39). A queued phase that gets its slot starts the phase its
 * queue event began.
 */
export class TaskReplay<T> {
  readonly #state: ReplayState<T>;
  readonly #parts: TaskReplayParts<T>;

  constructor(state: ReplayState<T>, parts: TaskReplayParts<T>) {
    this.#state = state;
    this.#parts = parts;
  }

  onTask(e: TaskTransitionEvent): void {
    const state = this.#state;
    const parts = this.#parts;
    const node = state.indexOf.get(e.task);
    if (node === undefined || node >= state.taskCount) {
      state.report(
        "INV-1",
        `task event for ${quoted(e.task)}, which is not a task of this processor`,
        [e],
      );
      return;
    }
    const from = state.taskState[node]!;
    if (e.from !== from) {
      state.report(
        "INV-1",
        `task ${quoted(e.task)} ${e.from} --${e.event}--> but the task was ${from}`,
        [e],
      );
    }
    const row = TASK_TRANSITIONS[from] as Partial<Record<string, TaskState>>;
    let to = hasKey(row, e.event) ? row[e.event] : undefined;
    if (to === undefined) {
      state.report(
        "INV-1",
        `illegal task transition ${from} --${e.event}--> for ${quoted(e.task)}`,
        [e],
      );
      to = hasKey(TASK_TRANSITIONS, e.to) ? e.to : from;
    } else if (e.to !== to) {
      state.report(
        "INV-1",
        `task ${quoted(e.task)} ${from} --${e.event}--> must go to ${to}, the event says ${e.to}`,
        [e],
      );
    }
    this.#checkPhase(e, from);
    parts.slots.onMove(e, node, from, to, parts.entryOrder.enabledAt(node));
    switch (e.event) {
      case "startPre":
      case "queuePre":
      case "enter":
      case "skip":
        if (from === "preQueued") parts.entryOrder.onDequeue(e, node);
        else parts.entryOrder.onEntry(e, node);
        break;
      case "startExec":
      case "queueExec":
        if (from === "execQueued") state.startPhase(node, EXEC, e);
        else parts.executeStep.onStartExec(e, node);
        break;
      case "startPost":
      case "queuePost":
      case "finish":
        if (from === "postQueued") state.startPhase(node, POST, e);
        else parts.teardownOrder.onTeardown(e, node);
        break;
      case "cancel":
        this.#onCancel(e, node, from);
        break;
      case "settle":
      case "abandon":
        this.#onPhaseEnd(e, node, from);
        break;
      case "succeed":
      case "fail":
        this.#onOutcome(e, node, from);
        break;
      default:
        break;
    }
    state.taskState[node] = to;
    if (taskStateIn(CANCELLABLE, to)) state.runningTasks.add(node);
    else state.runningTasks.delete(node);
    if (to === "ready" && from !== "ready") parts.entryOrder.markReady(node);
    if (taskStateIn(TORN_DOWN, to) && from !== to) parts.teardownOrder.tornDown(node);
  }

  /** INV-1: the event names the phase its state concerns. */
  #checkPhase(e: TaskTransitionEvent, from: TaskState): void {
    let expected: PhaseName | undefined;
    if (PHASE_EVENTS.has(e.event)) {
      expected = PHASE_EVENTS.get(e.event);
    } else if (e.event !== "enter" && e.event !== "skip" && e.event !== "finish") {
      const p = STATE_PHASE[from];
      expected = p === undefined ? undefined : PHASES[p];
    }
    if (expected !== undefined && e.phase !== expected) {
      this.#state.report(
        "INV-1",
        `task ${quoted(e.task)} ${e.event} names phase ${String(e.phase)}; in state ${from} it concerns ${expected}`,
        [e],
      );
    }
  }

  /** A phase was cancelled: never a postExecute (INV-12), only by a failing run (INV-4). */
  #onCancel(e: TaskTransitionEvent, node: number, from: TaskState): void {
    const state = this.#state;
    const name = e.task;
    const p = STATE_PHASE[from] ?? phaseIndex(e.phase);
    if (p === POST || e.phase === "postExecute") {
      state.report(
        "INV-12",
        `the postExecute of ${quoted(name)} was cancelled; a postExecute is never aborted`,
        [e],
      );
    } else if (state.runState !== "failing") {
      state.report(
        "INV-4",
        `task ${quoted(name)} ${String(e.phase)} was cancelled while the run was ${state.runState}; only a failing run cancels`,
        [e],
      );
    }
    if (p >= 0) this.#parts.retries.onPhaseCancel(name, node, p);
  }

  /** A phase settled or was abandoned (INV-27): its latest attempt is no longer running. */
  #onPhaseEnd(e: TaskTransitionEvent, node: number, from: TaskState): void {
    const state = this.#state;
    const name = e.task;
    const p = STATE_PHASE[from] ?? phaseIndex(e.phase);
    if (p < 0) return;
    const last = state.lastAttempt[node * 3 + p]!;
    const record = state.attempt(name, PHASES[p]!, last);
    if (record !== undefined && isActive(record.state)) {
      state.report(
        "INV-27",
        `task ${quoted(name)} ${PHASES[p]} ${e.event}d while its attempt ${last} was still ${record.state}`,
        [state.events[record.startIndex]!, e],
      );
    } else if (e.event === "abandon" && record !== undefined && record.state === "ended") {
      state.report(
        "INV-27",
        `task ${quoted(name)} ${PHASES[p]} was abandoned but its attempt ${last} settled`,
        [e],
      );
    }
  }

  /** A phase succeeded or failed (INV-20, INV-21); a failure is recorded for the report. */
  #onOutcome(e: TaskTransitionEvent, node: number, from: TaskState): void {
    const state = this.#state;
    const p = STATE_PHASE[from] ?? phaseIndex(e.phase);
    if (p < 0) return;
    const name = e.task;
    const last = state.lastAttempt[node * 3 + p]!;
    if (e.attempts !== last) {
      state.report(
        "INV-21",
        `task ${quoted(name)} ${PHASES[p]} ${e.event} reports attempts ${String(e.attempts)}, but ${last} attempt(s) started`,
        [e],
      );
    }
    const afterCancel = taskStateIn(CANCELLED_UNSETTLED, from);
    if (e.event === "fail" && e.afterCancel !== afterCancel) {
      state.report(
        "INV-32",
        `task ${quoted(name)} ${PHASES[p]} failed from ${from} with afterCancel ${String(e.afterCancel)}; it must be ${afterCancel}`,
        [e],
      );
    }
    if (last > 0) {
      const record = state.attempt(name, PHASES[p]!, last);
      if (afterCancel && record !== undefined && record.failedAfterCancel !== true) {
        state.report(
          "INV-32",
          `task ${quoted(name)} ${PHASES[p]} failed after its cancellation, but its attempt ${last} never failed on its own (no attempt fail from cancelling)`,
          [state.events[record.startIndex]!, e],
        );
      }
      const want =
        e.event === "succeed" ? ["succeed"] : afterCancel ? ["cancel"] : ["fail", "timeout"];
      if (record !== undefined && !want.includes(record.decidedBy ?? "")) {
        state.report(
          "INV-20",
          `task ${quoted(name)} ${PHASES[p]} ${e.event}, but its attempt ${last} was ${record.decidedBy === undefined ? "not decided" : `decided by ${record.decidedBy}`}`,
          [state.events[record.startIndex]!, e],
        );
      }
    }
    if (e.event !== "fail") return;
    state.failures.push({
      task: name,
      phase: e.phase,
      attempts: e.attempts,
      errorName: e.error?.name,
      errorMessage: e.error?.message,
      afterCancel,
      event: e,
    });
    if (p !== POST) {
      if (RUN_ABORTABLE[state.runState]) this.#parts.failingSweep.expectRunFail();
    } else if (state.runState !== "cleaningUp") {
      state.report(
        "INV-11",
        `postExecute of ${quoted(name)} failed while the run was ${state.runState}`,
        [e],
      );
    }
  }
}
