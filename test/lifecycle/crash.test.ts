/**
 * spec/lifecycle.md INV-34: a crashed run stops cleanly. An engine bug is simulated by making
 * the run's event log throw on one call: `processTasks` rejects with that very error, and from
 * then on the run calls no user code (no listener, no function, no signal, no clock) while it
 * still observes its pending promises, so none becomes an unhandled rejection.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { EventLog } from "../../src/events/event-log.js";
import {
  AsyncTaskProcessor,
  type Clock,
  type LifecycleEvent,
  SdaxExecutionError,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { captureUncaught, watchUnhandled } from "../functions/helpers.js";
import { deferred, flush, Recorder, trackAbortListeners, waitFor } from "../helpers/recorder.js";

/** Makes `EventLog.prototype[method]` throw `bug` on its `nth` call (counted from 1). */
function crashOn(method: "task" | "attempt" | "run", nth: number, bug: Error): () => number {
  const original = EventLog.prototype[method] as (...args: unknown[]) => void;
  let calls = 0;
  vi.spyOn(EventLog.prototype, method).mockImplementation(function (
    this: EventLog,
    ...args: unknown[]
  ) {
    calls++;
    if (calls === nth) throw bug;
    original.apply(this, args);
  } as never);
  return () => calls;
}

/** Makes the run's event log throw `bug` when it reports the run event `event`. */
function crashOnRunEvent(event: string, bug: Error): void {
  const original = EventLog.prototype.run as (...args: unknown[]) => void;
  vi.spyOn(EventLog.prototype, "run").mockImplementation(function (
    this: EventLog,
    ...args: unknown[]
  ) {
    if (args[0] === event) throw bug;
    original.apply(this, args);
  } as never);
}

/** A clock that counts every call made to it. */
function countingClock(virtual: VirtualClock): { clock: Clock; calls: () => number } {
  let calls = 0;
  return {
    clock: {
      now: () => {
        calls++;
        return virtual.now();
      },
      setTimeout: (callback, ms) => {
        calls++;
        return virtual.setTimeout(callback, ms);
      },
      clearTimeout: (handle) => {
        calls++;
        virtual.clearTimeout(handle);
      },
    },
    calls: () => calls,
  };
}

/** Resolves to the rejection of `run` (fails if it resolves). */
async function rejectionOf(run: Promise<unknown>): Promise<unknown> {
  return run.then(
    () => {
      throw new Error("expected the run to reject");
    },
    (e: unknown) => e,
  );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("INV-34: a crashed run stops cleanly", () => {
  it("INV-34: an engine error in the start step rejects processTasks with that error; no listener, function, signal or clock is called after it, and the pending function's late rejection is handled", async () => {
    const bug = new Error("engine bug");
    const rec = new Recorder();
    const gate = deferred<unknown>();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("P", { pre: waitFor(gate, false), post: true }), 1)
      .addTask(rec.task("Q", { pre: true, post: true }), 1)
      .addTask(rec.task("R", { pre: true, exec: true, post: true }), 2)
      .build();
    const events: LifecycleEvent[] = [];
    let listenerCalls = 0;
    const onEvent = (e: LifecycleEvent) => {
      listenerCalls++;
      events.push(e);
    };
    const virtual = new VirtualClock();
    const { clock, calls: clockCalls } = countingClock(virtual);
    const controller = new AbortController();
    const listeners = trackAbortListeners(controller.signal);
    // Task events: P startPre, Q startPre, Q succeed (the 3rd: the crash).
    const taskCalls = crashOn("task", 3, bug);
    const unhandled = await watchUnhandled(async () => {
      const error = await rejectionOf(
        processor.processTasks(undefined, { onEvent, clock, signal: controller.signal }),
      );
      expect(error).toBe(bug);
      expect(taskCalls()).toBe(3);
      expect(
        events.filter((e) => e.type === "task").map((e) => e.type === "task" && e.event),
      ).toEqual(["startPre", "startPre"]);
      expect(listeners.active).toBe(0); // it stopped watching its signal
      const seenListener = listenerCalls;
      const seenClock = clockCalls();
      const seenLog = [...rec.log];
      const pSignal = rec.scope("P.pre").signal;
      expect(pSignal.aborted).toBe(false);

      controller.abort(new Error("too late"));
      gate.reject(new Error("P fails after the crash"));
      await virtual.runAll();
      for (let i = 0; i < 5; i++) await flush();

      expect(listenerCalls).toBe(seenListener);
      expect(clockCalls()).toBe(seenClock);
      expect(pSignal.aborted).toBe(false); // no signal is aborted after the crash
      // P's rejection was observed (logged by the recorder), nothing else ran: no post, no R.
      expect(rec.log).toEqual([...seenLog, "P.pre!"]);
      expect(rec.started("P.post") || rec.started("Q.post") || rec.started("R.pre")).toBe(false);
    });
    expect(unhandled).toEqual([]);
  });

  it("INV-34: an engine error in a step taken when a promise settled rejects processTasks with it; the other pending functions' later rejections are handled and nothing more runs", async () => {
    const bug = new TypeError("engine bug while acting on a settlement");
    const rec = new Recorder();
    const first = deferred<unknown>();
    const second = deferred<unknown>();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: waitFor(first, false), post: true }), 1)
      .addTask(rec.task("B", { pre: waitFor(second, false), post: true }), 1)
      .build();
    let listenerCalls = 0;
    // Task events: A startPre, B startPre, A succeed (the crash, when A's promise settles).
    crashOn("task", 3, bug);
    const unhandled = await watchUnhandled(async () => {
      let settled = false;
      const run = rejectionOf(
        processor.processTasks(undefined, { onEvent: () => listenerCalls++ }),
      ).finally(() => {
        settled = true;
      });
      await flush();
      expect(settled).toBe(false);
      first.resolve("ok");
      expect(await run).toBe(bug);
      const seen = listenerCalls;
      second.reject(new Error("B fails after the crash"));
      for (let i = 0; i < 5; i++) await flush();
      expect(listenerCalls).toBe(seen);
      expect(rec.scope("B.pre").signal.aborted).toBe(false);
      expect(rec.started("A.post") || rec.started("B.post")).toBe(false);
    });
    expect(unhandled).toEqual([]);
  });

  it("INV-34: an engine error while reporting an attempt event crashes the run the same way; a pending timeout timer fires into a run that does nothing", async () => {
    const bug = new Error("attempt log bug");
    const rec = new Recorder();
    const virtual = new VirtualClock();
    const { clock, calls: clockCalls } = countingClock(virtual);
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("slow", {
          execute: taskFunc(() => new Promise(() => {}), { timeoutMs: 50 }),
          postExecute: rec.fn("slow", "post", true),
        }),
        1,
      )
      .addTask(rec.task("sync", { exec: true, post: true }), 1)
      .build();
    let listenerCalls = 0;
    // Attempt events: slow start, sync start, sync succeed (the crash).
    crashOn("attempt", 3, bug);
    const unhandled = await watchUnhandled(async () => {
      const error = await rejectionOf(
        processor.processTasks(undefined, { clock, onEvent: () => listenerCalls++ }),
      );
      expect(error).toBe(bug);
      const seenListener = listenerCalls;
      const seenClock = clockCalls();
      expect(virtual.pendingTimers).toBe(1); // slow's timeout, set before the crash
      await virtual.runAll();
      expect(listenerCalls).toBe(seenListener);
      expect(clockCalls()).toBe(seenClock); // no clock call: no abandonment timer, no now()
      expect(rec.log).toEqual(["sync.exec>", "sync.exec<"]);
    });
    expect(unhandled).toEqual([]);
  });

  it("INV-34: an engine error after the run settled (acting on an abandoned attempt's late settlement) is rethrown as an uncaught exception, not dropped", async () => {
    const bug = new Error("late settlement bug");
    const late = deferred<unknown>();
    const virtual = new VirtualClock();
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("held", {
          execute: taskFunc(() => late.promise, { timeoutMs: 10, abandonAfterMs: 5 }),
        }),
        1,
      )
      .build();
    const events: LifecycleEvent[] = [];
    const uncaught = await captureUncaught(async () => {
      const run = processor.processTasks(undefined, {
        clock: virtual,
        onEvent: (e) => events.push(e),
      });
      const rejection = rejectionOf(run); // handled before it rejects
      await virtual.runAll();
      const error = await rejection;
      expect(error).toBeInstanceOf(SdaxExecutionError);
      // Attempt events so far: start, timeout, abandon; the late settlement's is the crash.
      expect(events.filter((e) => e.type === "attempt")).toHaveLength(3);
      crashOn("attempt", 1, bug);
      late.resolve("at last");
    });
    expect(uncaught).toEqual([bug]);
  });

  it("INV-34 PR-5: in a phase runner, the crashed call resolves, close() resolves, and raiseFailures() throws the engine's error", async () => {
    const bug = new Error("engine bug in a runner");
    const rec = new Recorder();
    const gate = deferred<unknown>();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("P", { pre: waitFor(gate, false), post: true }), 1)
      .addTask(rec.task("Q", { pre: true, post: true }), 1)
      .build();
    let listenerCalls = 0;
    crashOn("task", 3, bug);
    const unhandled = await watchUnhandled(async () => {
      const runner = processor.open(undefined, { onEvent: () => listenerCalls++ });
      await expect(runner.runNext()).resolves.toBeTypeOf("boolean");
      await expect(runner.close()).resolves.toBeUndefined();
      expect(() => runner.raiseFailures()).toThrow(bug);
      const seen = listenerCalls;
      gate.reject(new Error("P fails after the crash"));
      for (let i = 0; i < 5; i++) await flush();
      expect(listenerCalls).toBe(seen);
      expect(rec.started("P.post") || rec.started("Q.post")).toBe(false);
    });
    expect(unhandled).toEqual([]);
  });

  it("INV-34 PR-9: once a runner's run crashed, nextPhase is null and runNext() resolves false (the crashed call too), so a runNext loop under await using ends, and disposing throws the engine's error", async () => {
    const bug = new Error("engine bug where the runner stops");
    const rec = new Recorder();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: true, exec: true, post: true }), 1)
      .build();
    crashOnRunEvent("allEntered", bug);
    const answers: boolean[] = [];
    let disposed: unknown;
    try {
      await using runner = processor.open(undefined, { onEvent: () => {} });
      for (let more = true; more; ) {
        more = await runner.runNext();
        answers.push(more);
      }
      expect(runner.nextPhase).toBeNull();
      await expect(runner.runNext()).resolves.toBe(false);
      await expect(runner.close()).resolves.toBeUndefined();
    } catch (error) {
      disposed = error;
    }
    expect(answers).toEqual([false]);
    expect(disposed).toBe(bug);
    expect(rec.started("A.exec") || rec.started("A.post")).toBe(false);
  });

  it("INV-34: an engine error reporting the run's own settlement rejects processTasks with it, and is not also thrown as uncaught", async () => {
    const bug = new Error("engine bug reporting allTornDown");
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("A", { preExecute: () => {}, postExecute: () => {} }), 1)
      .build();
    crashOnRunEvent("allTornDown", bug);
    const uncaught = await captureUncaught(async () => {
      await expect(
        rejectionOf(processor.processTasks(undefined, { onEvent: () => {} })),
      ).resolves.toBe(bug);
      const runner = processor.open(undefined, { onEvent: () => {} });
      while (await runner.runNext()) {}
      expect(() => runner.raiseFailures()).toThrow(bug);
    });
    expect(uncaught).toEqual([]);
  });
});
