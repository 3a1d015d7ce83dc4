import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  isSdaxExecutionError,
  type LifecycleEvent,
  type SdaxExecutionError,
  type TaskScope,
  task,
} from "../../src/index.js";
import { captureUncaught } from "../functions/helpers.js";
import { executionErrorOf, isAbortError } from "../helpers/async.js";
import {
  ABORTED_AT_START,
  collectEvents,
  deferred,
  eventWords,
  flush,
  lastRunEvent,
  Recorder,
  trackAbortListeners,
  waitFor,
} from "../helpers/recorder.js";

describe("spec 5: external abort (RunOptions.signal)", () => {
  it("INV-17 INV-14: a signal aborted before the run starts: nothing is entered, no function runs, the run rejects with cause = reason and no failures", async () => {
    const rec = new Recorder();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: true, exec: true, post: true }), 1)
      .addTask(rec.task("P", { post: true }), 1) // no pre: not entered either
      .addTask(rec.task("B", { exec: true }), 2)
      .build();
    const controller = new AbortController();
    const reason = new Error("client went away");
    controller.abort(reason);
    const listeners = trackAbortListeners(controller.signal);
    const { events, onEvent } = collectEvents();
    const error = await executionErrorOf(
      processor.processTasks(undefined, { signal: controller.signal, onEvent }),
    );
    expect(rec.log).toEqual([]);
    expect(error.failures).toEqual([]);
    expect(error.errors).toEqual([]);
    expect(error.cause).toBe(reason);
    expect(error.aborted).toBe(true);
    expect(eventWords(events)).toEqual(ABORTED_AT_START);
    expect(events.at(-1)).toMatchObject({ to: "settled", outcome: "failed", aborted: true });
    expect(listeners.active).toBe(0);
  });

  it("INV-4 INV-7 INV-14 INV-19: an abort during preExecute cancels the running pres (AbortError), starts nothing new, cleans up what started and removes its listener", async () => {
    const rec = new Recorder();
    const gate = deferred<unknown>();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: waitFor(gate), exec: true, post: true }), 1)
      .addTask(rec.task("B", { pre: true, exec: true, post: true }), 1)
      .addTask(rec.task("C", { pre: true, post: true }), 2)
      .build();
    const controller = new AbortController();
    const listeners = trackAbortListeners(controller.signal);
    const run = executionErrorOf(processor.processTasks(undefined, { signal: controller.signal }));
    await flush();
    expect(listeners.active).toBe(1);
    const reason = { why: "shutdown" };
    controller.abort(reason);
    const error = await run;
    const signal = rec.scope("A.pre").signal;
    expect(signal.aborted).toBe(true);
    expect(isAbortError(signal.reason)).toBe(true);
    expect(rec.starts()).toEqual(["A.pre", "B.pre", "A.post", "B.post"]);
    expect(error.failures).toEqual([]);
    expect(error.cause).toBe(reason);
    expect(error.aborted).toBe(true);
    expect(listeners.added).toBe(1);
    expect(listeners.active).toBe(0);
  });

  it("INV-4 INV-6 INV-7 INV-14 INV-19: an abort during execute cancels every running execute and every post still runs", async () => {
    const rec = new Recorder();
    const gate = deferred<unknown>();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: true, exec: waitFor(gate), post: true }), 1)
      .addTask(rec.task("B", { exec: waitFor(gate), post: true }), 2)
      .build();
    const controller = new AbortController();
    const listeners = trackAbortListeners(controller.signal);
    const run = executionErrorOf(processor.processTasks(undefined, { signal: controller.signal }));
    await flush();
    expect(rec.starts()).toEqual(["A.pre", "A.exec", "B.exec"]);
    const reason = new Error("deadline");
    controller.abort(reason);
    const error = await run;
    for (const key of ["A.exec", "B.exec"]) {
      expect(isAbortError(rec.scope(key).signal.reason), key).toBe(true);
    }
    expect(rec.starts().slice(3)).toEqual(["B.post", "A.post"]);
    expect(rec.scope("A.post").signal.aborted).toBe(false);
    expect(error.failures).toEqual([]);
    expect(error.cause).toBe(reason);
    expect(listeners.active).toBe(0);
  });

  it("INV-12 INV-19: an abort during postExecute aborts nothing: the post completes and the run resolves as it would have", async () => {
    const rec = new Recorder();
    const gate = deferred<unknown>();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: true, exec: true, post: waitFor(gate) }), 1)
      .addTask(rec.task("B", { pre: true, post: true }), 2)
      .build();
    const controller = new AbortController();
    const listeners = trackAbortListeners(controller.signal);
    const { events, onEvent } = collectEvents();
    const run = processor.processTasks(undefined, { signal: controller.signal, onEvent });
    await flush();
    expect(rec.starts().at(-1)).toBe("A.post");
    expect(listeners.added).toBe(1);
    expect(listeners.active).toBe(0); // removed when cleanup began
    controller.abort(new Error("too late"));
    await flush();
    expect(rec.scope("A.post").signal.aborted).toBe(false);
    gate.resolve(undefined);
    await expect(run).resolves.toMatchObject({ tasks: 2 });
    expect(rec.log).toContain("A.post<");
    expect(events.some((e) => e.type === "run" && e.event === "abort")).toBe(false);
    expect(events.at(-1)).toMatchObject({ to: "settled", outcome: "succeeded", aborted: false });
  });

  it("INV-12 INV-14 INV-19: an abort during the postExecute of a failed run changes nothing: the run rejects with its real failure only, no cause", async () => {
    const rec = new Recorder();
    const gate = deferred<unknown>();
    const boom = new Error("exec");
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        rec.task("A", {
          exec: () => {
            throw boom;
          },
          post: waitFor(gate),
        }),
        1,
      )
      .build();
    const controller = new AbortController();
    const run = executionErrorOf(processor.processTasks(undefined, { signal: controller.signal }));
    await flush();
    expect(rec.started("A.post")).toBe(true);
    controller.abort(new Error("too late"));
    gate.resolve(undefined);
    const error = await run;
    expect(rec.log).toContain("A.post<");
    expect(error.failures).toEqual([
      { task: "A", phase: "execute", error: boom, attempts: 1, afterCancel: false },
    ]);
    expect(error.aborted).toBe(false);
    expect(error.cause).toBeUndefined();
  });

  it("INV-13 INV-19: a successful run with a signal removes its abort listener before it settles", async () => {
    const rec = new Recorder();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: async () => undefined, post: true }), 1)
      .build();
    const controller = new AbortController();
    const listeners = trackAbortListeners(controller.signal);
    await processor.processTasks(undefined, { signal: controller.signal });
    expect(listeners.added).toBe(1);
    expect(listeners.active).toBe(0);
  });

  it("INV-11 INV-13: an abort while a cancelled preExecute ignores its signal: the run settles only after that function settled", async () => {
    const rec = new Recorder();
    const stubborn = deferred<unknown>();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: waitFor(stubborn, false), post: true }), 1)
      .build();
    const controller = new AbortController();
    let settled = false;
    const run = executionErrorOf(
      processor.processTasks(undefined, { signal: controller.signal }),
    ).finally(() => {
      settled = true;
    });
    controller.abort("stop");
    for (let i = 0; i < 5; i++) await flush();
    expect(rec.scope("A.pre").signal.aborted).toBe(true);
    expect(rec.started("A.post")).toBe(false);
    expect(settled).toBe(false);
    stubborn.resolve(undefined);
    const error = await run;
    expect(error.cause).toBe("stop");
    expect(rec.starts()).toEqual(["A.pre", "A.post"]);
  });

  it("INV-14 INV-19: an abort while the run is already failing changes nothing: the outcome stays that of the failure, not aborted, no cause", async () => {
    const rec = new Recorder();
    const boom = new Error("A.pre");
    const stubborn = deferred<unknown>();
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        rec.task("A", {
          pre: () => {
            throw boom;
          },
          post: true,
        }),
        1,
      )
      .addTask(rec.task("B", { pre: waitFor(stubborn, false), post: true }), 1)
      .build();
    const controller = new AbortController();
    const listeners = trackAbortListeners(controller.signal);
    const { events, onEvent } = collectEvents();
    const run = executionErrorOf(
      processor.processTasks(undefined, { signal: controller.signal, onEvent }),
    );
    await flush();
    expect(lastRunEvent(events)).toMatchObject({ to: "failing" });
    controller.abort(new Error("late"));
    await flush();
    stubborn.resolve(undefined);
    const error = await run;
    expect(error.failures).toEqual([
      { task: "A", phase: "preExecute", error: boom, attempts: 1, afterCancel: false },
    ]);
    expect(error.aborted).toBe(false);
    expect(error.cause).toBeUndefined();
    expect(events.some((e) => e.type === "run" && e.event === "abort")).toBe(false);
    expect(events.at(-1)).toMatchObject({ to: "settled", outcome: "failed", aborted: false });
    expect(listeners.active).toBe(0);
  });

  // Regression guard: an abort dispatched synchronously from inside the engine's own step (a
  // synchronous phase function aborting the run's signal, or an onEvent listener doing so) once
  // was acted on re-entrantly, in the middle of Attempt.start(), hanging or crashing the run.
  // The engine now queues such an abort until the current step is whole (Run.#drain), and an
  // attempt cancelled during its own synchronous call still settles (Attempt.start).
  for (const phase of ["preExecute", "execute"] as const) {
    it(`INV-7 INV-13 INV-14: a synchronous ${phase} that aborts the run's own signal and returns: the run settles and its post runs`, async () => {
      const controller = new AbortController();
      const log: string[] = [];
      const body = () => {
        log.push("body");
        controller.abort("from inside");
      };
      const post = () => {
        log.push("post");
      };
      const processor = AsyncTaskProcessor.builder()
        .addTask(task("A", { [phase]: body, postExecute: post }), 1)
        .build();
      let outcome: unknown = "pending";
      processor.processTasks(undefined, { signal: controller.signal }).then(
        () => {
          outcome = "resolved";
        },
        (e: unknown) => {
          outcome = e;
        },
      );
      for (let i = 0; i < 5; i++) await flush();
      expect(log).toEqual(["body", "post"]);
      expect(isSdaxExecutionError(outcome)).toBe(true);
      expect((outcome as SdaxExecutionError).cause).toBe("from inside");
      expect((outcome as SdaxExecutionError).failures).toEqual([]);
    });
  }

  it("INV-7 INV-14: a synchronous preExecute that aborts the run's own signal and then throws: a cancelled phase, not an internal crash", async () => {
    const controller = new AbortController();
    const log: string[] = [];
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("A", {
          preExecute: () => {
            controller.abort("from inside");
            throw new Error("noticed the abort");
          },
          postExecute: () => {
            log.push("post");
          },
        }),
        1,
      )
      .build();
    const error: unknown = await processor
      .processTasks(undefined, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(isSdaxExecutionError(error)).toBe(true);
    expect((error as SdaxExecutionError).cause).toBe("from inside");
    expect(log).toEqual(["post"]);
  });

  it("INV-11 INV-13: an onEvent listener that aborts the signal at an attempt's start: the run still waits for that function before its post and before settling", async () => {
    const controller = new AbortController();
    const rec = new Recorder();
    const gate = deferred<unknown>();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: waitFor(gate, false), post: true }), 1)
      .build();
    let settled = false;
    processor
      .processTasks(undefined, {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === "attempt" && e.event === "start") controller.abort("listener");
        },
      })
      .catch(() => undefined)
      .finally(() => {
        settled = true;
      });
    for (let i = 0; i < 5; i++) await flush();
    // Observed: the attempt was marked settled before its function was called; the function was
    // called anyway, A.post ran while A.pre was still running, and the run settled (an orphan).
    // (Not calling the function at all would be a correct fix too; calling it and not waiting is not.)
    const called = rec.started("A.pre");
    if (called) {
      expect(rec.started("A.post")).toBe(false);
      expect(settled).toBe(false);
    }
    gate.resolve(undefined);
    for (let i = 0; i < 5; i++) await flush();
    expect(settled).toBe(true);
    if (called) expect(rec.log.indexOf("A.post>")).toBeGreaterThan(rec.log.indexOf("A.pre<"));
  });

  it("INV-19 INV-5: an abort signalled by the listener of allEntered starts no execute; every post runs", async () => {
    const controller = new AbortController();
    const log: string[] = [];
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("A", {
          preExecute: () => log.push("A.pre"),
          execute: () => log.push("A.exec"),
          postExecute: () => log.push("A.post"),
        }),
        1,
      )
      .build();
    const error = await executionErrorOf(
      processor.processTasks(undefined, {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === "run" && e.event === "allEntered") controller.abort("stop now");
        },
      }),
    );
    expect(log).toEqual(["A.pre", "A.post"]);
    expect(error.cause).toBe("stop now");
    expect(error.failures).toEqual([]);
  });

  it("INV-19: an abort signalled by the listener of allExecuted fails the run before cleanup; every post still runs", async () => {
    const controller = new AbortController();
    const log: string[] = [];
    const events: string[] = [];
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("A", { execute: () => log.push("A.exec"), postExecute: () => log.push("A.post") }),
        1,
      )
      .build();
    const error = await executionErrorOf(
      processor.processTasks(undefined, {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === "run") events.push(e.event);
          if (e.type === "run" && e.event === "allExecuted") controller.abort("late");
        },
      }),
    );
    expect(log).toEqual(["A.exec", "A.post"]);
    expect(events).toEqual([
      "start",
      "allEntered",
      "execute",
      "allExecuted",
      "abort",
      "quiesce",
      "cleanup",
      "allTornDown",
    ]);
    expect(error.cause).toBe("late");
  });

  it("INV-19 INV-4: an abort signalled by a listener of an async attempt's fail event takes effect after that step: the failure is the run's outcome, not the abort", async () => {
    const controller = new AbortController();
    const boom = new Error("A.pre");
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("A", {
          preExecute: async () => {
            await Promise.resolve();
            throw boom;
          },
        }),
        1,
      )
      .addTask(
        task("B", {
          preExecute: (_ctx, scope) =>
            new Promise((_resolve, reject) =>
              scope.signal.addEventListener("abort", () => reject(scope.signal.reason)),
            ),
          postExecute: () => {},
        }),
        1,
      )
      .build();
    const runEvents: string[] = [];
    const error = await executionErrorOf(
      processor.processTasks(undefined, {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === "run") runEvents.push(e.event);
          if (e.type === "attempt" && e.event === "fail") controller.abort("listener");
        },
      }),
    );
    expect(error.aborted).toBe(false);
    expect(error.cause).toBeUndefined();
    expect(error.failures.map((f) => f.error)).toEqual([boom]);
    expect(runEvents).toEqual(["start", "fail", "quiesce", "cleanup", "allTornDown"]);
  });

  it("INV-15 INV-19: a thousand concurrent runs sharing one signal add one abort listener between them, all see the abort, and none is left", async () => {
    const controller = new AbortController();
    const listeners = trackAbortListeners(controller.signal);
    const untilAborted = (_ctx: unknown, scope: TaskScope) =>
      new Promise((_resolve, reject) =>
        scope.signal.addEventListener("abort", () => reject(scope.signal.reason), { once: true }),
      );
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("A", { preExecute: untilAborted, postExecute: () => {} }), 1)
      .build();
    const runs = Array.from({ length: 1000 }, () =>
      executionErrorOf(processor.processTasks(undefined, { signal: controller.signal })),
    );
    await flush();
    expect(listeners.active).toBe(1);
    controller.abort("everyone");
    const errors = await Promise.all(runs);
    expect(errors.every((e) => e.aborted && e.cause === "everyone")).toBe(true);
    expect(listeners.added).toBe(1);
    expect(listeners.active).toBe(0);
  });

  it("INV-19: runs sharing one signal that settle without an abort leave no listener behind", async () => {
    const controller = new AbortController();
    const listeners = trackAbortListeners(controller.signal);
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("A", { execute: async () => {} }), 1)
      .build();
    await Promise.all(
      Array.from({ length: 50 }, () =>
        processor.processTasks(undefined, { signal: controller.signal }),
      ),
    );
    expect(listeners.active).toBe(0);
  });
});

// A signal is user input. Its replaced methods and getters used to crash a run at cleanup
// (skipping postExecute), lose an abort, or settle a run while a function still ran; an object
// merely inheriting from AbortSignal.prototype was accepted, and an abort signalled by the
// clock while the deadline was set was lost.
describe("INV-33: the signal is user input", () => {
  const workflow = (rec: Recorder) =>
    AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: true, post: true }), 1)
      .addTask(rec.task("B", { pre: true, post: true }), 2)
      .build();
  const replaced = (signal: AbortSignal, key: string, thrown: Error) =>
    Object.defineProperty(signal, key, {
      configurable: true,
      get() {
        throw thrown;
      },
    });

  it("INV-33 INV-7 INV-13: a removeEventListener that throws is rethrown as uncaught; cleanup runs, no listener is left, an abort still takes effect", async () => {
    for (const abort of [false, true]) {
      const rec = new Recorder();
      const controller = new AbortController();
      const gate = deferred();
      const thrown = new Error("removeEventListener throws");
      Object.defineProperty(controller.signal, "removeEventListener", {
        configurable: true,
        value: () => {
          throw thrown;
        },
      });
      const processor = AsyncTaskProcessor.builder()
        .addTask(rec.task("A", { pre: waitFor(gate), post: true }), 1)
        .build();
      let outcome: unknown;
      const uncaught = await captureUncaught(async () => {
        const run = processor.processTasks(undefined, { signal: controller.signal }).then(
          () => "resolved",
          (error: unknown) => error,
        );
        await flush();
        if (abort) controller.abort("stop");
        else gate.resolve();
        outcome = await run;
      });
      expect(rec.log).toEqual(["A.pre>", abort ? "A.pre!" : "A.pre<", "A.post>", "A.post<"]);
      if (abort) expect((outcome as SdaxExecutionError).cause).toBe("stop");
      else expect(outcome).toBe("resolved");
      expect(uncaught).toEqual([thrown]);
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    }
  });

  it("INV-33 INV-17: an aborted getter or addEventListener that throws when the run starts aborts it before anything is entered, saying so", async () => {
    for (const key of ["aborted", "addEventListener"]) {
      const rec = new Recorder();
      const controller = new AbortController();
      const thrown = new Error(`${key} throws`);
      replaced(controller.signal, key, thrown);
      const { events, onEvent } = collectEvents();
      const error = await executionErrorOf(
        workflow(rec).processTasks(undefined, { signal: controller.signal, onEvent }),
      );
      expect(rec.log).toEqual([]);
      expect(error.aborted).toBe(true);
      expect(error.cause).toMatchObject({
        message: "sdax run: its signal could not be read or watched",
        cause: thrown,
      });
      expect(eventWords(events)).toEqual(ABORTED_AT_START);
    }
  });

  it("INV-33 INV-7 INV-13: a reason getter that throws when the signal aborts: the run aborts with an error saying so, waits for its functions and cleans up", async () => {
    const rec = new Recorder();
    const controller = new AbortController();
    const gate = deferred();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: waitFor(gate, false), post: true }), 1)
      .build();
    let settled = false;
    const run = executionErrorOf(processor.processTasks(undefined, { signal: controller.signal }));
    void run.then(() => {
      settled = true;
    });
    await flush();
    const thrown = new Error("reason getter");
    replaced(controller.signal, "reason", thrown);
    controller.abort();
    await flush();
    expect(settled).toBe(false); // A.pre ignores its signal and still runs
    gate.resolve();
    const error = await run;
    expect(rec.log).toEqual(["A.pre>", "A.pre<", "A.post>", "A.post<"]);
    expect(error.cause).toMatchObject({
      message: "sdax run: its signal's reason could not be read",
      cause: thrown,
    });
  });

  it("INV-33: an object that only inherits from AbortSignal.prototype is refused before anything runs", async () => {
    const rec = new Recorder();
    const fake = Object.create(AbortSignal.prototype) as AbortSignal;
    await expect(workflow(rec).processTasks(undefined, { signal: fake })).rejects.toThrow(
      "run options: `signal` must be an AbortSignal, got an object that inherits from AbortSignal.prototype but is no signal (use an AbortController's signal)",
    );
    expect(() => workflow(rec).open(undefined, { signal: fake })).toThrow(TypeError);
    expect(rec.log).toEqual([]);
  });

  it("INV-17 INV-19: a signal aborted from inside the clock's setTimeout, as the deadline is set, counts as aborted when the run started", async () => {
    const rec = new Recorder();
    const controller = new AbortController();
    const clock = {
      now: () => 0,
      setTimeout: () => {
        controller.abort("from the clock");
        return 1;
      },
      clearTimeout: () => {},
    };
    const { events, onEvent } = collectEvents();
    const error = await executionErrorOf(
      workflow(rec).processTasks(undefined, {
        signal: controller.signal,
        clock,
        timeoutMs: 50,
        onEvent,
      }),
    );
    expect(rec.log).toEqual([]);
    expect(error.cause).toBe("from the clock");
    expect(eventWords(events)).toEqual(ABORTED_AT_START);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("INV-19: an abort signalled while a task is entered takes effect before the next is entered; one signalled as executes start, once all started", async () => {
    const words = (events: readonly LifecycleEvent[]) =>
      events.flatMap((e) =>
        e.type === "task" ? [`${e.task}:${e.event}`] : e.type === "run" ? [`run:${e.event}`] : [],
      );
    const run = async (abortIn: "preExecute" | "execute") => {
      const controller = new AbortController();
      const phase = (name: string, which: "preExecute" | "execute") => async () => {
        if (name === "r1" && which === abortIn) controller.abort("stop");
      };
      const processor = AsyncTaskProcessor.builder()
        .addTask(
          task("r1", { preExecute: phase("r1", "preExecute"), execute: phase("r1", "execute") }),
          1,
        )
        .addTask(
          task("r2", { preExecute: phase("r2", "preExecute"), execute: phase("r2", "execute") }),
          1,
        )
        .build();
      const { events, onEvent } = collectEvents();
      await executionErrorOf(
        processor.processTasks(undefined, { signal: controller.signal, onEvent }),
      );
      return words(events);
    };
    const pre = await run("preExecute");
    expect(pre.slice(0, 4)).toEqual(["run:start", "r1:startPre", "run:abort", "r1:cancel"]);
    expect(pre).toContain("r2:skip");
    expect(pre).not.toContain("r2:startPre");
    const exec = await run("execute");
    const started = exec.indexOf("r2:startExec");
    expect(exec.indexOf("r1:startExec")).toBeLessThan(started);
    expect(started).toBeLessThan(exec.indexOf("run:abort"));
  });
});
