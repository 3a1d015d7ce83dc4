/**
 * spec/task-functions.md section 5.2 (a clock that throws) and INV-36 (the delay is a state),
 * with spec/lifecycle.md INV-33: the clock is user input. A clock call that throws is an error
 * of the attempt whose timer it was; `now()` that throws gives `NaN` times and an uncaught
 * exception; a clock that returns no handle, the same handle twice, or calls back from inside
 * `setTimeout`, changes nothing the engine decides.
 */
import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  type Clock,
  checkTrace,
  join,
  type LifecycleEvent,
  RetryableError,
  TaskTimeoutError,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import {
  attemptEvents,
  attemptProblems,
  type Ctx,
  captureUncaught,
  deferred,
  errorOf,
  flush,
  oneLevel,
  onlyAt,
  reportOf,
  retryEvents,
  runOn,
  taskEvents,
  untilAborted,
  wrapClock,
} from "./helpers.js";

/** Runs `processor` with `clock`, recording events and `"settled"` in `log` when it settles. */
function runLogged(processor: AsyncTaskProcessor<Ctx>, clock: Clock, log: string[]) {
  const events: LifecycleEvent[] = [];
  const run = processor
    .processTasks({}, { clock, onEvent: (e) => events.push(e) })
    .finally(() => log.push("settled"));
  const rejection = run.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { events, run, rejection };
}

/** A postExecute that logs `"<name>.post"`. */
const post = (log: string[], name: string) => () => {
  log.push(`${name}.post`);
};

describe("§5.2 a clock that throws", () => {
  it("INV-33 INV-4 INV-7 INV-13: setTimeout throwing as a preExecute sets its timeout fails that attempt with the clock's error; the sibling is cancelled, every postExecute runs, then the run rejects", async () => {
    const clockError = new Error("setTimeout broke");
    const virtual = new VirtualClock();
    const clock = wrapClock(virtual, {
      setTimeout: () => {
        throw clockError;
      },
    });
    const log: string[] = [];
    let siblingSignal: AbortSignal | undefined;
    const processor = oneLevel(
      task<Ctx>("sibling", {
        preExecute: (_ctx, { signal }) => {
          siblingSignal = signal;
          return untilAborted(signal);
        },
        postExecute: post(log, "sibling"),
      }),
      task<Ctx>("timed", {
        preExecute: taskFunc((_ctx, { signal }) => untilAborted(signal), { timeoutMs: 100 }),
        postExecute: post(log, "timed"),
      }),
    );
    const { events, rejection } = runLogged(processor, clock, log);
    const error = errorOf({ status: "rejected", reason: await rejection });
    expect(error.failures).toEqual([
      { task: "timed", phase: "preExecute", error: clockError, attempts: 1, afterCancel: false },
    ]);
    expect(error.failures[0]!.error).toBe(clockError);
    expect(siblingSignal?.aborted).toBe(true);
    expect(taskEvents(events, "sibling", "cancel")).toHaveLength(1);
    expect([...log].sort()).toEqual(["settled", "sibling.post", "timed.post"]);
    expect(log.at(-1)).toBe("settled");
    expect(
      attemptEvents(events, { task: "timed", phase: "preExecute" }).map((e) => e.event),
    ).toEqual(["start", "fail", "settle"]);
    expect(attemptEvents(events, { task: "timed", event: "fail" })[0]!.error).toEqual({
      name: "Error",
      message: "setTimeout broke",
    });
    const count = events.length;
    expect(events.at(-1)).toMatchObject({ type: "run", to: "settled" });
    await virtual.runAll();
    for (let i = 0; i < 3; i++) await flush();
    expect(events).toHaveLength(count); // nothing after the settled event
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-33: clearTimeout throwing as a succeeding attempt clears its timeout fails the attempt with the clock's error", async () => {
    const clockError = new Error("clearTimeout broke");
    const virtual = new VirtualClock();
    const clock = wrapClock(virtual, {
      clearTimeout: () => {
        throw clockError;
      },
    });
    const gate = deferred<string>();
    const log: string[] = [];
    const processor = oneLevel(
      task<Ctx>("t", {
        execute: taskFunc(() => gate.promise, { timeoutMs: 100 }),
        postExecute: post(log, "t"),
      }),
    );
    const { events, rejection } = runLogged(processor, clock, log);
    await virtual.advance(10);
    gate.resolve("done");
    const error = errorOf({ status: "rejected", reason: await rejection });
    expect(error.failures).toEqual([
      { task: "t", phase: "execute", error: clockError, attempts: 1, afterCancel: false },
    ]);
    const executeAttempts = attemptEvents(events, { phase: "execute" });
    expect(executeAttempts.map((e) => `${e.from}-${e.event}-${e.to}`)).toEqual([
      "idle-start-running",
      "running-fail-settling",
      "settling-settle-ended",
    ]);
    expect(onlyAt(attemptEvents(events, { event: "fail" }))).toBe(10);
    expect(log).toEqual(["t.post", "settled"]);
    // The timer whose clear threw still fires: it finds the attempt ended and does nothing.
    const count = events.length;
    expect(virtual.pendingTimers).toBe(1);
    await virtual.runAll();
    expect(events).toHaveLength(count);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-33: clearTimeout throwing as the function's own rejection decides the attempt fails it with an AggregateError of both errors", async () => {
    const clockError = new Error("clearTimeout broke");
    const own = new Error("own failure");
    const virtual = new VirtualClock();
    const clock = wrapClock(virtual, {
      clearTimeout: () => {
        throw clockError;
      },
    });
    const gate = deferred<string>();
    const processor = oneLevel(
      task<Ctx>("t", { execute: taskFunc(() => gate.promise, { timeoutMs: 100 }) }),
    );
    const { events, rejection } = runLogged(processor, clock, []);
    await virtual.advance(10);
    gate.reject(own);
    const error = errorOf({ status: "rejected", reason: await rejection });
    expect(error.failures).toHaveLength(1);
    const failure = error.failures[0]!;
    expect(failure).toMatchObject({ task: "t", phase: "execute", attempts: 1, afterCancel: false });
    expect(failure.error).toBeInstanceOf(AggregateError);
    const errors = (failure.error as AggregateError).errors;
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBe(own);
    expect(errors[1]).toBe(clockError);
    expect(error.leafErrors()).toEqual([own, clockError]);
    await virtual.runAll();
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-33 INV-32: clearTimeout throwing as a cancelled attempt clears its timeout fails it after its cancellation with the clock's error", async () => {
    const clockError = new Error("clearTimeout broke");
    const boom = new Error("sibling failed");
    const virtual = new VirtualClock();
    const clock = wrapClock(virtual, {
      clearTimeout: () => {
        throw clockError;
      },
    });
    const gate = deferred<never>();
    const log: string[] = [];
    const processor = oneLevel(
      task<Ctx>("timed", {
        execute: taskFunc((_ctx, { signal }) => untilAborted(signal), { timeoutMs: 100 }),
        postExecute: post(log, "timed"),
      }),
      task<Ctx>("bad", { execute: () => gate.promise, postExecute: post(log, "bad") }),
    );
    const { events, rejection } = runLogged(processor, clock, log);
    await virtual.advance(10);
    gate.reject(boom);
    const error = errorOf({ status: "rejected", reason: await rejection });
    expect(error.failures).toEqual([
      { task: "bad", phase: "execute", error: boom, attempts: 1, afterCancel: false },
      { task: "timed", phase: "execute", error: clockError, attempts: 1, afterCancel: true },
    ]);
    expect(
      attemptEvents(events, { task: "timed", phase: "execute" }).map(
        (e) => `${e.from}-${e.event}-${e.to}`,
      ),
    ).toEqual([
      "idle-start-running",
      "running-cancel-cancelling",
      "cancelling-fail-settling",
      "settling-settle-ended",
    ]);
    expect(log.at(-1)).toBe("settled");
    expect([...log].sort()).toEqual(["bad.post", "settled", "timed.post"]);
    await virtual.runAll();
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-33 INV-32 INV-2: a cancelled attempt failed by its clock belongs to the failing step, which still enters the tasks it enabled", async () => {
    const clockError = new Error("clearTimeout broke");
    const virtual = new VirtualClock();
    const clock = wrapClock(virtual, {
      clearTimeout: () => {
        throw clockError;
      },
    });
    const builder = AsyncTaskProcessor.graphBuilder<Ctx>();
    // "ready" succeeds synchronously in the step in which "bad" throws, so "next" is enabled
    // while the failure's cancellation sweep reaches "timed", whose clock then throws.
    builder.addTask(task<Ctx>("ready", { preExecute: () => undefined }), ["start"]);
    builder.addTask(join("start"), []);
    builder.addTask(join("next"), ["ready"]);
    builder.addTask(
      task<Ctx>("timed", {
        preExecute: taskFunc((_ctx, { signal }) => untilAborted(signal), { timeoutMs: 100 }),
      }),
      [],
    );
    builder.addTask(
      task<Ctx>("bad", {
        preExecute: () => {
          throw new Error("bad");
        },
      }),
      [],
    );
    const processor = builder.build();
    const log: string[] = [];
    const { events, rejection } = runLogged(processor, clock, log);
    const error = errorOf({ status: "rejected", reason: await rejection });
    expect(error.failures.map((f) => [f.task, f.afterCancel])).toEqual([
      ["bad", false],
      ["timed", true],
    ]);
    const timedFail = attemptEvents(events, { task: "timed", event: "fail" });
    const nextEntry = taskEvents(events, "next", "enter");
    expect(timedFail).toHaveLength(1);
    expect(nextEntry).toHaveLength(1);
    expect(nextEntry[0]!.seq).toBeGreaterThan(timedFail[0]!.seq);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-33 INV-32: setTimeout throwing as a cancelled attempt's abandonment timer is set fails it after its cancellation with the clock's error; it is then waited for without limit", async () => {
    const clockError = new Error("no abandonment timer");
    const boom = new Error("sibling failed");
    const virtual = new VirtualClock();
    const clock = wrapClock(virtual, {
      setTimeout: (callback, ms) => {
        if (ms === 10) throw clockError;
        return virtual.setTimeout(callback, ms);
      },
    });
    const gate = deferred<never>();
    const late = deferred<string>();
    const log: string[] = [];
    const processor = oneLevel(
      task<Ctx>("slow", {
        execute: taskFunc(() => late.promise, { abandonAfterMs: 10 }),
        postExecute: post(log, "slow"),
      }),
      task<Ctx>("bad", { execute: () => gate.promise, postExecute: post(log, "bad") }),
    );
    const { events, rejection } = runLogged(processor, clock, log);
    await virtual.advance(5);
    gate.reject(boom);
    await virtual.advance(1000); // no abandonment: the attempt is still waited for
    expect(log).toEqual([]);
    expect(attemptEvents(events, { event: "abandon" })).toEqual([]);
    late.resolve("finally");
    const error = errorOf({ status: "rejected", reason: await rejection });
    expect(error.failures).toEqual([
      { task: "bad", phase: "execute", error: boom, attempts: 1, afterCancel: false },
      { task: "slow", phase: "execute", error: clockError, attempts: 1, afterCancel: true },
    ]);
    expect(
      attemptEvents(events, { task: "slow", phase: "execute" }).map(
        (e) => `${e.from}-${e.event}-${e.to}`,
      ),
    ).toEqual([
      "idle-start-running",
      "running-cancel-cancelling",
      "cancelling-fail-settling",
      "settling-settle-ended",
    ]);
    expect(onlyAt(taskEvents(events, "slow", "settle"))).toBe(1005);
    expect([...log].sort()).toEqual(["bad.post", "settled", "slow.post"]);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-33 INV-32: clearTimeout throwing as a cancelled attempt settles and its abandonment timer is cleared fails it after its cancellation with the clock's error", async () => {
    const clockError = new Error("clearTimeout broke");
    const boom = new Error("sibling failed");
    const virtual = new VirtualClock();
    const clock = wrapClock(virtual, {
      clearTimeout: () => {
        throw clockError;
      },
    });
    const gate = deferred<never>();
    const log: string[] = [];
    const processor = oneLevel(
      task<Ctx>("slow", {
        execute: (_ctx, { signal }) => untilAborted(signal),
        postExecute: post(log, "slow"),
      }),
      task<Ctx>("bad", { execute: () => gate.promise, postExecute: post(log, "bad") }),
    );
    const events: LifecycleEvent[] = [];
    const rejection = processor
      .processTasks({}, { clock, abandonAfterMs: 50, onEvent: (e) => events.push(e) })
      .finally(() => log.push("settled"))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    await virtual.advance(5);
    gate.reject(boom);
    const error = errorOf({ status: "rejected", reason: await rejection });
    expect(error.failures).toEqual([
      { task: "bad", phase: "execute", error: boom, attempts: 1, afterCancel: false },
      { task: "slow", phase: "execute", error: clockError, attempts: 1, afterCancel: true },
    ]);
    expect(log.at(-1)).toBe("settled");
    // The abandonment timer whose clear threw fires later into an ended attempt: nothing.
    const count = events.length;
    await virtual.runAll();
    expect(events).toHaveLength(count);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-33 INV-23: clearTimeout throwing as a delayed attempt is cancelled has no phase left to fail: it is uncaught, and the run is unaffected", async () => {
    const clockError = new Error("clearTimeout broke");
    const siblingError = new Error("sibling failed");
    const virtual = new VirtualClock();
    const clock = wrapClock(virtual, {
      clearTimeout: () => {
        throw clockError;
      },
    });
    const gate = deferred<never>();
    let calls = 0;
    const processor = oneLevel(
      task<Ctx>("flaky", {
        preExecute: taskFunc(
          () => {
            calls++;
            throw new RetryableError("flaky");
          },
          { retries: 3, initialDelayMs: 100 },
        ),
        postExecute: () => {},
      }),
      task<Ctx>("sibling", { preExecute: () => gate.promise }),
    );
    let outcome: Awaited<ReturnType<ReturnType<typeof runOn>["finish"]>> | undefined;
    let events: LifecycleEvent[] = [];
    const uncaught = await captureUncaught(async () => {
      const h = runOn(processor, { clock: virtual, runClock: clock, random: () => 0 });
      events = h.events;
      await virtual.advance(10);
      gate.reject(siblingError);
      outcome = await h.finish(); // the delay timer, never cleared, fires into nothing
    });
    const error = errorOf(outcome!);
    expect(error.failures).toEqual([
      {
        task: "sibling",
        phase: "preExecute",
        error: siblingError,
        attempts: 1,
        afterCancel: false,
      },
    ]);
    expect(calls).toBe(1);
    expect(uncaught).toEqual([clockError]);
    expect(attemptEvents(events, { task: "flaky", attempt: 2 }).map((e) => e.event)).toEqual([
      "delay",
      "cancel",
    ]);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-33 INV-22: setTimeout throwing as the retry delay is set: no retry, the phase fails with an AggregateError of the attempt's error and the clock's", async () => {
    const clockError = new Error("no timers today");
    const flaky = new RetryableError("flaky");
    const virtual = new VirtualClock();
    const clock = wrapClock(virtual, {
      setTimeout: () => {
        throw clockError;
      },
    });
    let calls = 0;
    const log: string[] = [];
    const processor = oneLevel(
      task<Ctx>("t", {
        preExecute: taskFunc(
          () => {
            calls++;
            throw flaky;
          },
          { retries: 3, initialDelayMs: 10 },
        ),
        postExecute: post(log, "t"),
      }),
    );
    const { events, rejection } = runLogged(processor, clock, log);
    const error = errorOf({ status: "rejected", reason: await rejection });
    expect(calls).toBe(1);
    expect(error.failures).toHaveLength(1);
    const failure = error.failures[0]!;
    expect(failure).toMatchObject({
      task: "t",
      phase: "preExecute",
      attempts: 1,
      afterCancel: false,
    });
    expect(failure.error).toBeInstanceOf(AggregateError);
    const errors = (failure.error as AggregateError).errors;
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBe(flaky);
    expect(errors[1]).toBe(clockError);
    expect(attemptEvents(events, { attempt: 2 })).toEqual([]);
    expect(retryEvents(events)).toEqual([]);
    expect(taskEvents(events, "t", "fail")[0]!.attempts).toBe(1);
    expect(log).toEqual(["t.post", "settled"]);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-33 spec lifecycle 6: a clock whose now() throws: the run still works, every event's `at` is NaN, and the error is rethrown as an uncaught exception", async () => {
    const nowError = new Error("no time");
    const virtual = new VirtualClock();
    const clock = wrapClock(virtual, {
      now: () => {
        throw nowError;
      },
    });
    let calls = 0;
    const processor = oneLevel(
      task<Ctx>("a", {
        preExecute: taskFunc(
          () => {
            if (++calls === 1) throw new RetryableError("once");
          },
          { retries: 1, initialDelayMs: 10 },
        ),
        execute: taskFunc(async () => {}, { timeoutMs: 50 }),
        postExecute: () => {},
      }),
      task<Ctx>("b", { execute: () => {} }),
    );
    const events: LifecycleEvent[] = [];
    let report: Awaited<ReturnType<typeof processor.processTasks>> | undefined;
    const uncaught = await captureUncaught(async () => {
      const run = processor.processTasks({}, { clock, onEvent: (e) => events.push(e) });
      await virtual.runAll();
      report = await run;
    });
    expect(report).toBeDefined();
    expect(report!.tasks).toBe(2);
    expect(report!.durationMs).toBeNaN();
    expect(report!.retried).toEqual([{ task: "a", phase: "preExecute", attempts: 2 }]);
    expect(calls).toBe(2);
    expect(events.length).toBeGreaterThan(10);
    expect(events.every((e) => Number.isNaN(e.at))).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: "run", to: "settled", outcome: "succeeded" });
    expect(uncaught.length).toBeGreaterThan(0);
    expect(uncaught.every((e) => e === nowError)).toBe(true);
    expect(attemptProblems(events)).toEqual([]);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-33: a clock whose now() throws, without onEvent: the run still resolves, its duration is NaN, and the error is uncaught", async () => {
    const nowError = new Error("no time");
    const clock = wrapClock(new VirtualClock(), {
      now: () => {
        throw nowError;
      },
    });
    const processor = oneLevel(task<Ctx>("a", { execute: () => {} }));
    let durationMs: number | undefined;
    const uncaught = await captureUncaught(async () => {
      durationMs = (await processor.processTasks({}, { clock })).durationMs;
    });
    expect(durationMs).toBeNaN();
    expect(uncaught.length).toBeGreaterThan(0);
    expect(uncaught.every((e) => e === nowError)).toBe(true);
  });
});

describe("INV-36 the delay is a state, whatever the clock's handles", () => {
  const handleKinds: readonly [string, (id: unknown) => unknown][] = [
    ["undefined", () => undefined],
    ["0", () => 0],
    ["the same object each time", () => sameHandle],
  ];
  const sameHandle = { handle: "same" };

  for (const [label, handleOf] of handleKinds) {
    it(`INV-36 INV-23: a clock whose setTimeout returns ${label}: a flaky preExecute cancelled during its retry delay by a sibling's failure starts no further attempt, its delayed attempt is cancelled and its postExecute runs`, async () => {
      const virtual = new VirtualClock();
      const clock = wrapClock(virtual, {
        setTimeout: (callback, ms) => handleOf(virtual.setTimeout(callback, ms)),
        clearTimeout: () => {}, // the handle says nothing: clearing is a no-op
      });
      let calls = 0;
      const siblingGate = deferred<never>();
      const siblingError = new Error("sibling failed");
      const log: string[] = [];
      const processor = oneLevel(
        task<Ctx>("flaky", {
          preExecute: taskFunc(
            () => {
              calls++;
              throw new RetryableError("flaky");
            },
            { retries: 3, initialDelayMs: 1000 },
          ),
          postExecute: post(log, "flaky"),
        }),
        task<Ctx>("sibling", {
          preExecute: () => siblingGate.promise,
          postExecute: post(log, "sibling"),
        }),
      );
      const h = runOn(processor, { clock: virtual, runClock: clock, random: () => 0 });
      await virtual.advance(200); // attempt 2 waits out its 500 ms delay
      expect(attemptEvents(h.events, { task: "flaky", attempt: 2 }).map((e) => e.to)).toEqual([
        "delayed",
      ]);
      siblingGate.reject(siblingError);
      await flush();
      const cancel = taskEvents(h.events, "flaky", "cancel");
      const delayedCancel = attemptEvents(h.events, { task: "flaky", attempt: 2, event: "cancel" });
      const settle = taskEvents(h.events, "flaky", "settle");
      expect(onlyAt(cancel)).toBe(200);
      expect(onlyAt(delayedCancel)).toBe(200);
      expect(onlyAt(settle)).toBe(200);
      expect(delayedCancel[0]).toMatchObject({ from: "delayed", to: "ended" });
      expect([cancel[0]!.seq + 1, cancel[0]!.seq + 2]).toEqual([
        delayedCancel[0]!.seq,
        settle[0]!.seq,
      ]);
      const error = errorOf(await h.finish()); // fires the stale delay timer too
      expect(error.failures).toEqual([
        {
          task: "sibling",
          phase: "preExecute",
          error: siblingError,
          attempts: 1,
          afterCancel: false,
        },
      ]);
      expect(calls).toBe(1);
      expect(
        attemptEvents(h.events, { task: "flaky", phase: "preExecute", event: "start" }),
      ).toHaveLength(1);
      expect(attemptEvents(h.events, { task: "flaky", attempt: 2 }).map((e) => e.event)).toEqual([
        "delay",
        "cancel",
      ]);
      expect([...log].sort()).toEqual(["flaky.post", "sibling.post"]);
      expect(h.events.at(-1)).toMatchObject({ type: "run", to: "settled" });
      expect(attemptProblems(h.events)).toEqual([]);
      expect(checkTrace(h.events, processor)).toEqual([]);
    });
  }

  it("INV-36 INV-25: a clock that fires 0 ms timers synchronously from inside setTimeout: attempt 2 starts after its delay, as if the timer fired just after", async () => {
    const virtual = new VirtualClock();
    const clock = wrapClock(virtual, {
      setTimeout: (callback, ms) => {
        if (ms === 0) {
          callback();
          return undefined;
        }
        return virtual.setTimeout(callback, ms);
      },
    });
    const processor = oneLevel(
      task<Ctx>("t", {
        execute: taskFunc(
          (_ctx, scope) => {
            if (scope.attempt === 1) throw new RetryableError("once");
            return "second time lucky";
          },
          { retries: 1, initialDelayMs: 0 },
        ),
      }),
    );
    const h = runOn(processor, { clock: virtual, runClock: clock });
    const report = reportOf(await h.finish());
    expect(report.retried).toEqual([{ task: "t", phase: "execute", attempts: 2 }]);
    const retry = retryEvents(h.events)[0]!;
    expect(retry.delayMs).toBe(0);
    const attempt2 = attemptEvents(h.events, { attempt: 2 });
    expect(attempt2.map((e) => `${e.from}-${e.event}-${e.to}`)).toEqual([
      "idle-delay-delayed",
      "delayed-start-running",
      "running-succeed-ended",
    ]);
    expect(attempt2[0]!.seq).toBe(retry.seq + 1);
    expect(attemptProblems(h.events)).toEqual([]);
    expect(checkTrace(h.events, processor)).toEqual([]);
  });

  it("INV-36 INV-11 INV-13: with a clock that fires 0 ms timers synchronously, a run cancelled while attempt 2 runs aborts attempt 2's signal and starts its postExecute only after attempt 2 settled", async () => {
    const virtual = new VirtualClock();
    const clock = wrapClock(virtual, {
      setTimeout: (callback, ms) => {
        if (ms === 0) {
          callback();
          return undefined;
        }
        return virtual.setTimeout(callback, ms);
      },
    });
    const log: string[] = [];
    const second = deferred<string>();
    let secondSignal: AbortSignal | undefined;
    const processor = oneLevel(
      task<Ctx>("t", {
        execute: taskFunc(
          (_ctx, scope) => {
            log.push(`attempt ${scope.attempt}`);
            if (scope.attempt === 1) throw new RetryableError("once");
            secondSignal = scope.signal;
            // Ignores its signal until the gate opens.
            return second.promise.then((value) => {
              log.push("attempt 2 settled");
              return value;
            });
          },
          { retries: 1, initialDelayMs: 0 },
        ),
        postExecute: post(log, "t"),
      }),
    );
    const controller = new AbortController();
    const h = runOn(processor, { clock: virtual, runClock: clock, signal: controller.signal });
    await flush();
    expect(log).toEqual(["attempt 1", "attempt 2"]);
    expect(attemptEvents(h.events, { attempt: 2, event: "start" })[0]!.from).toBe("delayed");
    controller.abort(new Error("user left"));
    expect(secondSignal?.aborted).toBe(true);
    for (let i = 0; i < 3; i++) await flush();
    expect(log).toEqual(["attempt 1", "attempt 2"]); // no post while attempt 2 runs
    expect(h.outcome().status).toBe("pending");
    second.resolve("finally");
    const error = errorOf(await h.finish());
    expect(error.aborted).toBe(true);
    expect(error.failures).toEqual([]);
    expect(log).toEqual(["attempt 1", "attempt 2", "attempt 2 settled", "t.post"]);
    expect(attemptEvents(h.events, { attempt: 2 }).map((e) => e.event)).toEqual([
      "delay",
      "start",
      "cancel",
      "settle",
    ]);
    expect(attemptProblems(h.events)).toEqual([]);
    expect(checkTrace(h.events, processor)).toEqual([]);
  });

  it("INV-26 INV-36: a clock that fires a 0 ms timeout synchronously from inside setTimeout times the attempt out once its step is whole", async () => {
    const virtual = new VirtualClock();
    const clock = wrapClock(virtual, {
      setTimeout: (callback, ms) => {
        if (ms === 0) {
          callback();
          return undefined;
        }
        return virtual.setTimeout(callback, ms);
      },
    });
    const processor = oneLevel(
      task<Ctx>("t", {
        execute: taskFunc((_ctx, { signal }) => untilAborted(signal), { timeoutMs: 0 }),
      }),
    );
    const h = runOn(processor, { clock: virtual, runClock: clock });
    const error = errorOf(await h.finish());
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]!.error).toBeInstanceOf(TaskTimeoutError);
    expect(attemptEvents(h.events).map((e) => `${e.from}-${e.event}-${e.to}`)).toEqual([
      "idle-start-running",
      "running-timeout-settling",
      "settling-settle-ended",
    ]);
    expect(checkTrace(h.events, processor)).toEqual([]);
  });
});

/**
 * Spec 5.2: "a clock that calls back synchronously, from `setTimeout` itself, has its callback
 * acted on once the step is whole, exactly as if it had fired just after", and INV-36: such a
 * clock "changes none of this". Each case runs one workflow twice, on a VirtualClock (the timer
 * fires after the step) and on a clock that fires 0 ms timers from inside `setTimeout`, and
 * expects the same outcome. Here the step also decides a sibling's failure.
 */
describe("INV-36 §5.2 a synchronously firing clock acts as if its timer fired just after the step", () => {
  function syncZeroClock(virtual: VirtualClock): Clock {
    return wrapClock(virtual, {
      setTimeout: (callback, ms) => {
        if (ms === 0) {
          callback();
          return undefined;
        }
        return virtual.setTimeout(callback, ms);
      },
    });
  }

  async function both(makeProcessor: () => AsyncTaskProcessor<Ctx>) {
    const results = [];
    for (const sync of [false, true]) {
      const virtual = new VirtualClock();
      const processor = makeProcessor();
      const h = runOn(processor, {
        clock: virtual,
        runClock: sync ? syncZeroClock(virtual) : virtual,
      });
      const error = errorOf(await h.finish());
      results.push({ processor, events: h.events, error });
    }
    return { reference: results[0]!, sync: results[1]! };
  }

  const summary = (error: { failures: readonly { task: string; phase: string }[] }) =>
    error.failures.map((f) => `${f.task}.${f.phase}`);

  it("INV-36 INV-23: a retry delay of 0 ms fired synchronously, in the step that also decides a sibling's synchronous failure: the delayed attempt is cancelled, never started, as with a normal clock", async () => {
    let calls = 0;
    const { reference, sync } = await both(() => {
      calls = 0;
      return oneLevel(
        task<Ctx>("A", {
          preExecute: taskFunc(
            () => {
              calls++;
              throw new RetryableError("flaky");
            },
            { retries: 1, initialDelayMs: 0 },
          ),
          postExecute: () => {},
        }),
        task<Ctx>("B", {
          preExecute: () => {
            throw new Error("B failed");
          },
        }),
      );
    });
    // The reference: A's attempt 2 is cancelled while delayed; only B failed.
    expect(summary(reference.error)).toEqual(["B.preExecute"]);
    expect(
      attemptEvents(reference.events, { task: "A", phase: "preExecute", attempt: 2 }).map(
        (e) => e.event,
      ),
    ).toEqual(["delay", "cancel"]);
    // The synchronous clock must change none of this.
    expect(calls).toBe(1);
    expect(summary(sync.error)).toEqual(["B.preExecute"]);
    expect(
      attemptEvents(sync.events, { task: "A", phase: "preExecute", attempt: 2 }).map(
        (e) => e.event,
      ),
    ).toEqual(["delay", "cancel"]);
    expect(checkTrace(sync.events, sync.processor)).toEqual([]);
  });

  it("INV-36 INV-26: a 0 ms timeout fired synchronously from setTimeout, in the step in which a sibling entered with it fails synchronously: the attempt is cancelled, not timed out, as with a normal clock", async () => {
    const { reference, sync } = await both(() =>
      oneLevel(
        task<Ctx>("A", {
          preExecute: taskFunc((_ctx, { signal }) => untilAborted(signal), { timeoutMs: 0 }),
          postExecute: () => {},
        }),
        task<Ctx>("B", {
          preExecute: () => {
            throw new Error("B failed");
          },
          postExecute: () => {},
        }),
      ),
    );
    expect(summary(reference.error)).toEqual(["B.preExecute"]);
    expect(
      attemptEvents(reference.events, { task: "A", phase: "preExecute" }).map((e) => e.event),
    ).toEqual(["start", "cancel", "settle"]);
    expect(summary(sync.error)).toEqual(["B.preExecute"]);
    expect(
      attemptEvents(sync.events, { task: "A", phase: "preExecute" }).map((e) => e.event),
    ).toEqual(["start", "cancel", "settle"]);
    expect(checkTrace(sync.events, sync.processor)).toEqual([]);
  });
});

/**
 * A clock whose `setTimeout` takes time: it reads the time for the timer's due time, then the
 * time moves on (as `performance.now()` does while a real timer is being set). Timers fire
 * exactly when due.
 */
class SlowToSetClock implements Clock {
  time = 0;
  readonly #timers: { due: number; callback: () => void; live: boolean }[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { due: this.time + ms, callback, live: true };
    this.#timers.push(timer);
    this.time += 0.5;
    return timer;
  }

  clearTimeout(handle: unknown): void {
    if (handle !== undefined) (handle as { live: boolean }).live = false;
  }

  /** Fires due timers in order until none is left, letting promise callbacks run between. */
  async runAll(): Promise<void> {
    for (;;) {
      for (let i = 0; i < 5; i++) await flush();
      const live = this.#timers.filter((t) => t.live).sort((a, b) => a.due - b.due);
      const next = live[0];
      if (next === undefined) return;
      next.live = false;
      this.time = Math.max(this.time, next.due);
      next.callback();
    }
  }
}

describe("§6 an event that announces a timer is timed before the timer is set", () => {
  it("INV-25 INV-36: a retry's `at` is read before its delay's timer is set, so the next attempt never starts early by the trace's times", async () => {
    const clock = new SlowToSetClock();
    let calls = 0;
    const processor = oneLevel(
      task<Ctx>("flaky", {
        execute: taskFunc(
          () => {
            calls++;
            if (calls === 1) throw new RetryableError("once");
          },
          { retries: 1, initialDelayMs: 10, backoffFactor: 1 },
        ),
      }),
    );
    const events: LifecycleEvent[] = [];
    const run = processor.processTasks(
      {},
      { clock, random: () => 1, onEvent: (e) => events.push(e) },
    );
    await clock.runAll();
    await run;
    const retry = onlyAt(retryEvents(events));
    const second = attemptEvents(events, { task: "flaky", attempt: 2, event: "start" });
    expect(second).toHaveLength(1);
    expect(second[0]!.at - retry).toBeGreaterThanOrEqual(10);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-27: a cancellation's `at` is read before its abandonment timer is set, so the abandonment is never early by the trace's times", async () => {
    const clock = new SlowToSetClock();
    const gate = deferred<never>();
    const processor = oneLevel(
      task<Ctx>("stuck", {
        execute: taskFunc(() => new Promise(() => {}), { abandonAfterMs: 20 }),
      }),
      task<Ctx>("bad", { execute: () => gate.promise }),
    );
    const events: LifecycleEvent[] = [];
    const run = processor.processTasks({}, { clock, onEvent: (e) => events.push(e) });
    const settled = run.then(
      () => undefined,
      (e: unknown) => e,
    );
    await flush();
    gate.reject(new Error("bad"));
    await clock.runAll();
    expect(errorOf({ status: "rejected", reason: await settled }).failures).toHaveLength(1);
    const cancel = attemptEvents(events, { task: "stuck", event: "cancel" });
    const abandon = attemptEvents(events, { task: "stuck", event: "abandon" });
    expect(cancel).toHaveLength(1);
    expect(abandon).toHaveLength(1);
    expect(abandon[0]!.at - cancel[0]!.at).toBeGreaterThanOrEqual(20);
    expect(checkTrace(events, processor)).toEqual([]);
  });
});

describe("§6 events of one moment share one clock reading", () => {
  /** A clock the test moves by hand, counting its reads; timers run on a virtual clock. */
  function handClock(overrides: Partial<Clock> = {}) {
    const virtual = new VirtualClock();
    const state = { time: 0, reads: 0 };
    const clock = wrapClock(virtual, {
      now: () => {
        state.reads++;
        return state.time;
      },
      ...overrides,
    });
    return { virtual, clock, state };
  }

  it("spec lifecycle 6: the events before the first function call share the first reading, though the listener takes time", async () => {
    const { virtual, clock, state } = handClock();
    const processor = oneLevel(
      task<Ctx>("a", { preExecute: () => {}, execute: async () => {}, postExecute: () => {} }),
    );
    const run = runOn(processor, {
      clock: virtual,
      runClock: clock,
      listen: () => {
        state.time += 1; // the listener's time is not the run's
      },
    });
    reportOf(await run.finish());
    const events = run.events;
    const firstStart = events.findIndex((e) => e.type === "attempt" && e.event === "start");
    expect(firstStart).toBeGreaterThan(1);
    expect(events.slice(0, firstStart + 1).map((e) => e.at)).toEqual(
      Array.from({ length: firstStart + 1 }, () => 0),
    );
    expect(state.reads).toBeLessThan(events.length);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("spec lifecycle 6: the time a task function spends before it returns or throws shows between its `start` and the next event", async () => {
    const { virtual, clock, state } = handClock();
    const processor = oneLevel(
      task<Ctx>("slow", {
        preExecute: () => {
          state.time += 100;
        },
        postExecute: () => {
          state.time += 30;
        },
      }),
      task<Ctx>("throws", {
        preExecute: () => {
          state.time += 7;
          throw new Error("no");
        },
        postExecute: () => {},
      }),
    );
    const run = runOn(processor, { clock: virtual, runClock: clock });
    errorOf(await run.finish());
    const events = run.events;
    const gapAfterStart = (name: string, phase: string) => {
      const i = events.findIndex(
        (e) => e.type === "attempt" && e.task === name && e.phase === phase && e.event === "start",
      );
      expect(i).toBeGreaterThanOrEqual(0);
      return events[i + 1]!.at - events[i]!.at;
    };
    expect(gapAfterStart("slow", "preExecute")).toBe(100);
    expect(gapAfterStart("throws", "preExecute")).toBe(7);
    expect(gapAfterStart("slow", "postExecute")).toBe(30);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("spec lifecycle 6 INV-33: a retry's timer the clock could not set announces nothing: the event after the failed setTimeout reads the clock afresh", async () => {
    const state = { time: 0 };
    const { virtual, clock } = handClock({
      now: () => state.time,
      setTimeout: () => {
        state.time += 10;
        throw new Error("no timer");
      },
    });
    const processor = oneLevel(
      task<Ctx>("a", {
        preExecute: taskFunc(
          () => {
            throw new RetryableError("again");
          },
          { retries: 1, initialDelayMs: 50 },
        ),
      }),
    );
    const run = runOn(processor, { clock: virtual, runClock: clock });
    errorOf(await run.finish());
    expect(retryEvents(run.events)).toEqual([]);
    const fail = taskEvents(run.events, "a", "fail");
    expect(fail).toHaveLength(1);
    expect(fail[0]!.at).toBe(10);
    expect(checkTrace(run.events, processor)).toEqual([]);
  });

  it("INV-19 spec lifecycle 6: the moves to executing and to cleaningUp are steps of their own, each with a fresh reading, as with a phase runner", async () => {
    const runEventTimes = async (mode: "processTasks" | "open") => {
      const { clock, state } = handClock();
      const processor = oneLevel(task<Ctx>("a", { execute: async () => {} }));
      const events: LifecycleEvent[] = [];
      const onEvent = (e: LifecycleEvent) => {
        events.push(e);
        state.time += 1; // the listener's time, seen only by the next step's reading
      };
      if (mode === "processTasks") {
        await processor.processTasks({}, { clock, onEvent });
      } else {
        const runner = processor.open({}, { clock, onEvent });
        while (await runner.runNext()) {}
      }
      expect(checkTrace(events, processor)).toEqual([]);
      return events.filter((e) => e.type === "run").map((e) => `${e.event}@${e.at}`);
    };
    const auto = await runEventTimes("processTasks");
    expect(auto).toEqual(await runEventTimes("open"));
    const at = (event: string) =>
      Number(auto.find((e) => e.startsWith(`${event}@`))!.split("@")[1]);
    expect(at("execute")).toBeGreaterThan(at("allEntered"));
    expect(at("cleanup")).toBeGreaterThan(at("allExecuted"));
  });

  it("spec lifecycle 6, 7: the run's start time is its first event's reading, so durationMs is measured from the `start` event's `at`", async () => {
    let reads = 0;
    const { virtual, clock } = handClock({ now: () => ++reads * 1000 });
    const run = runOn(oneLevel(task<Ctx>("a", { execute: async () => {} })), {
      clock: virtual,
      runClock: clock,
    });
    const report = reportOf(await run.finish());
    expect(run.events[0]!.at).toBe(1000);
    expect(report.durationMs).toBe(reads * 1000 - run.events[0]!.at);
  });
});
