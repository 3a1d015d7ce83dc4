import { describeValue } from "../errors/describe-error.js";
import { escapedText, quoted } from "../errors/quoted.js";
import type { FailureInfo, RunTransitionEvent } from "../events/lifecycle-event.js";
import { AT_REST, taskStateIn } from "../lifecycle/machines.js";
import { describe, listFirst } from "./describe-event.js";
import type { EntryOrder } from "./entry-order.js";
import { Entry, isActive, POST, PRE } from "./phases-and-states.js";
import { attemptText, type ReplayState } from "./replay-state.js";

/**
 * The run moved to settled by `e` (INV-13, INV-14): nothing is left running, and the report
 * lists exactly the failed phases, with the outcome and abort flag they imply.
 */
export function checkSettled<T>(state: ReplayState<T>, e: RunTransitionEvent): void {
  state.settledIndex = state.index;
  checkNothingRunning(state, e);
  checkReport(state, e);
}

/** INV-13: every task is in a final state and no function is still running. */
function checkNothingRunning<T>(state: ReplayState<T>, e: RunTransitionEvent): void {
  const open: string[] = [];
  for (let node = 0; node < state.taskCount; node++) {
    if (!taskStateIn(AT_REST, state.taskState[node]!))
      open.push(`${quoted(state.name(node))} (${state.taskState[node]})`);
  }
  if (open.length > 0) {
    state.report("INV-13", `the run settled while tasks had not finished: ${listFirst(open)}`, [e]);
  }
  const running: string[] = [];
  for (const [key, record] of state.attempts) {
    if (isActive(record.state)) running.push(attemptText(key));
  }
  if (running.length > 0) {
    state.report(
      "INV-13",
      `the run settled while functions were still running: ${listFirst(running)}`,
      [e],
    );
  }
}

/** A failure of a settled event's report for a message, whatever a forged entry holds. */
function reportedFailure(got: unknown): string {
  if (typeof got !== "object" || got === null) return `${describeValue(got)}, not a failure`;
  const f = got as Partial<FailureInfo>;
  const task =
    typeof f.task === "string"
      ? `task ${quoted(f.task)}`
      : `no task name (${describeValue(f.task)})`;
  return `${task} ${shown(f.phase)} (attempts ${shown(f.attempts)}, afterCancel ${shown(f.afterCancel)}, ${shown(f.error?.name)}: ${shown(f.error?.message)})`;
}

/** A field of a forged entry: a string as it is (escaped, cut), anything else described. */
function shown(value: unknown): string {
  if (typeof value === "string") return escapedText(value);
  return typeof value === "number" || typeof value === "boolean" || value === undefined
    ? String(value)
    : describeValue(value);
}

/** INV-14: the report equals the failed phases; the outcome follows. */
function checkReport<T>(state: ReplayState<T>, e: RunTransitionEvent): void {
  const failures = state.failures;
  const reported = Array.isArray(e.failures) ? e.failures : undefined;
  if (reported === undefined) {
    state.report("INV-14", "the settled transition carries no failures list", [e]);
  } else {
    const n = Math.max(reported.length, failures.length);
    for (let k = 0; k < n; k++) {
      const want = failures[k];
      const got: unknown = reported[k];
      if (want === undefined) {
        state.report(
          "INV-14",
          `the report lists failure #${k + 1} (${reportedFailure(got)}) that no fail event reported`,
          [e],
        );
        continue;
      }
      if (got === undefined) {
        state.report(
          "INV-14",
          `the report misses failure #${k + 1}: task ${quoted(want.task)} ${String(want.phase)}`,
          [want.event, e],
        );
        continue;
      }
      const f = got as Partial<FailureInfo> | null;
      if (
        typeof f !== "object" ||
        f === null ||
        f.task !== want.task ||
        f.phase !== want.phase ||
        f.attempts !== want.attempts ||
        f.afterCancel !== want.afterCancel ||
        f.error?.name !== want.errorName ||
        f.error?.message !== want.errorMessage
      ) {
        state.report(
          "INV-14",
          `failure #${k + 1} of the report is ${reportedFailure(got)}; the failed phases say task ${quoted(want.task)} ${String(want.phase)} (attempts ${String(want.attempts)}, afterCancel ${want.afterCancel}, ${String(want.errorName)}: ${String(want.errorMessage)})`,
          [want.event, e],
        );
      }
    }
  }
  const failed = failures.length > 0 || state.aborted;
  const outcome = failed ? "failed" : "succeeded";
  if (e.outcome !== outcome) {
    state.report(
      "INV-14",
      `the run settled with outcome ${String(e.outcome)}, expected ${outcome} (${failures.length} failed phase(s)${state.aborted ? ", aborted" : ""})`,
      [e],
    );
  }
  if (e.aborted !== state.aborted) {
    state.report(
      "INV-14",
      `the run settled with aborted ${String(e.aborted)}, but ${state.aborted ? "an" : "no"} abort transition was reported`,
      [e],
    );
  }
}

/**
 * The trace ended (INV-13, INV-7, INV-8, INV-2): the run settled, every started preExecute and
 * every entered task without one got its postExecute, and every enabled task was entered.
 */
export function checkTraceEnd<T>(state: ReplayState<T>, entryOrder: EntryOrder<T>): void {
  const events = state.events;
  const last = events[events.length - 1]!;
  if (state.settledIndex < 0) {
    state.report("INV-13", `the run never settled (the trace ends with ${describe(last)})`, [last]);
    return;
  }
  const settled = events[state.settledIndex]!;
  for (let node = 0; node < state.taskCount; node++) {
    const name = state.name(node);
    const entry = state.entry[node]!;
    const hasPost = state.hasPhase[node * 3 + POST] === 1;
    const posts = state.phaseStarts[node * 3 + POST]!;
    if (entry === Entry.StartPre && hasPost && posts === 0) {
      state.report(
        "INV-7",
        `the preExecute of ${quoted(name)} started but its postExecute never did`,
        [events[state.phaseStartIndex[node * 3 + PRE]!]!, settled],
      );
    }
    if (entry === Entry.Enter && hasPost && posts === 0) {
      state.report(
        "INV-8",
        `${quoted(name)} (no preExecute) was entered but its postExecute never started`,
        [settled],
      );
    }
    if (entry === Entry.None && entryOrder.wasEnabled(node) && !state.abortedAtStart) {
      state.report("INV-2", `${quoted(name)} had every dependency ready but was never entered`, [
        settled,
      ]);
    }
  }
}
