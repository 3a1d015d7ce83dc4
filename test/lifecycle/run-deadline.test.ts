import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  type Clock,
  isTaskTimeoutError,
  type TaskScope,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { executionErrorOf, isAbortError } from "../helpers/async.js";
import {
  ABORTED_AT_START,
  collectEvents,
  eventWords,
  flush,
  gates,
  Recorder,
  waitFor,
} from "../helpers/recorder.js";

describe("spec INV-40: the run deadline (RunOptions.timeoutMs)", () => {
  it("INV-40 INV-12: at the deadline the run is aborted as by its signal: running functions are cancelled, cleanup runs unaborted, and the cause is a TaskTimeoutError", async () => {
    const clock = new VirtualClock();
    const rec = new Recorder();
    const g = gates();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("db", { pre: true, post: waitFor(g.gate("db.post")) }), 1)
      .addTask(rec.task("slow", { exec: waitFor(g.gate("slow.exec")) }), 2)
      .build();
    const { events, onEvent } = collectEvents();
    const run = executionErrorOf(
      processor.processTasks(undefined, { clock, timeoutMs: 50, onEvent }),
    );
    await flush();
    expect(rec.starts()).toEqual(["db.pre", "slow.exec"]);
    await clock.advance(49);
    expect(rec.scope("slow.exec").signal.aborted).toBe(false);
    await clock.advance(1);
    const slowSignal = rec.scope("slow.exec").signal;
    expect(slowSignal.aborted).toBe(true);
    expect(isAbortError(slowSignal.reason)).toBe(true);
    expect((slowSignal.reason as Error).message).toContain("deadline of 50 ms passed");
    await flush();
    expect(rec.started("db.post")).toBe(true);
    expect(rec.scope("db.post").signal.aborted).toBe(false); // cleanup is never aborted
    await g.open("db.post");
    const error = await run;
    expect(error.failures).toEqual([]);
    expect(error.aborted).toBe(true);
    expect(isTaskTimeoutError(error.cause)).toBe(true);
    expect(error.cause).toMatchObject({ timeoutMs: 50, task: undefined, phase: undefined });
    expect(events[0]).toMatchObject({ type: "run", event: "start", timeoutMs: 50 });
    expect(events.find((e) => e.type === "run" && e.event === "abort")).toMatchObject({
      at: 50,
      reason: { name: "TimeoutError" },
      abortedBy: "deadline",
    });
    expect(clock.pendingTimers).toBe(0);
  });

  it("INV-40: a run that ends before its deadline resolves, and its timer is cleared", async () => {
    const clock = new VirtualClock();
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("t", { execute: () => {} }), 1)
      .build();
    const report = await processor.processTasks(undefined, { clock, timeoutMs: 1_000 });
    expect(report.tasks).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it("INV-40: once cleanup has begun the deadline changes nothing: its timer is cleared and cleanup completes as it would have", async () => {
    const clock = new VirtualClock();
    const rec = new Recorder();
    const g = gates();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("t", { exec: true, post: waitFor(g.gate("t.post")) }), 1)
      .build();
    const run = processor.processTasks(undefined, { clock, timeoutMs: 10 });
    await flush();
    expect(rec.started("t.post")).toBe(true);
    expect(clock.pendingTimers).toBe(0); // cleared when cleanup began
    await clock.advance(100);
    expect(rec.scope("t.post").signal.aborted).toBe(false);
    await g.open("t.post");
    await expect(run).resolves.toMatchObject({ tasks: 1 });
  });

  it("INV-40 INV-19: with a signal and a deadline, whichever comes first aborts the run and gives the cause; the other changes nothing", async () => {
    const processor = AsyncTaskProcessor.builder()
      .addTask(new Recorder().task("hang", { exec: waitFor(gates().gate("never")) }), 1)
      .build();

    const clock = new VirtualClock();
    const controller = new AbortController();
    const bySignal = executionErrorOf(
      processor.processTasks(undefined, { clock, timeoutMs: 100, signal: controller.signal }),
    );
    await flush();
    const reason = new Error("client went away");
    controller.abort(reason);
    await clock.advance(100);
    expect((await bySignal).cause).toBe(reason);

    const clock2 = new VirtualClock();
    const controller2 = new AbortController();
    const byDeadline = executionErrorOf(
      processor.processTasks(undefined, {
        clock: clock2,
        timeoutMs: 100,
        signal: controller2.signal,
      }),
    );
    await clock2.advance(100);
    controller2.abort(new Error("too late"));
    expect(isTaskTimeoutError((await byDeadline).cause)).toBe(true);
  });

  it("INV-40 INV-3: a deadline of 0 ms passes before any preExecute has settled: later tasks are skipped, started ones cleaned up", async () => {
    const clock = new VirtualClock();
    const rec = new Recorder();
    const g = gates();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("a", { pre: waitFor(g.gate("a.pre")), post: true }), 1)
      .addTask(rec.task("b", { pre: true, post: true }), 2)
      .build();
    const run = executionErrorOf(processor.processTasks(undefined, { clock, timeoutMs: 0 }));
    await clock.advance(0);
    const error = await run;
    expect(isTaskTimeoutError(error.cause)).toBe(true);
    expect(rec.starts()).toEqual(["a.pre", "a.post"]);
  });

  it("INV-40 INV-17 INV-33: a clock that throws setting the deadline aborts the run before anything is entered, with the clock's error as the cause's cause", async () => {
    const clockError = new Error("no timers here");
    const clock: Clock = {
      now: () => 0,
      setTimeout: () => {
        throw clockError;
      },
      clearTimeout: () => {},
    };
    const rec = new Recorder();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("t", { pre: true, post: true }), 1)
      .build();
    const { events, onEvent } = collectEvents();
    const error = await executionErrorOf(
      processor.processTasks(undefined, { clock, timeoutMs: 10, onEvent }),
    );
    expect(rec.log).toEqual([]);
    expect((error.cause as Error).message).toContain("deadline");
    expect((error.cause as Error).cause).toBe(clockError);
    expect(eventWords(events)).toEqual(ABORTED_AT_START);
  });

  it("INV-40: a phase runner stopped between phases is aborted by its deadline too", async () => {
    const clock = new VirtualClock();
    const rec = new Recorder();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("t", { pre: true, exec: true, post: true }), 1)
      .build();
    const runner = processor.open(undefined, { clock, timeoutMs: 20 });
    await runner.runNext(); // preExecute, then stopped in `entered`
    await clock.advance(20);
    await runner.close();
    expect(rec.starts()).toEqual(["t.pre", "t.post"]); // execute never ran
    expect(() => runner.raiseFailures()).toThrow(/deadline of 20 ms/);
  });

  it("INV-40: the deadline is independent of per-function timeouts: a function timeout fails its phase, the deadline aborts the run", async () => {
    const clock = new VirtualClock();
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("t", {
          execute: taskFunc(
            (_: unknown, { signal }: TaskScope) =>
              new Promise((_, reject) =>
                signal.addEventListener("abort", () => reject(signal.reason)),
              ),
            { timeoutMs: 5 },
          ),
        }),
        1,
      )
      .build();
    const run = executionErrorOf(processor.processTasks(undefined, { clock, timeoutMs: 50 }));
    await clock.advance(5);
    const error = await run;
    expect(error.failures.map((f) => f.task)).toEqual(["t"]);
    expect(isTaskTimeoutError(error.failures[0]?.error)).toBe(true);
    expect(error.aborted).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  describe("invalid deadlines are refused with the option named; nothing runs", () => {
    for (const value of [-1, Number.NaN, "5", 2 ** 31, Number.POSITIVE_INFINITY]) {
      it(`timeoutMs ${String(value)}`, async () => {
        const rec = new Recorder();
        const processor = AsyncTaskProcessor.builder()
          .addTask(rec.task("t", { pre: true }), 1)
          .build();
        const error = await processor.processTasks(undefined, { timeoutMs: value as number }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toContain("timeoutMs");
        expect(rec.log).toEqual([]);
      });
    }
  });
});
