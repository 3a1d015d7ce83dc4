/**
 * spec/task-functions.md section 6: cancellation (never retried), waiting for a decided attempt
 * to settle, abandonment after abandonAfterMs (per function and the run's default), late
 * settlement, and no timer left behind. All on a VirtualClock.
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
  watchUnhandled,
} from "./helpers.js";

describe("§6 waiting for a decided attempt", () => {
  it("INV-27 a timed-out attempt that ignores its signal is waited for before its retry", async () => {
    const late = deferred();
    const fn = taskFunc((_ctx, scope) => (scope.attempt === 1 ? late.promise : "ok"), {
      timeoutMs: 100,
      retries: 1,
      initialDelayMs: 10,
    });
    const h = runOn(single({ execute: fn }), { random: () => 0 });
    await h.clock.advance(1000);
    expect(onlyAt(attemptEvents(h.events, { event: "timeout" }))).toBe(100);
    expect(retryEvents(h.events)).toEqual([]);
    expect(attemptEvents(h.events, { attempt: 2 })).toEqual([]);
    expect(h.clock.pendingTimers).toBe(0); // waiting for ever: no timer
    late.resolve();
    const report = reportOf(await h.finish());
    expect(onlyAt(attemptEvents(h.events, { attempt: 1, event: "settle" }))).toBe(1000);
    expect(onlyAt(retryEvents(h.events))).toBe(1000);
    expect(onlyAt(attemptEvents(h.events, { attempt: 2, event: "start" }))).toBe(1005);
    expect(report.abandoned).toEqual([]);
    expect(attemptProblems(h.events)).toEqual([]);
  });

  it("INV-11 INV-27 a timed-out execute that ignores its signal is waited for before its postExecute", async () => {
    const late = deferred();
    const h = runOn(
      single({
        execute: taskFunc(() => late.promise, { timeoutMs: 50 }),
        postExecute: () => {},
      }),
    );
    await h.clock.advance(500);
    expect(taskEvents(h.events, "t", "fail")).toHaveLength(1);
    expect(taskEvents(h.events, "t", "startPost")).toEqual([]);
    late.resolve();
    errorOf(await h.finish());
    expect(onlyAt(taskEvents(h.events, "t", "settle"))).toBe(500);
    expect(onlyAt(taskEvents(h.events, "t", "startPost"))).toBe(500);
  });

  it("INV-27 a late rejection after a timeout changes neither the outcome nor the error", async () => {
    const late = deferred();
    const h = runOn(single({ execute: taskFunc(() => late.promise, { timeoutMs: 10 }) }));
    await h.clock.advance(10);
    late.reject(new Error("late"));
    const error = errorOf(await h.finish());
    expect(error.failures).toHaveLength(1);
    expect((error.failures[0]!.error as Error).name).toBe("TimeoutError");
  });
});

describe("§6 abandonment", () => {
  it("INV-27 a timed-out attempt is abandoned abandonAfterMs after its timeout, then retried", async () => {
    const late = deferred();
    const fn = taskFunc((_ctx, scope) => (scope.attempt === 1 ? late.promise : "ok"), {
      timeoutMs: 100,
      retries: 1,
      initialDelayMs: 10,
      abandonAfterMs: 50,
    });
    const h = runOn(single({ execute: fn }), { random: () => 0 });
    const report = reportOf(await h.finish());
    expect(onlyAt(attemptEvents(h.events, { event: "abandon" }))).toBe(150);
    expect(onlyAt(retryEvents(h.events))).toBe(150);
    expect(onlyAt(attemptEvents(h.events, { attempt: 2, event: "start" }))).toBe(155);
    expect(report.abandoned).toEqual([{ task: "t", phase: "execute", attempts: 1 }]);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it("INV-27 an abandoned attempt's late rejection is reported as lateSettle, never an unhandled rejection", async () => {
    const late = deferred();
    let h: ReturnType<typeof runOn> | undefined;
    const unhandled = await watchUnhandled(async () => {
      const fn = taskFunc(
        async () => {
          await late.promise;
          throw new Error("too late");
        },
        { timeoutMs: 20, abandonAfterMs: 30 },
      );
      h = runOn(single({ execute: fn, postExecute: () => {} }));
      const error = errorOf(await h.finish());
      expect(error.failures[0]?.attempts).toBe(1);
      expect(h.clock.now()).toBe(50);
      await h.clock.advance(950);
      late.resolve(); // the function now rejects, after the run settled
      await h.clock.advance(0);
    });
    expect(unhandled).toEqual([]);
    const events = h!.events;
    const settledAt = events.findIndex((e) => e.type === "run" && e.to === "settled");
    const lateSettle = attemptEvents(events, { event: "lateSettle" });
    expect(lateSettle).toHaveLength(1);
    expect(lateSettle[0]).toMatchObject({
      at: 1000,
      from: "abandoned",
      to: "lateSettled",
      error: { name: "Error", message: "too late" },
    });
    expect(events.indexOf(lateSettle[0]!)).toBeGreaterThan(settledAt);
  });

  it("INV-27 a late fulfilment is reported as lateSettle without an error", async () => {
    const late = deferred();
    const h = runOn(
      single({ execute: taskFunc(() => late.promise, { timeoutMs: 5, abandonAfterMs: 5 }) }),
    );
    errorOf(await h.finish());
    late.resolve();
    await h.clock.advance(0);
    const [lateSettle] = attemptEvents(h.events, { event: "lateSettle" });
    expect(lateSettle).toBeDefined();
    expect(lateSettle?.error).toBeUndefined();
  });

  it("INV-27 RunOptions.abandonAfterMs is the default of functions that set none", async () => {
    const h = runOn(single({ execute: taskFunc(() => new Promise(() => {}), { timeoutMs: 10 }) }), {
      abandonAfterMs: 40,
    });
    const error = errorOf(await h.finish());
    expect(onlyAt(attemptEvents(h.events, { event: "abandon" }))).toBe(50);
    expect(onlyAt(taskEvents(h.events, "t", "abandon"))).toBe(50);
    expect(error.failures[0]?.attempts).toBe(1);
  });

  it("INV-27 a function's own abandonAfterMs wins over the run's", async () => {
    const fn = taskFunc(() => new Promise(() => {}), { timeoutMs: 10, abandonAfterMs: 5 });
    const h = runOn(single({ execute: fn }), { abandonAfterMs: 1000 });
    errorOf(await h.finish());
    expect(onlyAt(attemptEvents(h.events, { event: "abandon" }))).toBe(15);
  });

  it("INV-27 a function's abandonAfterMs: null waits for ever, whatever the run's default", async () => {
    const late = deferred();
    const fn = taskFunc(() => late.promise, { timeoutMs: 10, abandonAfterMs: null });
    const h = runOn(single({ execute: fn }), { abandonAfterMs: 5 });
    await h.clock.advance(100_000);
    expect(attemptEvents(h.events, { event: "abandon" })).toEqual([]);
    expect(h.outcome().status).toBe("pending");
    late.resolve();
    errorOf(await h.finish());
    expect(onlyAt(taskEvents(h.events, "t", "settle"))).toBe(100_000);
  });

  it("INV-28 an attempt that settles before abandonAfterMs clears the abandonment timer", async () => {
    const late = deferred();
    const fn = taskFunc(() => late.promise, { timeoutMs: 10, abandonAfterMs: 1000 });
    const h = runOn(single({ execute: fn }));
    await h.clock.advance(10);
    expect(h.clock.pendingTimers).toBe(1); // the abandonment timer
    late.resolve();
    await h.clock.advance(0);
    expect(h.clock.pendingTimers).toBe(0);
    errorOf(await h.finish());
    expect(attemptEvents(h.events, { event: "abandon" })).toEqual([]);
    expect(h.clock.now()).toBe(10);
  });

  it("INV-13 INV-27 a cancelled execute that ignores its signal is abandoned, and its postExecute then runs", async () => {
    const never = new Promise<void>(() => {});
    const h = runOn(
      oneLevel(
        task<Ctx>("stubborn", {
          execute: taskFunc(() => never, { abandonAfterMs: 25 }),
          postExecute: () => {},
        }),
        task<Ctx>("bad", { execute: () => Promise.reject(new Error("boom")) }),
      ),
    );
    const error = errorOf(await h.finish());
    expect(error.failures.map((f) => f.task)).toEqual(["bad"]);
    expect(onlyAt(attemptEvents(h.events, { task: "stubborn", event: "cancel" }))).toBe(0);
    expect(onlyAt(attemptEvents(h.events, { task: "stubborn", event: "abandon" }))).toBe(25);
    expect(onlyAt(taskEvents(h.events, "stubborn", "startPost"))).toBe(25);
  });

  it("INV-27 a function that rejected with a child still running is bounded by abandonAfterMs too", async () => {
    const fn = taskFunc(
      (_ctx, scope) => {
        void scope.spawn(() => new Promise(() => {}));
        return Promise.reject(new Error("parent failed"));
      },
      { abandonAfterMs: 70 },
    );
    const h = runOn(single({ execute: fn }));
    const error = errorOf(await h.finish());
    expect((error.failures[0]!.error as Error).message).toBe("parent failed");
    expect(onlyAt(attemptEvents(h.events, { event: "abandon" }))).toBe(70);
  });
});

describe("§6 cancellation is never retried", () => {
  it("INV-23 INV-28 a cancellation during a retry delay clears the timer and ends the phase at once", async () => {
    const controller = new AbortController();
    const fn = taskFunc(failing, { retries: 5, initialDelayMs: 10_000 });
    const h = runOn(single({ execute: fn, postExecute: () => {} }), {
      signal: controller.signal,
      random: () => 0,
    });
    await h.clock.advance(100);
    expect(h.clock.pendingTimers).toBe(1); // the retry delay
    controller.abort(new Error("user left"));
    expect(h.clock.pendingTimers).toBe(0);
    const cancel = taskEvents(h.events, "t", "cancel");
    const settle = taskEvents(h.events, "t", "settle");
    const delayedCancel = attemptEvents(h.events, { attempt: 2, event: "cancel" });
    expect(onlyAt(cancel)).toBe(100);
    expect(onlyAt(delayedCancel)).toBe(100);
    expect(onlyAt(settle)).toBe(100);
    // Task cancel, the delayed attempt's cancel (delayed -> ended), task settle: one step.
    expect(delayedCancel[0]).toMatchObject({ from: "delayed", to: "ended", phase: "execute" });
    expect(delayedCancel[0]!.error?.name).toBe("AbortError");
    expect(delayedCancel[0]!.seq).toBe(cancel[0]!.seq + 1);
    expect(settle[0]!.seq).toBe(cancel[0]!.seq + 2);
    await h.clock.advance(0); // no time passes
    const error = errorOf(h.outcome());
    expect(error.aborted).toBe(true);
    expect(error.failures).toEqual([]);
    expect(attemptEvents(h.events, { phase: "execute", event: "start" })).toHaveLength(1);
    expect(taskEvents(h.events, "t", "startPost")).toHaveLength(1);
    expect(h.clock.now()).toBe(100);
  });

  it("INV-23 a sibling's failure during the retry delay cancels the phase without another attempt", async () => {
    const h = runOn(
      oneLevel(
        task<Ctx>("flaky", {
          execute: taskFunc(failing, { retries: 3, initialDelayMs: 1000 }),
        }),
        task<Ctx>("bad", {
          execute: taskFunc(
            (_ctx, { signal }) =>
              untilAborted(signal).catch(() => {
                throw new Error("never");
              }),
            { timeoutMs: 200 },
          ),
        }),
      ),
      { random: () => 0 },
    );
    const error = errorOf(await h.finish());
    expect(error.failures.map((f) => f.task)).toEqual(["bad"]);
    expect(attemptEvents(h.events, { task: "flaky", event: "start" })).toHaveLength(1);
    expect(onlyAt(taskEvents(h.events, "flaky", "cancel"))).toBe(200);
    expect(onlyAt(attemptEvents(h.events, { task: "flaky", attempt: 2, event: "cancel" }))).toBe(
      200,
    );
    expect(attemptProblems(h.events)).toEqual([]);
    expect(onlyAt(taskEvents(h.events, "flaky", "settle"))).toBe(200);
    expect(h.clock.pendingTimers).toBe(0);
    expect(h.clock.now()).toBe(200);
  });

  it("INV-23 a cancelled running attempt is not retried, even with a retryable reason and attempts left", async () => {
    let judged = 0;
    const fn = taskFunc((_ctx, { signal }) => untilAborted(signal), {
      retries: 5,
      retryOn: () => {
        judged++;
        return true;
      },
    });
    const controller = new AbortController();
    const h = runOn(single({ preExecute: fn }), { signal: controller.signal });
    await h.clock.advance(10);
    controller.abort(new RetryableError("even this"));
    const error = errorOf(await h.finish());
    expect(error.aborted).toBe(true);
    expect(judged).toBe(0);
    expect(attemptEvents(h.events, { event: "start" })).toHaveLength(1);
    expect(retryEvents(h.events)).toEqual([]);
  });

  it("INV-23 a cancellation while a failed attempt settles before its retry: no retry, the phase ends when it settles", async () => {
    const late = deferred();
    const controller = new AbortController();
    const fn = taskFunc((_ctx, scope) => (scope.attempt === 1 ? late.promise : "ok"), {
      timeoutMs: 10,
      retries: 3,
      initialDelayMs: 1,
    });
    const h = runOn(single({ execute: fn }), { signal: controller.signal });
    await h.clock.advance(20); // timed out at 10, settling (ignores its signal)
    controller.abort();
    expect(onlyAt(taskEvents(h.events, "t", "cancel"))).toBe(20);
    await h.clock.advance(30);
    late.resolve();
    const error = errorOf(await h.finish());
    expect(error.aborted).toBe(true);
    expect(onlyAt(taskEvents(h.events, "t", "settle"))).toBe(50);
    // The timed-out attempt was judged worth a retry: its error is not a failure.
    expect(error.failures).toEqual([]);
    expect(taskEvents(h.events, "t", "fail")).toEqual([]);
    expect(retryEvents(h.events)).toEqual([]);
    expect(attemptEvents(h.events, { event: "start" })).toHaveLength(1);
  });

  it("INV-28 no timer is left behind when a run with timeouts, retries and abandonment settles", async () => {
    const clock = new VirtualClock();
    const h = runOn(
      oneLevel(
        task<Ctx>("a", {
          preExecute: taskFunc((_ctx, s) => (s.attempt < 2 ? untilAborted(s.signal) : 1), {
            timeoutMs: 10,
            retries: 2,
          }),
          execute: taskFunc(() => new Promise(() => {}), { timeoutMs: 5, abandonAfterMs: 5 }),
          postExecute: taskFunc(failing, { retries: 2, initialDelayMs: 3 }),
        }),
        task<Ctx>("b", {
          execute: taskFunc((_ctx, s) => untilAborted(s.signal), { timeoutMs: 1e6 }),
          postExecute: taskFunc(() => new Promise(() => {}), {
            timeoutMs: 1e6,
            abandonAfterMs: 1e6,
          }),
        }),
      ),
      { clock, random: () => 0 },
    );
    const error = errorOf(await h.finish());
    expect(error.failures.map((f) => `${f.task}.${f.phase}`)).toEqual([
      "a.execute",
      "a.postExecute",
      "b.postExecute",
    ]);
    // b's execute timeout was cleared when a's execute timed out (at 510 + 5) and cancelled it;
    // every other timeout, delay and abandonment timer had fired or been cleared by the time
    // the run settled.
    expect(h.timersAtSettle()).toBe(0);
    expect(onlyAt(taskEvents(h.events, "b", "cancel"))).toBe(515);
  });

  // Found while writing these tests: the abort listener used to cancel the attempt
  // re-entrantly while the function was still on the stack, leaving it stuck in `settling`
  // (the run never settled) or crashing with an illegal `settling --fail-->`. The engine now
  // defers an abort that arrives mid-step until the step ends.
  it("INV-13 a synchronous function that aborts the run's signal and returns: it succeeds, then the run is aborted and cleaned up", async () => {
    const controller = new AbortController();
    let postRan = false;
    const h = runOn(
      single({
        execute: () => {
          controller.abort(new Error("stop"));
        },
        postExecute: () => {
          postRan = true;
        },
      }),
      { signal: controller.signal },
    );
    const error = errorOf(await h.finish());
    expect(error.aborted).toBe(true);
    expect(error.failures).toEqual([]);
    expect(postRan).toBe(true);
    expect(attemptProblems(h.events)).toEqual([]);
    expect(attemptEvents(h.events, { phase: "execute" }).map((e) => e.event)).toEqual([
      "start",
      "succeed",
    ]);
  });

  it("INV-13 INV-14 a synchronous function that aborts the run's signal and throws: its failure and the abort are both reported", async () => {
    const controller = new AbortController();
    const thrown = new Error("and fail");
    let postRan = false;
    const h = runOn(
      single({
        execute: () => {
          controller.abort(new Error("stop"));
          throw thrown;
        },
        postExecute: () => {
          postRan = true;
        },
      }),
      { signal: controller.signal },
    );
    const error = errorOf(await h.finish());
    expect(error.aborted).toBe(true);
    expect(error.failures.map((f) => f.error)).toEqual([thrown]);
    expect(postRan).toBe(true);
    expect(attemptProblems(h.events)).toEqual([]);
  });
});

/** Always fails with a RetryableError. */
function failing(): never {
  throw new RetryableError("transient");
}
