/**
 * spec/task-functions.md section 5: calling the function (synchronous results, thenables),
 * per-attempt timeouts on a VirtualClock, and section 5.1: the scope and its lazy signal.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  isTaskTimeoutError,
  type PhaseName,
  RetryableError,
  TaskTimeoutError,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import {
  attemptEvents,
  type Ctx,
  deferred,
  errorOf,
  oneLevel,
  onlyAt,
  reportOf,
  runOn,
  single,
  taskEvents,
  untilAborted,
} from "./helpers.js";

describe("§5 synchronous functions", () => {
  it("INV-31 a plain return value succeeds in the step it started: no timer, same `at`, consecutive seq", async () => {
    const clock = new VirtualClock(500);
    const fn = taskFunc(() => 42, { timeoutMs: 100 });
    const h = runOn(single({ execute: fn }), { clock });
    // The whole run is synchronous: nothing was left for the clock.
    expect(clock.pendingTimers).toBe(0);
    reportOf(await h.finish());
    const [start, succeed] = attemptEvents(h.events);
    expect(start).toMatchObject({ event: "start", at: 500 });
    expect(succeed).toMatchObject({ event: "succeed", at: 500, seq: start!.seq + 1 });
  });

  it("INV-31 a synchronous throw fails in the step it started: fail and settle at once", async () => {
    const boom = new Error("sync boom");
    const h = runOn(
      single({
        execute: () => {
          throw boom;
        },
      }),
    );
    expect(h.clock.pendingTimers).toBe(0);
    const error = errorOf(await h.finish());
    expect(error.failures[0]?.error).toBe(boom);
    const seen = attemptEvents(h.events);
    expect(seen.map((e) => e.event)).toEqual(["start", "fail", "settle"]);
    expect(seen.map((e) => e.seq - seen[0]!.seq)).toEqual([0, 1, 2]);
    expect(new Set(seen.map((e) => e.at)).size).toBe(1);
  });

  it.each([
    ["a string", "boom"],
    ["undefined", undefined],
    ["null", null],
    ["a number", 7],
    ["a plain object", { code: "X" }],
  ])("a synchronous throw of %s is a failure, kept as thrown", async (_label, thrown) => {
    const h = runOn(
      single({
        execute: () => {
          throw thrown;
        },
      }),
    );
    const error = errorOf(await h.finish());
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]?.error).toBe(thrown);
    expect(error.failures[0]?.attempts).toBe(1);
  });

  it("INV-31 a synchronous RetryableError is retried like a rejection", async () => {
    let calls = 0;
    const fn = taskFunc(
      () => {
        calls++;
        if (calls === 1) throw new RetryableError("sync");
        return "done";
      },
      { retries: 1, initialDelayMs: 10 },
    );
    const h = runOn(single({ execute: fn }), { random: () => 0 });
    const report = reportOf(await h.finish());
    expect(calls).toBe(2);
    expect(report.retried).toEqual([{ task: "t", phase: "execute", attempts: 2 }]);
    expect(onlyAt(attemptEvents(h.events, { attempt: 2, event: "start" }))).toBe(5);
  });

  it("INV-31 synchronous phases of a whole run complete without the clock", async () => {
    const order: string[] = [];
    const h = runOn(
      single({
        preExecute: () => order.push("pre"),
        execute: () => order.push("exec"),
        postExecute: () => order.push("post"),
      }),
    );
    expect(order).toEqual(["pre", "exec", "post"]);
    expect(h.clock.pendingTimers).toBe(0);
    reportOf(await h.finish());
  });
});

describe("§5 thenables", () => {
  it("a returned thenable is awaited like a promise", async () => {
    let resolveIt: (v: unknown) => void = () => {};
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test is about
      then(onFulfilled: (v: unknown) => void) {
        resolveIt = onFulfilled;
      },
    };
    const h = runOn(single({ execute: () => thenable }));
    await h.clock.runAll();
    expect(h.outcome().status).toBe("pending");
    resolveIt("value");
    reportOf(await h.finish());
  });

  it("a thenable that rejects is a failure with its reason", async () => {
    const reason = new Error("thenable says no");
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test is about
      then(_ok: unknown, onRejected: (e: unknown) => void) {
        onRejected(reason);
      },
    };
    const error = errorOf(await runOn(single({ execute: () => thenable })).finish());
    expect(error.failures[0]?.error).toBe(reason);
  });

  it("INV-26 a thenable that never settles times out at exactly timeoutMs (and is abandoned)", async () => {
    // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test is about
    const never = { then() {} };
    const fn = taskFunc(() => never, { timeoutMs: 300, abandonAfterMs: 20 });
    const h = runOn(single({ execute: fn }), { clock: new VirtualClock(1000) });
    const error = errorOf(await h.finish());
    expect(isTaskTimeoutError(error.failures[0]?.error)).toBe(true);
    expect(onlyAt(attemptEvents(h.events, { event: "timeout" }))).toBe(1300);
    expect(onlyAt(attemptEvents(h.events, { event: "abandon" }))).toBe(1320);
    expect(h.clock.pendingTimers).toBe(0);
  });

  // Regression guard for an engine bug found by this suite.
  it("INV-7 a returned value whose `then` getter throws is a failure; postExecute still runs", async () => {
    const getterError = new Error("then getter");
    let postRan = false;
    const hostile = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test is about
      get then(): never {
        throw getterError;
      },
    };
    const h = runOn(
      single({
        execute: () => hostile,
        postExecute: () => {
          postRan = true;
        },
      }),
    );
    const error = errorOf(await h.finish());
    expect(error.failures[0]?.error).toBe(getterError);
    expect(postRan).toBe(true);
  });

  it("INV-7 a native promise is observed as `await` would: an own `then` that throws is not called", async () => {
    const resolved = Promise.resolve("value");
    // biome-ignore lint/suspicious/noThenProperty: an own `then` on a promise is what this test is about
    Object.defineProperty(resolved, "then", {
      value: () => {
        throw new Error("own then");
      },
    });
    let postRan = false;
    const h = runOn(
      single({
        execute: () => resolved,
        postExecute: () => {
          postRan = true;
        },
      }),
    );
    reportOf(await h.finish());
    expect(postRan).toBe(true);
  });

  it("INV-7 a promise subclass that cannot be observed fails the attempt; the run is not crashed", async () => {
    const broken = new Error("species");
    class Odd<T> extends Promise<T> {
      static override get [Symbol.species](): never {
        throw broken;
      }
    }
    let postRan = false;
    const h = runOn(
      single({
        execute: () => Odd.resolve(1),
        postExecute: () => {
          postRan = true;
        },
      }),
    );
    const error = errorOf(await h.finish());
    expect(error.failures[0]?.error).toBe(broken);
    expect(postRan).toBe(true);
  });
});

describe("§5 timeouts", () => {
  it("INV-26 an attempt times out at exactly timeoutMs of virtual time, not a tick earlier", async () => {
    const fn = taskFunc((_ctx, { signal }) => untilAborted(signal), { timeoutMs: 250 });
    const h = runOn(single({ execute: fn }), { clock: new VirtualClock(1000) });
    await h.clock.advance(249.999);
    expect(attemptEvents(h.events, { event: "timeout" })).toEqual([]);
    await h.clock.advance(0.001);
    const start = onlyAt(attemptEvents(h.events, { event: "start" }));
    const timeout = onlyAt(attemptEvents(h.events, { event: "timeout" }));
    expect(start).toBe(1000);
    expect(timeout).toBe(1250);
    const error = errorOf(await h.finish());
    expect(error.failures[0]).toMatchObject({
      task: "t",
      phase: "execute",
      attempts: 1,
      afterCancel: false,
    });
  });

  it("INV-26 the error is a TaskTimeoutError named TimeoutError, and the signal aborts with that same object", async () => {
    let seen: AbortSignal | undefined;
    const fn = taskFunc(
      (_ctx, scope) => {
        seen = scope.signal;
        return untilAborted(scope.signal);
      },
      { timeoutMs: 40 },
    );
    const h = runOn(single({ preExecute: fn }, "loader"));
    const error = errorOf(await h.finish());
    const timeout = error.failures[0]?.error;
    expect(timeout).toBeInstanceOf(TaskTimeoutError);
    expect(isTaskTimeoutError(timeout)).toBe(true);
    expect(timeout).toMatchObject({
      name: "TimeoutError",
      task: "loader",
      phase: "preExecute",
      attempt: 1,
      timeoutMs: 40,
      message: 'task "loader" preExecute attempt 1 timed out after 40 ms',
    });
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(timeout);
    const event = attemptEvents(h.events, { event: "timeout" })[0];
    expect(event?.error).toEqual({ name: "TimeoutError", message: (timeout as Error).message });
  });

  it("INV-26 an attempt that ends before its timeout clears the timer and never times out", async () => {
    const done = deferred();
    const fn = taskFunc(() => done.promise, { timeoutMs: 100 });
    const h = runOn(single({ execute: fn }));
    await h.clock.advance(99);
    expect(h.clock.pendingTimers).toBe(1);
    done.resolve();
    await h.clock.advance(0);
    expect(h.clock.pendingTimers).toBe(0);
    reportOf(await h.finish());
    expect(attemptEvents(h.events, { event: "timeout" })).toEqual([]);
  });

  it("INV-26 without timeoutMs an attempt never times out, however long it takes", async () => {
    const done = deferred();
    const h = runOn(single({ execute: () => done.promise }));
    await h.clock.advance(10 ** 9);
    expect(h.clock.pendingTimers).toBe(0);
    expect(h.outcome().status).toBe("pending");
    done.resolve();
    reportOf(await h.finish());
  });

  it("INV-26 timeoutMs: 0 times out any attempt that does not end synchronously", async () => {
    const fn = taskFunc((_ctx, { signal }) => untilAborted(signal), { timeoutMs: 0 });
    const sync = taskFunc(() => "now", { timeoutMs: 0 });
    const h = runOn(
      oneLevel(task<Ctx>("async", { postExecute: fn }), task<Ctx>("sync", { postExecute: sync })),
      { clock: new VirtualClock(7) },
    );
    const error = errorOf(await h.finish());
    expect(error.failures.map((f) => f.task)).toEqual(["async"]);
    expect(onlyAt(attemptEvents(h.events, { event: "timeout" }))).toBe(7);
  });

  it("INV-26 each attempt has its own timeout, measured from its own start", async () => {
    const fn = taskFunc((_ctx, { signal }) => untilAborted(signal), {
      timeoutMs: 100,
      retries: 2,
      initialDelayMs: 1000,
      backoffFactor: 1,
    });
    const h = runOn(single({ execute: fn }), { random: () => 0 });
    errorOf(await h.finish());
    const starts = attemptEvents(h.events, { event: "start" }).map((e) => e.at);
    const timeouts = attemptEvents(h.events, { event: "timeout" }).map((e) => e.at);
    expect(starts).toEqual([0, 600, 1200]);
    expect(timeouts).toEqual([100, 700, 1300]);
  });

  it.each(["preExecute", "execute", "postExecute"] as PhaseName[])(
    "INV-12 INV-26 a timeout in %s aborts only that attempt's signal",
    async (phase) => {
      const fn = taskFunc((_ctx, { signal }) => untilAborted(signal), { timeoutMs: 30 });
      const h = runOn(single({ [phase]: fn }));
      const error = errorOf(await h.finish());
      expect(error.failures).toHaveLength(1);
      expect(error.failures[0]).toMatchObject({ phase, attempts: 1, afterCancel: false });
      expect(onlyAt(attemptEvents(h.events, { phase, event: "timeout" }))).toBe(30);
    },
  );

  it("INV-26 the timeout covers children: a function that returned but left a child running times out", async () => {
    const fn = taskFunc(
      (_ctx, scope) => {
        void scope.spawn((signal) => untilAborted(signal));
        return "returned";
      },
      { timeoutMs: 60 },
    );
    const h = runOn(single({ execute: fn }));
    const error = errorOf(await h.finish());
    expect(isTaskTimeoutError(error.failures[0]?.error)).toBe(true);
    expect(onlyAt(attemptEvents(h.events, { event: "timeout" }))).toBe(60);
  });

  it("INV-4 INV-26 a timeout of one execute cancels the others with an AbortError", async () => {
    let otherReason: unknown;
    const h = runOn(
      oneLevel(
        task<Ctx>("slow", {
          execute: taskFunc((_ctx, { signal }) => untilAborted(signal), { timeoutMs: 50 }),
        }),
        task<Ctx>("other", {
          execute: (_ctx, { signal }) =>
            untilAborted(signal).catch((reason: unknown) => {
              otherReason = reason;
              throw reason;
            }),
        }),
      ),
    );
    const error = errorOf(await h.finish());
    expect(error.failures.map((f) => f.task)).toEqual(["slow"]);
    expect((otherReason as Error).name).toBe("AbortError");
    expect(onlyAt(taskEvents(h.events, "other", "cancel"))).toBe(50);
  });
});

describe("§5.1 scope", () => {
  it("scope.task, scope.phase and scope.attempt identify the attempt", async () => {
    const seen: string[] = [];
    const record = taskFunc(
      (_ctx, scope) => {
        seen.push(`${scope.task}.${scope.phase}#${scope.attempt}`);
        if (scope.phase === "execute" && scope.attempt < 3) throw new RetryableError("again");
      },
      { retries: 5, initialDelayMs: 1 },
    );
    const h = runOn(
      oneLevel(task<Ctx>("alpha", { preExecute: record, execute: record, postExecute: record })),
    );
    reportOf(await h.finish());
    expect(seen).toEqual([
      "alpha.preExecute#1",
      "alpha.execute#1",
      "alpha.execute#2",
      "alpha.execute#3",
      "alpha.postExecute#1",
    ]);
  });

  it("each attempt gets its own scope and a fresh, unaborted signal", async () => {
    const signals: AbortSignal[] = [];
    const fn = taskFunc(
      (_ctx, scope) => {
        signals.push(scope.signal);
        return scope.attempt === 1 ? untilAborted(scope.signal) : "ok";
      },
      { timeoutMs: 10, retries: 1, initialDelayMs: 1 },
    );
    reportOf(await runOn(single({ execute: fn })).finish());
    expect(signals).toHaveLength(2);
    expect(signals[0]).not.toBe(signals[1]);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[1]?.aborted).toBe(false);
  });

  it("INV-30 a successful attempt's signal never aborts, even read after it ended", async () => {
    let scopeSeen: { readonly signal: AbortSignal } | undefined;
    const h = runOn(
      single({
        execute: (_ctx, scope) => {
          scopeSeen = scope;
        },
      }),
    );
    reportOf(await h.finish());
    expect(scopeSeen?.signal.aborted).toBe(false);
  });

  it("INV-30 a signal first read after a timeout is already aborted with the TaskTimeoutError", async () => {
    const late = deferred();
    let reason: unknown;
    let aborted: boolean | undefined;
    const fn = taskFunc(
      async (_ctx, scope) => {
        await late.promise; // ignores its signal at first
        aborted = scope.signal.aborted;
        reason = scope.signal.reason;
      },
      { timeoutMs: 20 },
    );
    const h = runOn(single({ execute: fn }));
    await h.clock.advance(20);
    late.resolve();
    const error = errorOf(await h.finish());
    expect(aborted).toBe(true);
    expect(reason).toBe(error.failures[0]?.error);
  });

  it("INV-30 a signal first read after a cancellation is aborted with an AbortError", async () => {
    const late = deferred();
    let reason: unknown;
    const h = runOn(
      oneLevel(
        task<Ctx>("bad", { execute: () => Promise.reject(new Error("boom")) }),
        task<Ctx>("slow", {
          execute: async (_ctx, scope) => {
            await late.promise;
            reason = scope.signal.reason;
          },
        }),
      ),
    );
    await h.clock.advance(0);
    late.resolve();
    errorOf(await h.finish());
    expect(reason).toBeInstanceOf(DOMException);
    expect((reason as DOMException).name).toBe("AbortError");
    expect((reason as DOMException).message).toContain("sdax run cancelled");
  });

  describe("INV-30 lazy signal: AbortControllers made by attempts", () => {
    const Original = globalThis.AbortController;
    let madeByAttempts = 0;
    class CountingAbortController extends Original {
      constructor() {
        super();
        if (/functions[\\/]attempt/.test(new Error().stack ?? "")) madeByAttempts++;
      }
    }
    afterEach(() => {
      vi.unstubAllGlobals();
      madeByAttempts = 0;
    });

    it("INV-30 a run whose functions never read scope.signal creates no AbortController", async () => {
      vi.stubGlobal("AbortController", CountingAbortController);
      const fn = taskFunc(async () => {}, { timeoutMs: 50, retries: 1 });
      const failing = taskFunc(
        (_ctx, scope) => {
          if (scope.attempt === 1) throw new RetryableError("once");
        },
        { retries: 1, initialDelayMs: 1 },
      );
      const h = runOn(
        oneLevel(
          task<Ctx>("a", { preExecute: fn, execute: fn, postExecute: fn }),
          task<Ctx>("b", { execute: failing }),
        ),
      );
      reportOf(await h.finish());
      expect(madeByAttempts).toBe(0);
    });

    it("INV-30 a function that times out without reading its signal creates none either", async () => {
      vi.stubGlobal("AbortController", CountingAbortController);
      const late = deferred();
      const fn = taskFunc(() => late.promise, { timeoutMs: 5 });
      const h = runOn(single({ execute: fn }));
      await h.clock.advance(5);
      late.resolve();
      errorOf(await h.finish());
      expect(madeByAttempts).toBe(0);
    });

    it("INV-30 reading scope.signal creates exactly one AbortController for the attempt", async () => {
      vi.stubGlobal("AbortController", CountingAbortController);
      const h = runOn(
        single({
          execute: (_ctx, scope) => {
            void scope.signal;
            void scope.signal;
          },
        }),
      );
      reportOf(await h.finish());
      expect(madeByAttempts).toBe(1);
    });
  });
});
