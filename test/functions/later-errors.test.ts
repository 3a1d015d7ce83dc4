/**
 * spec/task-functions.md section 4: the outcome is decided once, and an error of the attempt's
 * own that comes later is carried by its `settle` event, never lost.
 */
import { describe, expect, it } from "vitest";
import { checkTrace, taskFunc } from "../../src/index.js";
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
});
