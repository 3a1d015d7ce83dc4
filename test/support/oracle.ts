/**
 * An oracle written from spec/lifecycle.md and spec/task-functions.md, not from the engine:
 * given a workflow model and what the functions themselves saw (their calls, how each ended,
 * whether and why its signal aborted), it says which phases must have run, in which order,
 * which failures the run must report and how it must end. It never reads lifecycle events.
 *
 * "What happened" that the model cannot predict (which preExecute won a race against a
 * cancellation) is taken from the calls: a preExecute *succeeded* when its last attempt
 * resolved and its signal never aborted (a successful attempt's signal never aborts, INV-30;
 * a cancelled or timed-out one always does).
 */
import {
  isSdaxExecutionError,
  type SdaxExecutionError,
  TaskTimeoutError,
} from "../../src/index.js";
import type { Call, RunResult } from "./executor.js";
import { taskName } from "./executor.js";
import {
  dependenciesOf,
  dependentsOf,
  limitOf,
  PHASE_KEYS,
  type PhaseKey,
  type PhaseShape,
  type Scenario,
} from "./model.js";

const CANCELLED = "sdax run cancelled";

/**
 * How the engine must have judged one attempt, from the function's point of view.
 * `failedAfterCancel`: cancelled, then rejected with its own error (INV-32).
 */
type Verdict = "succeeded" | "failed" | "timedOut" | "cancelled" | "failedAfterCancel" | "running";

function verdict(c: Call): Verdict {
  const v = decidedBy(c);
  return v === "cancelled" && c.outcome === "rejected" && c.own === true ? "failedAfterCancel" : v;
}

function decidedBy(c: Call): Verdict {
  const reason = c.abortReason;
  const abortedFirst =
    reason !== undefined && (c.endSeq === undefined || (c.abortSeq ?? 0) < c.endSeq);
  if (reason !== undefined && (abortedFirst || c.outcome === "resolved")) {
    // The signal aborted before the function ended, or after it resolved: the abort decided.
    if (reason.name === "TimeoutError") return "timedOut";
    if (reason.message.startsWith(CANCELLED)) return "cancelled";
  }
  if (reason?.message.startsWith(CANCELLED)) return "cancelled";
  if (c.outcome === "resolved") return "succeeded";
  if (c.outcome === "rejected") return "failed";
  return "running";
}

/** Does a run's `abandonAfterMs` (or the phase's own) let the engine abandon this phase? */
function abandonable(shape: PhaseShape, runDefault: number | null | undefined): boolean {
  const own = shape.abandonAfterMs;
  if (own !== undefined) return own !== null;
  return runDefault !== undefined && runDefault !== null;
}

/** The oracle's complaints about one run: empty when the run is what the spec requires. */
export function judge(scenario: Scenario, result: RunResult): string[] {
  const problems: string[] = [];
  const fail = (id: string, message: string) => problems.push(`${id}: ${message}`);
  const { shape } = scenario;
  const { model } = result;
  const n = shape.tasks.length;
  const deps = dependenciesOf(shape);
  const dependents = dependentsOf(deps);
  const name = (i: number) => taskName(i);
  const has = (i: number, k: PhaseKey) => shape.tasks[i]![k] !== undefined;

  // Calls per task and phase, by attempt.
  const calls = new Map<string, Call[]>();
  for (const c of result.ctx.calls) {
    if (c.run !== result.run) fail("INV-15", `run ${result.run} recorded a call of run ${c.run}`);
    const key = `${c.task}.${c.phase}`;
    const list = calls.get(key) ?? [];
    list.push(c);
    calls.set(key, list);
  }
  for (const [key, value] of Object.entries(result.ctx.writes)) {
    if (value !== result.run)
      fail("INV-15", `run ${result.run}'s context was written by run ${value} (${key})`);
  }
  const of = (i: number, k: PhaseKey): Call[] => calls.get(`${i}.${k}`) ?? [];
  const last = (i: number, k: PhaseKey): Call | undefined => of(i, k).at(-1);
  const called = (i: number, k: PhaseKey) => of(i, k).length > 0;

  if (!result.settled) {
    fail(
      "INV-13",
      "the run never settled although every function eventually settles or is cancelled",
    );
    return problems;
  }

  // Attempts: 1, 2, ... at most retries + 1 (INV-16, INV-20, INV-21).
  for (let i = 0; i < n; i++) {
    for (const k of PHASE_KEYS) {
      const list = of(i, k);
      if (list.length > 0 && !has(i, k))
        fail("INV-16", `${name(i)}.${k} ran but the task has no such phase`);
      list.forEach((c, j) => {
        if (c.attempt !== j + 1)
          fail("INV-20", `${name(i)}.${k} call ${j + 1} has attempt ${c.attempt}`);
      });
      const s = shape.tasks[i]![k];
      if (s !== undefined && list.length > s.retries + 1) {
        fail("INV-21", `${name(i)}.${k} ran ${list.length} attempts with retries ${s.retries}`);
      }
    }
  }

  // What the spec makes of what happened.
  const abortedAtStart = model.abort.kind === "beforeStart";
  const preSucceeded = (i: number): boolean => {
    const c = last(i, "pre");
    return c !== undefined && verdict(c) === "succeeded" && c.abortReason === undefined;
  };
  const enteredMemo = new Map<number, boolean>();
  const completedPre = (i: number): boolean => (has(i, "pre") ? preSucceeded(i) : entered(i));
  function entered(i: number): boolean {
    const known = enteredMemo.get(i);
    if (known !== undefined) return known;
    const value = !abortedAtStart && deps[i]!.every(completedPre);
    enteredMemo.set(i, value);
    return value;
  }

  // INV-2: a preExecute starts only once every dependency completed preExecute, after it did.
  for (let i = 0; i < n; i++) {
    if (!called(i, "pre")) continue;
    if (!entered(i)) {
      fail(
        "INV-2",
        `${name(i)}.pre ran but not every dependency completed preExecute successfully`,
      );
      continue;
    }
    const first = of(i, "pre")[0]!.seq;
    for (const d of deps[i]!) {
      const end = last(d, "pre")?.endSeq;
      if (has(d, "pre") && end !== undefined && end > first) {
        fail("INV-2", `${name(i)}.pre started before its dependency ${name(d)}.pre ended`);
      }
    }
  }

  // INV-17: aborted before start: nothing runs.
  if (abortedAtStart && result.ctx.calls.length > 0) {
    fail(
      "INV-17",
      `the run was aborted before it started but ${result.ctx.calls.length} functions ran`,
    );
  }

  // INV-5: execute runs iff every task was entered, every preExecute succeeded, and the signal
  // did not abort before the last preExecute ended (then the run was failing when it did).
  let lastPreEnd = -1;
  for (let i = 0; i < n; i++) lastPreEnd = Math.max(lastPreEnd, last(i, "pre")?.endSeq ?? -1);
  const abortedBeforeExecute = result.abortSeq !== undefined && result.abortSeq < lastPreEnd;
  const allReady =
    !abortedAtStart &&
    !abortedBeforeExecute &&
    shape.tasks.every((_, i) => entered(i) && (!has(i, "pre") || preSucceeded(i)));
  // The run's deadline aborts it like its signal, at a time the model does not follow (INV-40);
  // under a concurrency limit an execute still queued when the run fails never starts (INV-39).
  const error = result.error;
  const cause = error !== undefined ? (error as { cause?: unknown }).cause : undefined;
  const byDeadline = isRunDeadline(cause);
  if (byDeadline && model.timeoutMs === undefined) {
    fail("INV-40", "the run was aborted by a deadline, but it has none");
  }
  if (byDeadline && isRunDeadline(cause) && cause.timeoutMs !== model.timeoutMs) {
    fail(
      "INV-40",
      `the deadline's error says ${cause.timeoutMs} ms; the run's is ${model.timeoutMs}`,
    );
  }
  const limit = limitOf(scenario, model);
  const executesMayBeLeft =
    byDeadline || (limit !== Number.POSITIVE_INFINITY && error !== undefined);
  const anyExec = shape.tasks.some((_, i) => called(i, "exec"));
  if (anyExec && !allReady) {
    fail(
      "INV-5",
      "an execute ran although not every preExecute succeeded (or the run was aborted first)",
    );
  }
  if (allReady) {
    for (let i = 0; i < n; i++) {
      if (!has(i, "exec")) continue;
      if (!called(i, "exec")) {
        if (!executesMayBeLeft)
          fail("INV-5", `${name(i)}.exec never ran although every preExecute succeeded`);
      } else if (of(i, "exec")[0]!.seq < lastPreEnd) {
        fail("INV-5", `${name(i)}.exec started before every preExecute ended`);
      }
    }
  }

  // INV-7, INV-8, INV-9: which postExecutes run.
  const postDue = (i: number): boolean =>
    has(i, "post") && (has(i, "pre") ? called(i, "pre") : entered(i));
  for (let i = 0; i < n; i++) {
    const due = postDue(i);
    const ran = called(i, "post");
    if (due && !ran) {
      fail(
        has(i, "pre") ? "INV-7" : "INV-8",
        `${name(i)}.post never ran although ${has(i, "pre") ? "its preExecute started" : "the task was entered"}`,
      );
    }
    if (!due && ran)
      fail(
        has(i, "pre") ? "INV-9" : "INV-8",
        `${name(i)}.post ran although the task was never entered or skipped`,
      );
  }

  // INV-10: reverse dependency order, transitively; INV-11: own phases first.
  const postEnd = (i: number): number | undefined => {
    const c = last(i, "post");
    return c?.endSeq;
  };
  for (let i = 0; i < n; i++) {
    if (!called(i, "post")) continue;
    const start = of(i, "post")[0]!.seq;
    const seen = new Set<number>();
    const work = [...dependents[i]!];
    while (work.length > 0) {
      const j = work.pop()!;
      if (seen.has(j)) continue;
      seen.add(j);
      work.push(...dependents[j]!);
      if (!called(j, "post")) continue;
      const end = postEnd(j);
      const jShape = shape.tasks[j]!.post!;
      if (end === undefined || end > start) {
        if (abandonable(jShape, model.abandonAfterMs)) continue; // it may have been abandoned
        fail(
          "INV-10",
          `${name(i)}.post started before ${name(j)}.post (which depends on it) ended`,
        );
      }
    }
    for (const k of ["pre", "exec"] as const) {
      const c = last(i, k);
      if (c === undefined) continue;
      if (c.endSeq === undefined || c.endSeq > start) {
        if (abandonable(shape.tasks[i]![k]!, model.abandonAfterMs)) continue;
        fail("INV-11", `${name(i)}.post started while its own ${k} was still running`);
      }
    }
  }

  // INV-12: a postExecute is never cancelled.
  for (let i = 0; i < n; i++) {
    for (const c of of(i, "post")) {
      if (c.abortReason?.message.startsWith(CANCELLED))
        fail("INV-12", `${name(i)}.post attempt ${c.attempt} was cancelled`);
    }
  }

  // INV-14, INV-32: the failures reported are exactly the failed phases, a cancelled function
  // that then rejected with its own error included (unless it may have been abandoned first:
  // then it may be a late settlement instead), each with the very value it threw.
  const predicted: string[] = [];
  const excused = new Set<string>();
  const thrownBy = new Map<string, Call>();
  for (let i = 0; i < n; i++) {
    for (const k of PHASE_KEYS) {
      const c = last(i, k);
      const s = shape.tasks[i]![k];
      if (c === undefined || s === undefined) continue;
      const v = verdict(c);
      if (v !== "failed" && v !== "timedOut" && v !== "failedAfterCancel") continue;
      const key = `${name(i)}.${k}#${c.attempt}${v === "failedAfterCancel" ? " after cancel" : ""}`;
      if (v === "failedAfterCancel") {
        if (abandonable(s, model.abandonAfterMs)) {
          excused.add(key);
          thrownBy.set(key, c);
          continue;
        }
      } else {
        const behaviour = model.behaviours[i]![k]!;
        const retryable = v === "timedOut" || behaviour.kind === "flaky";
        if (retryable && c.attempt <= s.retries) continue; // a retry was due: the phase was cancelled
      }
      predicted.push(key);
      if (v !== "timedOut") thrownBy.set(key, c);
    }
  }
  const reported: string[] = [];
  if (error !== undefined) {
    if (!isSdaxExecutionError(error)) {
      fail("INV-14", `the run rejected with ${String(error)}, not an SdaxExecutionError`);
      return problems;
    }
    const short = { preExecute: "pre", execute: "exec", postExecute: "post" } as const;
    for (const f of (error as SdaxExecutionError).failures) {
      const key = `${f.task}.${short[f.phase]}#${f.attempts}${f.afterCancel ? " after cancel" : ""}`;
      const call = thrownBy.get(key);
      if (call?.thrown !== undefined && f.error !== call.thrown) {
        fail("INV-14", `${key} is reported with an error other than the value its function threw`);
      }
      if (excused.has(key)) continue; // it was not abandoned first: reported, as it must be
      reported.push(key);
    }
  }
  const sort = (a: string[]) => [...a].sort().join(", ");
  if (sort(predicted) !== sort(reported)) {
    fail(
      "INV-14",
      `failures reported [${sort(reported)}], the failed phases are [${sort(predicted)}]`,
    );
  }
  const abortedInTime =
    result.abortSeq !== undefined &&
    (result.settledSeq === undefined || result.abortSeq < result.settledSeq);
  const bySignal = cause !== undefined && cause === result.abortReason;
  const aborted = bySignal || byDeadline;
  if (bySignal && !abortedInTime)
    fail(
      "INV-14",
      "the error names the abort as its cause, but the signal aborted after the run settled",
    );
  if (abortedAtStart && !bySignal)
    fail("INV-17", "a run aborted before it started must reject with the abort as cause");
  if ((error !== undefined) !== (reported.length > 0 || aborted)) {
    fail(
      "INV-14",
      `the run ${error === undefined ? "resolved" : "rejected"} with ${reported.length} failures${aborted ? ", aborted" : ""}`,
    );
  }
  if (error === undefined) {
    // INV-5, INV-7: a successful run ran every phase of every task.
    for (let i = 0; i < n; i++) {
      for (const k of PHASE_KEYS) {
        if (has(i, k) && !called(i, k))
          fail("INV-14", `the run succeeded but ${name(i)}.${k} never ran`);
      }
    }
  }

  checkSlots(scenario, result, problems);

  // INV-13: when the run settled, every function had ended, unless it could be abandoned.
  for (const c of result.ctx.calls) {
    const ended =
      c.endSeq !== undefined && result.settledSeq !== undefined && c.endSeq < result.settledSeq;
    if (ended) continue;
    if (abandonable(shape.tasks[c.task]![c.phase]!, model.abandonAfterMs)) continue;
    fail(
      "INV-13",
      `the run settled while ${name(c.task)}.${c.phase} attempt ${c.attempt} was still running`,
    );
  }
  return problems;
}

/** True for the error a run's deadline aborts it with (INV-40): a `TaskTimeoutError` of no task. */
function isRunDeadline(value: unknown): value is TaskTimeoutError {
  try {
    return value instanceof TaskTimeoutError && value.task === undefined;
  } catch {
    return false; // a revoked proxy given as the signal's reason
  }
}

/**
 * The concurrency limit seen from the functions (INV-37, INV-38): a function runs only while
 * its phase holds a slot, so at no point are more functions running than the limit, counting
 * only phases that cannot be abandoned (an abandoned function gives its slot back while it may
 * still run). And executes start in the order their tasks were added: the first ones at once,
 * the rest as slots free up, oldest first.
 */
function checkSlots(scenario: Scenario, result: RunResult, problems: string[]): void {
  const { shape } = scenario;
  const model = result.model;
  const limit = limitOf(scenario, model);
  const calls = result.ctx.calls.filter((c) => c.run === result.run);
  if (limit !== Number.POSITIVE_INFINITY) {
    const moves: { seq: number; delta: number; call: Call }[] = [];
    for (const c of calls) {
      if (abandonable(shape.tasks[c.task]![c.phase]!, model.abandonAfterMs)) continue;
      moves.push({ seq: c.seq, delta: 1, call: c });
      if (c.endSeq !== undefined) moves.push({ seq: c.endSeq, delta: -1, call: c });
    }
    moves.sort((a, b) => a.seq - b.seq || a.delta - b.delta);
    let running = 0;
    for (const m of moves) {
      running += m.delta;
      if (running > limit) {
        problems.push(
          `INV-37: ${running} functions were running at once when ${taskName(m.call.task)}.${m.call.phase} attempt ${m.call.attempt} started; the limit is ${limit}`,
        );
        break;
      }
    }
  }
  const addedAt = shape.mode === "graph" ? inverse(shape.order) : shape.tasks.map((_, i) => i);
  const execs = calls
    .filter((c) => c.phase === "exec" && c.attempt === 1)
    .sort((a, b) => a.seq - b.seq);
  for (let k = 1; k < execs.length; k++) {
    const a = execs[k - 1]!;
    const b = execs[k]!;
    if (addedAt[a.task]! > addedAt[b.task]!) {
      problems.push(
        `INV-38: ${taskName(b.task)}.exec started after ${taskName(a.task)}.exec, which was added later`,
      );
    }
  }
}

function inverse(order: readonly number[]): number[] {
  const out: number[] = [];
  order.forEach((task, k) => {
    out[task] = k;
  });
  return out;
}
