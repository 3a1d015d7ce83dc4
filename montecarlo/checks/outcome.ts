/**
 * The outcome oracle: what the run must resolve or reject with, predicted from the scripts
 * (see `predict.ts`), and the report or error compared with the trace (INV-14, INV-17, INV-28).
 *
 * - The run rejects if and only if some phase is predicted to fail (or block until cancelled)
 *   or the trace shows the external signal aborted before cleanup.
 * - Every failure in the error that is not `afterCancel` is a phase predicted to fail, after
 *   the predicted number of attempts, with exactly the value that attempt threw (or a timeout
 *   error); one that is `afterCancel` is an own rejection of that attempt (INV-32; the other
 *   way round, every own rejection is a failure: `own-errors.ts`); the failures are the
 *   trace's `fail` events, in order; `cause` is the signal's reason after an abort.
 * - A postExecute that was called and is predicted to fail does fail (nothing cancels it).
 * - A run aborted before it starts calls no function.
 * - No engine timer is pending once the run's promise settled (on a clock whose `clearTimeout`
 *   cannot clear, no more than the engine tried to clear).
 * - A throwing clock may fail any phase with its error, alone or in an `AggregateError` with
 *   the attempt's own (spec `task-functions.md` 5.2): such a failure is not predicted.
 */
import {
  isSdaxExecutionError,
  isTaskTimeoutError,
  type TaskFailure,
  type TaskTransitionEvent,
} from "../../src/index.js";
import type { BuiltWorkflow } from "../build.js";
import type { RunRecord } from "../execute-run.js";
import { show } from "../hostile.js";
import { PHASES, type PhaseName } from "../model.js";
import { attemptResult, type PhaseOutcome, predictPhase } from "../predict.js";
import { fromClock, isOrHolds } from "../quirk-clock.js";
import { keyOf } from "../run-context.js";
import type { Timeline } from "./timeline.js";
import type { Violation } from "./violation.js";

export function checkOutcome(built: BuiltWorkflow, tl: Timeline, record: RunRecord): Violation[] {
  const out: Violation[] = [];
  const v = (invariant: string, message: string): void => {
    out.push({ invariant, source: "oracle", message });
  };
  const { outcome, spec, ctx } = record;
  if (outcome.kind === "hung") {
    v("LIVENESS", `the run never settled: ${outcome.detail}`);
    return out;
  }
  const predicted = predictAll(built, record);
  const predictFail = predicted.some((p) => p !== undefined && p.result !== "ok");
  const abortEvent = ctx.events.some((e) => e.type === "run" && e.event === "abort");
  const expectReject = predictFail || abortEvent;
  const fails = ctx.events.filter(
    (e): e is TaskTransitionEvent => e.type === "task" && e.event === "fail",
  );

  if (spec.abort?.at === "before") {
    if (ctx.log.length > 0) v("INV-17", "a run aborted before it started called a function");
    if (!abortEvent) v("INV-17", "a run aborted before it started has no `abort` event");
  }
  // A clock that returns no handle cannot clear: each timer the engine cleared may still be
  // pending (and must do nothing when it fires: checkTrace and the uncaught watch see to that).
  const stale = record.unclearedAtSettle;
  if (record.timersAtSettle > stale) {
    v(
      "INV-28",
      `${record.timersAtSettle} engine timer(s) still pending when the run's promise settled${stale > 0 ? ` (the clock could not clear ${stale})` : ""}`,
    );
  }
  if (outcome.kind === "resolved") {
    if (expectReject) {
      v(
        "INV-14",
        `the run resolved, but ${abortEvent ? "its signal aborted before cleanup" : `phase ${describeFirstFail(built, predicted)} must fail`}`,
      );
    }
    if (fails.length > 0)
      v("INV-14", `the run resolved though the trace has ${fails.length} fail event(s)`);
    if (outcome.report.tasks !== built.names.length) {
      v(
        "INV-14",
        `RunReport.tasks is ${outcome.report.tasks}, the workflow has ${built.names.length}`,
      );
    }
    return out;
  }
  const error = outcome.error;
  // A throwing clock fails phases no script makes fail (spec 5.2).
  const clockFailed =
    isSdaxExecutionError(error) && error.failures.some((f) => fromClock(f.error, record.quirk));
  if (!expectReject && !clockFailed) {
    v(
      "INV-14",
      `the run rejected though no phase must fail and the signal did not abort: ${show(error)}`,
    );
  }
  if (!isSdaxExecutionError(error)) {
    v(
      "INV-14",
      `the run rejected with something that is not an SdaxExecutionError: ${show(error)}`,
    );
    return out;
  }
  const failures = error.failures;
  if (failures.length !== fails.length) {
    v(
      "INV-14",
      `the error lists ${failures.length} failure(s), the trace has ${fails.length} fail event(s)`,
    );
  }
  failures.forEach((f, i) => {
    const e = fails[i];
    if (
      e !== undefined &&
      (e.task !== f.task || e.phase !== f.phase || e.attempts !== f.attempts)
    ) {
      v(
        "INV-14",
        `failure ${i} is ${describe(f)}, the trace's fail event ${i} is task "${e.task}" ${e.phase} after ${e.attempts} attempt(s)`,
      );
    }
    const problem = checkFailure(built, record, predicted, f);
    if (problem !== undefined) v("INV-14", problem);
  });
  const byDeadline = ctx.events.some(
    (e) =>
      e.type === "run" &&
      e.event === "abort" &&
      e.abortedBy === "deadline" &&
      e.reason?.name === "TimeoutError",
  );
  if (byDeadline) {
    const cause = error.cause;
    if (
      !(isTaskTimeoutError(cause) && cause.task === undefined && cause.timeoutMs === spec.timeoutMs)
    ) {
      v(
        "INV-40",
        `after the run's deadline (${String(spec.timeoutMs)} ms) aborted it, the error's cause is ${show(cause)}, not the deadline's TaskTimeoutError`,
      );
    }
  } else if (abortEvent && error.cause !== record.abortReason) {
    v(
      "INV-14",
      `after an abort the error's cause is ${show(error.cause)}, not the signal's reason ${show(record.abortReason)}`,
    );
  }
  if (!abortEvent && error.cause !== undefined) {
    v("INV-14", `without an abort the error has a cause: ${show(error.cause)}`);
  }
  // A postExecute that was called and must fail does fail: nothing cancels it (INV-12).
  for (let i = 0; i < built.names.length; i++) {
    const p = predicted[i * 3 + 2];
    if (p === undefined || p.result === "ok" || !tl.begin.has(keyOf(i * 3 + 2, 1))) continue;
    if (!fails.some((e) => e.task === built.names[i] && e.phase === "postExecute")) {
      v(
        "INV-12",
        `task "${built.names[i]}" postExecute was called and must fail, but no failure was reported`,
      );
    }
  }
  return out;
}

function predictAll(built: BuiltWorkflow, record: RunRecord): (PhaseOutcome | undefined)[] {
  const predicted: (PhaseOutcome | undefined)[] = [];
  built.spec.tasks.forEach((t, i) => {
    PHASES.forEach((phase, p) => {
      const fn = t.phases[phase];
      predicted[i * 3 + p] =
        fn === undefined ? undefined : predictPhase(record.spec.scripts[t.name]?.[phase], fn);
    });
  });
  return predicted;
}

function checkFailure(
  built: BuiltWorkflow,
  record: RunRecord,
  predicted: readonly (PhaseOutcome | undefined)[],
  f: TaskFailure,
): string | undefined {
  const index = built.indexOf.get(f.task);
  if (index === undefined) return `failure names an unknown task "${f.task}"`;
  const p = PHASES.indexOf(f.phase as PhaseName);
  const slot = index * 3 + p;
  const expect = predicted[slot];
  if (expect === undefined) return `${describe(f)}: the task has no such phase`;
  const clock = record.quirk;
  const own = record.ctx.own.find(
    (r) => r.key === keyOf(slot, f.attempts) && isOrHolds(f.error, r.value, clock),
  );
  if (fromClock(f.error, clock)) return undefined; // the clock's error, alone or joined
  if (f.afterCancel) {
    // Not predicted (a cancellation depends on the whole run): what the function really did.
    if (own !== undefined) return undefined;
    return `${describe(f)} after its cancellation with ${show(f.error)}, but that attempt never rejected with that value of its own (INV-32)`;
  }
  if (expect.result !== "fail") {
    return `${describe(f)}, but that phase must ${expect.result === "ok" ? "succeed" : "block until cancelled"} (after ${expect.attempts} attempt(s))`;
  }
  if (expect.attempts !== f.attempts) {
    return `${describe(f)}, but that phase must fail after ${expect.attempts} attempt(s)`;
  }
  const task = built.spec.tasks[index]!;
  const b = record.spec.scripts[task.name]?.[f.phase]?.attempts[f.attempts - 1];
  const fn = task.phases[f.phase]!;
  const timedOut = attemptResult(b, fn) === "retryable" && b?.k !== "retryable";
  if (timedOut) {
    if (!isTaskTimeoutError(f.error))
      return `${describe(f)}: it timed out, but its error is ${show(f.error)}`;
    return undefined;
  }
  if (own === undefined) {
    const threw = record.ctx.own.find((r) => r.key === keyOf(slot, f.attempts));
    return `${describe(f)}: its error is ${show(f.error)}, not the value the function threw (${threw === undefined ? "it threw nothing" : show(threw.value)})`;
  }
  return undefined;
}

function describe(f: TaskFailure): string {
  return `task "${f.task}" ${f.phase} failed after ${f.attempts} attempt(s)`;
}

function describeFirstFail(
  built: BuiltWorkflow,
  predicted: readonly (PhaseOutcome | undefined)[],
): string {
  const slot = predicted.findIndex((p) => p !== undefined && p.result !== "ok");
  return `task "${built.names[Math.floor(slot / 3)]}" ${PHASES[slot % 3]}`;
}
