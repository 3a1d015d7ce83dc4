/**
 * spec/task-functions.md sections 3, 4 and 9: the attempt state machine as runs take it, and
 * the attempt and retry events (test/spec/transition-table.test.ts compares the tables).
 */
import { describe, expect, it } from "vitest";
import { RetryableError, task, taskFunc, VirtualClock } from "../../src/index.js";
import {
  attemptEvents,
  attemptProblems,
  type Ctx,
  deferred,
  errorOf,
  oneLevel,
  onlyAt,
  reportOf,
  retryEvents,
  runOn,
  single,
  taskEvents,
  untilAborted,
} from "./helpers.js";

describe("§3-4 attempt states and transition table", () => {
  it("INV-20 a successful attempt goes idle -> running -> ended", async () => {
    const h = runOn(single({ execute: async () => {} }));
    reportOf(await h.finish());
    const seen = attemptEvents(h.events).map((e) => `${e.from}-${e.event}-${e.to}`);
    expect(seen).toEqual(["idle-start-running", "running-succeed-ended"]);
  });

  it("INV-20 INV-36 a failed attempt goes running -> settling -> ended, then the retry is attempt 2, delayed before it runs", async () => {
    const fn = taskFunc(
      (_ctx, scope) => {
        if (scope.attempt === 1) return Promise.reject(new RetryableError("once"));
      },
      { retries: 1, initialDelayMs: 10 },
    );
    const h = runOn(single({ execute: fn }), { random: () => 0 });
    reportOf(await h.finish());
    const seen = attemptEvents(h.events).map((e) => `${e.attempt}:${e.from}-${e.event}-${e.to}`);
    expect(seen).toEqual([
      "1:idle-start-running",
      "1:running-fail-settling",
      "1:settling-settle-ended",
      "2:idle-delay-delayed",
      "2:delayed-start-running",
      "2:running-succeed-ended",
    ]);
    expect(attemptProblems(h.events)).toEqual([]);
    // The retry event, then attempt 2's delay, in that step; attempt 2 starts 5 ms later.
    const retry = retryEvents(h.events)[0]!;
    const delay = attemptEvents(h.events, { attempt: 2, event: "delay" })[0]!;
    expect(delay.seq).toBe(retry.seq + 1);
    expect(delay.at).toBe(retry.at);
    expect(onlyAt(attemptEvents(h.events, { attempt: 2, event: "start" }))).toBe(retry.at + 5);
  });

  it("INV-20 a cancelled attempt goes running -> cancelling (cancel) -> ended", async () => {
    const boom = new Error("boom");
    const h = runOn(
      oneLevel(
        task<Ctx>("slow", { execute: (_ctx, { signal }) => untilAborted(signal) }),
        task<Ctx>("bad", { execute: () => Promise.reject(boom) }),
      ),
    );
    errorOf(await h.finish());
    const seen = attemptEvents(h.events, { task: "slow" }).map(
      (e) => `${e.from}-${e.event}-${e.to}`,
    );
    expect(seen).toEqual([
      "idle-start-running",
      "running-cancel-cancelling",
      "cancelling-settle-ended",
    ]);
    expect(attemptProblems(h.events)).toEqual([]);
    expect(attemptEvents(h.events, { task: "slow", event: "cancel" })[0]?.error?.name).toBe(
      "AbortError",
    );
  });

  it("INV-20 an abandoned attempt goes settling -> abandoned -> lateSettled", async () => {
    const late = deferred();
    const fn = taskFunc(() => late.promise, { timeoutMs: 5, abandonAfterMs: 5 });
    const h = runOn(single({ execute: fn }));
    errorOf(await h.finish());
    late.resolve();
    await h.clock.runAll();
    const seen = attemptEvents(h.events).map((e) => `${e.from}-${e.event}-${e.to}`);
    expect(seen).toEqual([
      "idle-start-running",
      "running-timeout-settling",
      "settling-abandon-abandoned",
      "abandoned-lateSettle-lateSettled",
    ]);
    expect(attemptProblems(h.events)).toEqual([]);
  });
});

describe("§9 events and report", () => {
  it("INV-20 attempt events carry task, phase, attempt, from, to, and `at` from the clock", async () => {
    const fn = taskFunc(
      (_ctx, scope) =>
        scope.attempt < 3 ? Promise.reject(new RetryableError(`try ${scope.attempt}`)) : "ok",
      { retries: 2, initialDelayMs: 100, backoffFactor: 2 },
    );
    const h = runOn(single({ preExecute: fn }, "job"), { random: () => 0 });
    const report = reportOf(await h.finish());
    const starts = attemptEvents(h.events, { event: "start" });
    expect(starts.map((e) => [e.task, e.phase, e.attempt, e.at])).toEqual([
      ["job", "preExecute", 1, 0],
      ["job", "preExecute", 2, 50],
      ["job", "preExecute", 3, 150],
    ]);
    const fails = attemptEvents(h.events, { event: "fail" });
    expect(fails.map((e) => e.error)).toEqual([
      { name: "RetryableError", message: "try 1" },
      { name: "RetryableError", message: "try 2" },
    ]);
    expect(report.retried).toEqual([{ task: "job", phase: "preExecute", attempts: 3 }]);
    const succeed = taskEvents(h.events, "job", "succeed");
    expect(succeed.map((e) => e.attempts)).toEqual([3]);
  });

  it("INV-25 a retry event names the failed attempt, the delay and the error, after it settled", async () => {
    const fn = taskFunc(
      (_ctx, scope) => {
        if (scope.attempt === 1) throw new RetryableError("flaky");
      },
      { retries: 1, initialDelayMs: 40 },
    );
    const h = runOn(single({ execute: fn }), { random: () => 0.5 });
    reportOf(await h.finish());
    const [retry] = retryEvents(h.events);
    expect(retry).toMatchObject({
      type: "retry",
      task: "t",
      phase: "execute",
      attempt: 1,
      delayMs: 30,
      error: { name: "RetryableError", message: "flaky" },
      at: 0,
    });
    const settle = attemptEvents(h.events, { attempt: 1, event: "settle" })[0]!;
    expect(retry!.seq).toBe(settle.seq + 1);
  });

  it("INV-21 without onEvent, retries still happen and RunReport.retried counts them", async () => {
    let calls = 0;
    const fn = taskFunc(
      () => {
        calls++;
        if (calls < 3) throw new RetryableError("again");
      },
      { retries: 5, initialDelayMs: 1 },
    );
    const clock = new VirtualClock();
    const run = single({ execute: fn }).processTasks({}, { clock });
    await clock.runAll();
    const report = await run;
    expect(calls).toBe(3);
    expect(report.retried).toEqual([{ task: "t", phase: "execute", attempts: 3 }]);
  });

  it("INV-21 TaskFailure.attempts and the task's fail event count the attempts made", async () => {
    const fn = taskFunc(
      () => {
        throw new RetryableError("always");
      },
      { retries: 3, initialDelayMs: 1 },
    );
    const h = runOn(single({ execute: fn }));
    const error = errorOf(await h.finish());
    expect(error.failures).toEqual([
      {
        task: "t",
        phase: "execute",
        error: expect.any(RetryableError),
        attempts: 4,
        afterCancel: false,
      },
    ]);
    expect(taskEvents(h.events, "t", "fail").map((e) => e.attempts)).toEqual([4]);
    expect(error.message).toContain("after 4 attempts");
  });
});
