/**
 * Own errors are reported (spec INV-14, INV-32), stated over what the functions really did
 * (the runner's {@link OwnRejection}s), so that an engine that drops a failure is caught:
 *
 * - Every function attempt (or child) that rejected with a value of its own (not its signal's
 *   reason) is a failure of its phase: the error's `failures` list it with that exact value and
 *   that attempt's number, and `afterCancel` is true exactly when its signal had aborted (a
 *   cancellation) before the engine received the rejection.
 * - The spec excuses it only when a retry was decided for it (the value retryable, attempts
 *   left, not cancelled: INV-22; a retry reported otherwise is a violation, INV-22 or INV-23),
 *   or when the engine received it after the attempt's outcome was already decided otherwise
 *   or the attempt abandoned: the trace shows that attempt's `timeout`, `fail` (an earlier
 *   error of the same attempt) or `abandon` event before it (a late settlement, section 6 of
 *   `spec/task-functions.md`). Which way the engine went is read from the trace, whose
 *   legality `checkTrace` checks; the rule here is only what must be reported.
 * - A throwing clock may join its error to the value (an `AggregateError`, spec 5.2).
 * - Functions of one same-step group (the generator's `sameTurn` scripts, called in one job)
 *   are reported in the order they were started, those that threw synchronously first (their failures are decided
 *   in that step), then those whose promise was already rejected (each received in a step of
 *   its own, in start order).
 */

import { phaseIndex } from "../../src/functions/phase-name.js";
import { isRetryable, isSdaxExecutionError, type TaskFailure } from "../../src/index.js";
import type { BuiltWorkflow } from "../build.js";
import type { RunRecord } from "../execute-run.js";
import { show } from "../hostile.js";
import { PHASES } from "../model.js";
import { isOrHolds } from "../quirk-clock.js";
import { attemptOfKey, type OwnRejection, slotOfKey } from "../run-context.js";
import type { Timeline } from "./timeline.js";
import type { Violation } from "./violation.js";

export function checkOwnErrors(built: BuiltWorkflow, tl: Timeline, record: RunRecord): Violation[] {
  const { outcome, ctx } = record;
  if (ctx.own.length === 0 || outcome.kind === "hung") return [];
  let failures: readonly TaskFailure[] = [];
  if (outcome.kind === "rejected") {
    if (!isSdaxExecutionError(outcome.error)) return []; // the oracle reports that
    failures = outcome.error.failures;
  }
  const out: Violation[] = [];
  const bySlot = new Map<number, { failure: TaskFailure; index: number }>();
  failures.forEach((failure, index) => {
    const task = built.indexOf.get(failure.task);
    if (task !== undefined) bySlot.set(task * 3 + phaseIndex(failure.phase), { failure, index });
  });
  const reported: { r: OwnRejection; index: number }[] = [];
  for (const r of ctx.own) {
    const slot = slotOfKey(r.key);
    const n = attemptOfKey(r.key);
    const name = built.names[Math.floor(slot / 3)]!;
    const phase = PHASES[slot % 3]!;
    const what = `task "${name}" ${phase} attempt ${n} rejected with its own ${show(r.value)}${r.afterAbort ? " after its signal aborted (a cancellation)" : ""}`;
    const seq = tl.decided.get(r.key);
    if (seq !== undefined && seq < r.at) {
      // Timed out, failed or abandoned already: a later error (spec/task-functions.md section 4).
      const missing = laterErrorMissing(r, tl, bySlot.get(slot)?.failure, record);
      if (missing) {
        out.push(
          violation(
            "INV-14",
            `${what} after its outcome was decided, and its phase failed with that attempt, but the failure's laterErrors do not hold it`,
          ),
        );
      }
      continue;
    }
    // INV-22: retried exactly when the value is retryable, attempts are left and the attempt
    // was not cancelled (montecarlo functions keep the default retryOn, isRetryable).
    const fn = built.spec.tasks[Math.floor(slot / 3)]!.phases[phase]!;
    const due = !r.afterAbort && isRetryable(r.value) && n <= (fn.retries ?? 0);
    if (tl.retried.has(r.key)) {
      if (!due) {
        out.push(
          violation(
            r.afterAbort ? "INV-23" : "INV-22",
            `${what}, and was retried, though ${r.afterAbort ? "a cancellation is never retried" : n > (fn.retries ?? 0) ? "no retry was left" : "the value is not retryable"}`,
          ),
        );
      }
      continue;
    }
    // A retry decided; it may never come (the phase cancelled before the attempt settled).
    if (due) continue;
    const got = bySlot.get(slot);
    if (got === undefined) {
      out.push(
        violation(
          r.afterAbort ? "INV-32" : "INV-14",
          `${what}, but ${outcome.kind === "resolved" ? "the run resolved" : "the run's failures do not list that phase"}`,
        ),
      );
      continue;
    }
    const f = got.failure;
    if (f.attempts !== n || !isOrHolds(f.error, r.value, record.quirk)) {
      out.push(
        violation(
          "INV-14",
          `${what}, but the failure listed for that phase is attempt ${f.attempts} with ${show(f.error)}`,
        ),
      );
    } else if (f.afterCancel !== r.afterAbort) {
      out.push(violation("INV-32", `${what}, but its failure has afterCancel ${f.afterCancel}`));
    } else {
      reported.push({ r, index: got.index });
    }
  }
  out.push(...sameTurnOrder(built, tl, record, reported));
  return out;
}

/**
 * A later error the report must hold and does not: one received before the attempt was
 * abandoned (after it, the `lateSettle` event alone reports it), of an attempt its phase failed
 * with (a retried attempt's are reported by events), and not the failure's own error again nor
 * an error named `AbortError` (the cancellation, INV-32).
 */
function laterErrorMissing(
  r: OwnRejection,
  tl: Timeline,
  failure: TaskFailure | undefined,
  record: RunRecord,
): boolean {
  const abandonedAt = tl.abandon.get(r.key);
  if (abandonedAt !== undefined && abandonedAt < r.at) return false;
  if (failure === undefined || failure.attempts !== attemptOfKey(r.key)) return false;
  if (isOrHolds(failure.error, r.value, record.quirk) || namedAbortError(r.value)) return false;
  return !(failure.laterErrors ?? []).some((e) => isOrHolds(e, r.value, record.quirk));
}

function namedAbortError(value: unknown): boolean {
  try {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as { name?: unknown }).name === "AbortError"
    );
  } catch {
    return false;
  }
}

/** INV-14: reported failures of one same-step group, in start order (synchronous throws first). */
function sameTurnOrder(
  built: BuiltWorkflow,
  tl: Timeline,
  record: RunRecord,
  reported: readonly { r: OwnRejection; index: number }[],
): Violation[] {
  const groups = new Map<number, { r: OwnRejection; index: number; begin: number }[]>();
  for (const item of reported) {
    const { r } = item;
    if (r.immediate === undefined || attemptOfKey(r.key) !== 1) continue;
    const slot = slotOfKey(r.key);
    const group =
      record.spec.scripts[built.names[Math.floor(slot / 3)]!]?.[PHASES[slot % 3]!]?.group;
    if (group === undefined) continue;
    const list = groups.get(group) ?? [];
    list.push({ ...item, begin: tl.begin.get(r.key) ?? -1 });
    groups.set(group, list);
  }
  const out: Violation[] = [];
  for (const all of groups.values()) {
    // Only members called in one job: a shrunk case may have split the step.
    const job = record.ctx.jobs.get(all[0]!.r.key);
    const list = all.filter((x) => record.ctx.jobs.get(x.r.key) === job);
    if (list.length < 2) continue;
    const rank = (x: { r: OwnRejection }): number => (x.r.immediate === "sync" ? 0 : 1);
    const expected = [...list].sort((a, b) => rank(a) - rank(b) || a.begin - b.begin);
    const actual = [...list].sort((a, b) => a.index - b.index);
    if (expected.every((x, i) => x === actual[i])) continue;
    const name = (x: { r: OwnRejection }): string => {
      const slot = slotOfKey(x.r.key);
      return `"${built.names[Math.floor(slot / 3)]}" ${PHASES[slot % 3]} (${x.r.immediate})`;
    };
    out.push(
      violation(
        "INV-14",
        `functions started in one step and rejecting at once are listed as ${actual.map(name).join(", ")}; in start order (synchronous throws first) they are ${expected.map(name).join(", ")}`,
      ),
    );
  }
  return out;
}

function violation(invariant: string, message: string): Violation {
  return { invariant, source: "direct", message };
}
