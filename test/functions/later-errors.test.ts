/**
 * spec/task-functions.md section 4: the outcome is decided once, and every error of the
 * attempt's own that comes later is kept: carried by its `settle` event, and by the failure of
 * a phase that failed with it (INV-14).
 */
import { describe, expect, it } from "vitest";
import { type Clock, checkTrace, taskFunc, VirtualClock } from "../../src/index.js";
import { attemptEvents, deferred, errorOf, runOn, single } from "./helpers.js";

describe("INV-13 INV-33: errors after an attempt's outcome was decided", () => {
  it("a function that ignores its timeout and then rejects on its own: the timeout is the failure, its error is on settle", async () => {
    const late = deferred();
    const own = new Error("DB write failed: partial commit");
    const fn = taskFunc(() => late.promise.then(() => Promise.reject(own)), { timeoutMs: 10 });
    const processor = single({ execute: fn });
    const h = runOn(processor);
    await h.clock.advance(10);
    late.resolve();
    const error = errorOf(await h.finish());
    expect(error.failures[0]!.error).toMatchObject({ name: "TimeoutError" });
    const settle = attemptEvents(h.events, { event: "settle" });
    expect(settle).toHaveLength(1);
    expect(settle[0]!.error).toEqual({ name: "Error", message: "DB write failed: partial commit" });
    expect(checkTrace(h.events, processor)).toEqual([]);
  });

  it("the cancellation echoed back, or the decided error again, is not a later error", async () => {
    const fn = taskFunc(
      (_ctx, scope) =>
        new Promise((_, reject) => {
          scope.signal.addEventListener("abort", () => reject(scope.signal.reason));
        }),
      { timeoutMs: 10 },
    );
    const child = new Error("child failed");
    const rethrows = taskFunc(async (_ctx, scope) => {
      await scope.spawn(() => Promise.reject(child)); // fails the attempt, then rethrown
    });
    for (const phases of [{ execute: fn }, { execute: rethrows }]) {
      const processor = single(phases);
      const h = runOn(processor);
      errorOf(await h.finish());
      const settle = attemptEvents(h.events, { event: "settle" });
      expect(settle).toHaveLength(1);
      expect(settle[0]!.error).toBeUndefined();
    }
  });

  it("a child failing after the function failed: the first later error is on settle", async () => {
    const gate = deferred();
    const fn = taskFunc(async (_ctx, scope) => {
      void scope.spawn(() => gate.promise.then(() => Promise.reject(new Error("second"))));
      throw new Error("first");
    });
    const processor = single({ execute: fn });
    const h = runOn(processor);
    gate.resolve();
    const error = errorOf(await h.finish());
    expect(error.failures.map((f) => (f.error as Error).message)).toEqual(["first"]);
    expect(attemptEvents(h.events, { event: "settle" })[0]!.error).toEqual({
      name: "Error",
      message: "second",
    });
  });

  it("INV-27: once the attempt was abandoned, its lateSettle carries the first later error, even from a child that did not settle last", async () => {
    for (const failsAt of [20, 80]) {
      const childA = deferred();
      const childB = deferred();
      const fn = taskFunc(
        (_ctx, scope) => {
          void scope.spawn(() => childA.promise.then(() => Promise.reject(new Error("child A"))));
          void scope.spawn(() => childB.promise);
        },
        { timeoutMs: 10, abandonAfterMs: 50 },
      );
      const h = runOn(single({ execute: fn }));
      await h.clock.advance(failsAt); // timed out at 10, abandoned at 60
      childA.resolve(); // fails while settling (20), or once abandoned (80)
      await h.clock.advance(100 - failsAt);
      childB.resolve(); // the last to settle, fulfilled
      await h.finish();
      await h.clock.advance(1);
      const late = attemptEvents(h.events, { event: "lateSettle" });
      expect(late, `child A failing at ${failsAt}`).toHaveLength(1);
      expect(late[0]!.error).toEqual({ name: "Error", message: "child A" });
    }
  });

  it("INV-14: every child that fails after the first is in the failure's laterErrors, in errors and on settle", async () => {
    const gates = [deferred(), deferred()];
    const [first, second, third] = ["disk full", "rollback failed", "lock release failed"].map(
      (m) => new Error(m),
    );
    const fn = taskFunc((_ctx, scope) => {
      void scope.spawn(() => Promise.reject(first));
      void scope.spawn(() => gates[0]!.promise.then(() => Promise.reject(second)));
      void scope.spawn(() => gates[1]!.promise.then(() => Promise.reject(third)));
    });
    const processor = single({ execute: fn });
    const h = runOn(processor);
    await h.clock.advance(0);
    gates[0]!.resolve();
    gates[1]!.resolve();
    const error = errorOf(await h.finish());
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]!.error).toBe(first);
    expect(error.failures[0]!.laterErrors).toEqual([second, third]);
    expect(error.errors).toEqual([first, second, third]);
    expect(error.leafErrors()).toEqual([first, second, third]);
    expect(error.message).toBe(
      'sdax run failed: 1 phase failed: task "t" execute failed: Error: disk full (then 2 errors of its own: Error: rollback failed; Error: lock release failed)',
    );
    expect(attemptEvents(h.events, { event: "settle" })[0]!.error).toEqual({
      name: "AggregateError",
      message:
        "2 errors after the attempt's outcome: Error: rollback failed; Error: lock release failed",
    });
    expect(checkTrace(h.events, processor)).toEqual([]);
  });

  it("INV-14: a function that ignores its timeout, then its child and itself fail: both are later errors, a rethrown one counted once", async () => {
    const child = new Error("connection reset");
    const own = new Error("half-written file");
    const rethrowing = (late: Promise<void>) =>
      taskFunc(
        async (_ctx, scope) => {
          const spawned = scope.spawn(() => late.then(() => Promise.reject(child)));
          await spawned.catch((e: unknown) => Promise.reject(e)); // rethrows the child's error
        },
        { timeoutMs: 10 },
      );
    const failing = (late: Promise<void>) =>
      taskFunc(
        async (_ctx, scope) => {
          void scope.spawn(() => late.then(() => Promise.reject(child)));
          await late;
          throw own;
        },
        { timeoutMs: 10 },
      );
    for (const [make, want] of [
      [rethrowing, [child]],
      [failing, [own, child]], // in the order they came: the function's rejection first
    ] as const) {
      const late = deferred();
      const fn = make(late.promise);
      const processor = single({ preExecute: fn, postExecute: () => {} });
      const h = runOn(processor);
      await h.clock.advance(10);
      late.resolve();
      const error = errorOf(await h.finish());
      expect(error.failures[0]!.error).toMatchObject({ name: "TimeoutError" });
      expect(error.failures[0]!.laterErrors).toEqual(want);
      expect(checkTrace(h.events, processor)).toEqual([]);
    }
  });

  it("INV-14: a retried attempt's later error is on its settle, not in the failure of the attempt after it", async () => {
    const late = deferred();
    const own = new Error("late write failed");
    let calls = 0;
    const fn = taskFunc(
      () => {
        calls++;
        return calls === 1
          ? late.promise.then(() => Promise.reject(own))
          : Promise.reject(new Error("second attempt failed"));
      },
      { timeoutMs: 10, retries: 1, initialDelayMs: 0, retryOn: () => true },
    );
    const processor = single({ execute: fn });
    const h = runOn(processor);
    await h.clock.advance(10); // attempt 1 times out; its retry waits for it to settle
    late.resolve();
    const error = errorOf(await h.finish());
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]!.attempts).toBe(2);
    expect(error.failures[0]!.laterErrors).toBeUndefined();
    const settled = attemptEvents(h.events, { event: "settle" });
    expect(settled[0]!.attempt).toBe(1);
    expect(settled[0]!.error).toEqual({ name: "Error", message: "late write failed" });
    expect(checkTrace(h.events, processor)).toEqual([]);
  });

  it("INV-14: an error the function rethrows is not a later error, even once retryOn's error was joined to the attempt's", async () => {
    const child = new Error("child failed");
    const fn = taskFunc(
      async (_ctx, scope) => {
        await scope.spawn(() => Promise.reject(child)); // the child fails the attempt; rethrown
      },
      {
        retries: 2,
        retryOn: () => {
          throw new Error("retryOn bug");
        },
      },
    );
    const h = runOn(single({ execute: fn }));
    const error = errorOf(await h.finish());
    expect(error.failures[0]!.laterErrors).toBeUndefined();
    expect(error.leafErrors().map((e) => (e as Error).message)).toEqual([
      "child failed",
      "retryOn bug",
    ]);
  });

  it("INV-14: two children rejecting with equal strings are two later errors", async () => {
    const gate = deferred();
    const fn = taskFunc(async (_ctx, scope) => {
      void scope.spawn(() => gate.promise.then(() => Promise.reject("boom")));
      void scope.spawn(() => gate.promise.then(() => Promise.reject("boom")));
      throw new Error("first");
    });
    const h = runOn(single({ execute: fn }));
    gate.resolve();
    const error = errorOf(await h.finish());
    expect(error.failures[0]!.laterErrors).toEqual(["boom", "boom"]);
  });

  it("INV-14: when the clock cannot set a retry's delay, the phase fails with that attempt, its later errors included", async () => {
    const late = deferred();
    const child = new Error("late child");
    const clock = new VirtualClock();
    let timers = 0;
    const runClock: Clock = {
      now: () => clock.now(),
      setTimeout: (callback, ms) => {
        if (++timers === 2) throw new Error("clock down"); // the retry's delay
        return clock.setTimeout(callback, ms);
      },
      clearTimeout: (handle) => clock.clearTimeout(handle),
    };
    const fn = taskFunc(
      (_ctx, scope) => {
        void scope.spawn(() => late.promise.then(() => Promise.reject(child)));
        return Promise.reject(new Error("first"));
      },
      { timeoutMs: 10, retries: 1, initialDelayMs: 7, retryOn: () => true },
    );
    const h = runOn(single({ execute: fn }), { clock, runClock });
    await clock.advance(0);
    late.resolve(); // the attempt settles, and only then is its retry scheduled
    const error = errorOf(await h.finish());
    expect(error.failures).toHaveLength(1);
    expect((error.failures[0]!.error as Error).message).toContain(
      "the clock threw setting the delay after attempt 1",
    );
    expect(error.failures[0]!.laterErrors).toEqual([child]);
  });
});
