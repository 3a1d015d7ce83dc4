/**
 * spec/lifecycle.md INV-14 and INV-32: no failure is lost. Two functions that fail in the same
 * turn are both failures, in start order; a cancelled function that then fails with an error of
 * its own (a rollback that threw) is a failure after its cancellation; a cancellation echoed
 * back (the signal's reason, an `AbortError`) is not; an abandoned function's late rejection is
 * a late settlement, not a failure.
 */
import { describe, expect, it } from "vitest";
import {
  type AsyncTask,
  AsyncTaskProcessor,
  type AttemptTransitionEvent,
  checkTrace,
  join,
  type LifecycleEvent,
  type TaskScope,
  type TaskTransitionEvent,
  task,
  taskFunc,
} from "../../src/index.js";
import { attemptEvents, errorOf, runOn, taskEvents, watchUnhandled } from "../functions/helpers.js";
import { executionErrorOf } from "../helpers/async.js";
import { collectEvents, deferred, flush, Recorder } from "../helpers/recorder.js";

type Phase = "preExecute" | "execute";

/** A level-1 processor of the given tasks, in the order given. */
function level(...tasks: AsyncTask<unknown>[]): AsyncTaskProcessor<unknown> {
  const builder = AsyncTaskProcessor.builder<unknown>();
  for (const t of tasks) builder.addTask(t, 1);
  return builder.build();
}

/** The task `fail` event of `name`, which must be the only one. */
function failEvent(events: readonly LifecycleEvent[], name: string): TaskTransitionEvent {
  const fails = events.filter(
    (e): e is TaskTransitionEvent => e.type === "task" && e.task === name && e.event === "fail",
  );
  expect(fails).toHaveLength(1);
  return fails[0]!;
}

/** The attempt events of `name`'s `phase`, as `from-event-to`. */
function attemptPath(events: readonly LifecycleEvent[], name: string, phase: Phase): string[] {
  return events
    .filter(
      (e): e is AttemptTransitionEvent =>
        e.type === "attempt" && e.task === name && e.phase === phase,
    )
    .map((e) => `${e.from}-${e.event}-${e.to}`);
}

/**
 * Task A fails at once; task B, started before it (so it is running when A fails), reacts to
 * its signal's abort with `onAbort(signal)`; both have a recorded postExecute.
 */
async function cancelledB(
  phase: Phase,
  onAbort: (signal: AbortSignal, scope: TaskScope) => Promise<unknown>,
) {
  const rec = new Recorder();
  const boom = new Error("A failed");
  const short = phase === "preExecute" ? "pre" : "exec";
  const processor = level(
    rec.task("B", {
      [short]: (_ctx: unknown, scope: TaskScope) => {
        const signal = scope.signal;
        return new Promise((resolve, reject) => {
          signal.addEventListener("abort", () => onAbort(signal, scope).then(resolve, reject), {
            once: true,
          });
        });
      },
      post: true,
    }),
    rec.task("A", {
      [short]: () => {
        throw boom;
      },
      post: true,
    }),
  );
  const { events, onEvent } = collectEvents();
  const order: string[] = rec.log;
  const error = await executionErrorOf(
    processor.processTasks(undefined, { onEvent }).finally(() => order.push("settled")),
  );
  return { rec, boom, processor, events, error, signal: rec.scope(`B.${short}`).signal };
}

describe("INV-14 INV-32: failures decided in one turn are all kept, in start order", () => {
  for (const phase of ["execute", "preExecute"] as const) {
    it(`INV-14 INV-32: two async ${phase} functions that both throw before their first await are both failures, in start order, the second after its cancellation`, async () => {
      const first = new Error("first");
      const second = new RangeError("second");
      const posts: string[] = [];
      const processor = level(
        task("one", {
          [phase]: async () => {
            throw first;
          },
          postExecute: () => {
            posts.push("one");
          },
        }),
        task("two", {
          [phase]: async () => {
            throw second;
          },
          postExecute: () => {
            posts.push("two");
          },
        }),
      );
      const { events, onEvent } = collectEvents();
      const error = await executionErrorOf(processor.processTasks(undefined, { onEvent }));
      expect(error.failures).toEqual([
        { task: "one", phase, error: first, attempts: 1, afterCancel: false },
        { task: "two", phase, error: second, attempts: 1, afterCancel: true },
      ]);
      expect(error.failures[0]!.error).toBe(first);
      expect(error.failures[1]!.error).toBe(second);
      const leaves = error.leafErrors();
      expect(leaves).toHaveLength(2);
      expect(leaves[0]).toBe(first);
      expect(leaves[1]).toBe(second);
      expect(error.message).toContain('task "two"');
      expect(error.message).toContain("after its cancellation");
      expect(posts.sort()).toEqual(["one", "two"]);

      const running = phase === "execute" ? "execRunning" : "preRunning";
      const cancelling = phase === "execute" ? "execCancelling" : "preCancelling";
      const failing = phase === "execute" ? "execFailing" : "preFailing";
      const oneFail = failEvent(events, "one");
      const twoFail = failEvent(events, "two");
      expect(oneFail).toMatchObject({ from: running, to: failing, afterCancel: false, phase });
      expect(oneFail.error).toEqual({ name: "Error", message: "first" });
      expect(twoFail).toMatchObject({ from: cancelling, to: failing, afterCancel: true, phase });
      expect(twoFail.error).toEqual({ name: "RangeError", message: "second" });
      expect(twoFail.seq).toBeGreaterThan(oneFail.seq);
      // The second was cancelled by the first's failure, then failed on its own.
      expect(attemptPath(events, "two", phase)).toEqual([
        "idle-start-running",
        "running-cancel-cancelling",
        "cancelling-fail-settling",
        "settling-settle-ended",
      ]);
      const attemptFail = attemptEvents(events, { task: "two", event: "fail" });
      expect(attemptFail).toHaveLength(1);
      expect(attemptFail[0]!.error).toEqual({ name: "RangeError", message: "second" });
      expect(attemptFail[0]!.seq).toBeLessThan(twoFail.seq);
      // The settled event reports both, in the same order.
      const settled = events.at(-1)!;
      expect(settled).toMatchObject({ type: "run", to: "settled", outcome: "failed" });
      expect(settled.type === "run" && settled.failures).toEqual([
        { task: "one", phase, attempts: 1, afterCancel: false, error: oneFail.error },
        { task: "two", phase, attempts: 1, afterCancel: true, error: twoFail.error },
      ]);
      expect(checkTrace(events, processor)).toEqual([]);
    });
  }

  for (const phase of ["execute", "preExecute"] as const) {
    it(`INV-14: two ${phase} functions that throw synchronously are both failures, in start order, and the second is never cancelled`, async () => {
      const first = new Error("first");
      const second = "second, thrown as a string";
      const processor = level(
        task("one", {
          [phase]: () => {
            throw first;
          },
        }),
        task("two", {
          [phase]: () => {
            throw second;
          },
        }),
      );
      const { events, onEvent } = collectEvents();
      const error = await executionErrorOf(processor.processTasks(undefined, { onEvent }));
      expect(error.failures).toEqual([
        { task: "one", phase, error: first, attempts: 1, afterCancel: false },
        { task: "two", phase, error: second, attempts: 1, afterCancel: false },
      ]);
      expect(taskEvents(events, "two", "cancel")).toEqual([]);
      expect(attemptPath(events, "two", phase)).toEqual([
        "idle-start-running",
        "running-fail-settling",
        "settling-settle-ended",
      ]);
      expect(failEvent(events, "two").seq).toBeGreaterThan(failEvent(events, "one").seq);
      expect(checkTrace(events, processor)).toEqual([]);
    });
  }

  it("INV-14: preExecutes entered in one step that throw synchronously are listed in start order, not in the order the tasks were added", async () => {
    // Started a, b, then c (c waits for the join j, ready once entered); added a, j, c, b.
    const builder = AsyncTaskProcessor.graphBuilder<unknown>();
    const thrower = (name: string) => () => {
      throw new Error(name);
    };
    builder.addTask(task("a", { preExecute: thrower("a") }), []);
    builder.addTask(join("j"), []);
    builder.addTask(task("c", { preExecute: thrower("c") }), ["j"]);
    builder.addTask(task("b", { preExecute: thrower("b") }), []);
    const processor = builder.build();
    const { events, onEvent } = collectEvents();
    const error = await executionErrorOf(processor.processTasks(undefined, { onEvent }));
    const starts = taskEvents(events, undefined, "startPre").map((e) => e.task);
    expect(starts).toEqual(["a", "b", "c"]);
    expect(error.failures.map((f) => [f.task, f.afterCancel])).toEqual([
      ["a", false],
      ["b", false],
      ["c", false],
    ]);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-14 INV-32: without onEvent, two async executes that throw before their first await are both failures", async () => {
    const first = new Error("first");
    const second = new Error("second");
    const processor = level(
      task("one", {
        execute: async () => {
          throw first;
        },
      }),
      task("two", {
        execute: async () => {
          throw second;
        },
      }),
    );
    const error = await executionErrorOf(processor.processTasks(undefined));
    expect(error.failures.map((f) => [f.task, f.error, f.afterCancel])).toEqual([
      ["one", first, false],
      ["two", second, true],
    ]);
    expect(error.errors).toEqual([first, second]);
  });
});

describe("INV-32: a cancelled function's own failure", () => {
  for (const phase of ["execute", "preExecute"] as const) {
    it(`INV-32: a cancelled ${phase} whose function rejects on abort with its own error (a rollback that failed) fails after its cancellation`, async () => {
      const rollback = new Error("rollback failed");
      const { rec, boom, processor, events, error, signal } = await cancelledB(phase, () =>
        Promise.reject(rollback),
      );
      expect(signal.aborted).toBe(true);
      expect(error.failures).toEqual([
        { task: "A", phase, error: boom, attempts: 1, afterCancel: false },
        { task: "B", phase, error: rollback, attempts: 1, afterCancel: true },
      ]);
      expect(error.message).toContain("after its cancellation");
      expect(error.message).toContain("rollback failed");
      expect(failEvent(events, "B")).toMatchObject({
        afterCancel: true,
        error: { name: "Error", message: "rollback failed" },
      });
      // Both teardowns ran before the run settled.
      const settledAt = rec.log.indexOf("settled");
      expect(rec.log.indexOf("A.post<")).toBeLessThan(settledAt);
      expect(rec.log.indexOf("B.post<")).toBeLessThan(settledAt);
      expect(rec.log.indexOf("B.post>")).toBeGreaterThan(
        rec.log.indexOf(`B.${phase === "execute" ? "exec" : "pre"}!`),
      );
      expect(checkTrace(events, processor)).toEqual([]);
    });
  }

  it("INV-32: a cancelled execute that rejects with its signal's reason is not a failure", async () => {
    const { boom, processor, events, error, signal } = await cancelledB("execute", (s) =>
      Promise.reject(s.reason),
    );
    expect(signal.reason).toBeInstanceOf(DOMException);
    expect(error.failures).toEqual([
      { task: "A", phase: "execute", error: boom, attempts: 1, afterCancel: false },
    ]);
    expect(error.message).not.toContain("after its cancellation");
    expect(taskEvents(events, "B", "fail")).toEqual([]);
    expect(attemptPath(events, "B", "execute")).toEqual([
      "idle-start-running",
      "running-cancel-cancelling",
      "cancelling-settle-ended",
    ]);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-32: a cancelled execute that rejects with a DOMException named AbortError of its own is not a failure", async () => {
    const own = new DOMException("x", "AbortError");
    const { boom, processor, events, error, signal } = await cancelledB("execute", () =>
      Promise.reject(own),
    );
    expect(own).not.toBe(signal.reason);
    expect(error.failures).toEqual([
      { task: "A", phase: "execute", error: boom, attempts: 1, afterCancel: false },
    ]);
    expect(taskEvents(events, "B", "fail")).toEqual([]);
    expect(taskEvents(events, "B", "settle")).toHaveLength(1);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-32: a cancelled preExecute that rejects with a plain Error named AbortError (what fetch throws) is not a failure", async () => {
    const own = Object.assign(new Error("The operation was aborted"), { name: "AbortError" });
    const { boom, processor, events, error } = await cancelledB("preExecute", () =>
      Promise.reject(own),
    );
    expect(error.failures).toEqual([
      { task: "A", phase: "preExecute", error: boom, attempts: 1, afterCancel: false },
    ]);
    expect(taskEvents(events, "B", "fail")).toEqual([]);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-32: a cancelled execute that resolves on abort is not a failure", async () => {
    const { boom, processor, events, error } = await cancelledB("execute", () =>
      Promise.resolve("stopped cleanly"),
    );
    expect(error.failures).toEqual([
      { task: "A", phase: "execute", error: boom, attempts: 1, afterCancel: false },
    ]);
    expect(taskEvents(events, "B", "settle")).toHaveLength(1);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-32 INV-29: a child spawned by a cancelled execute that rejects with its own error after the cancel fails the phase after its cancellation", async () => {
    const childError = new Error("child cleanup failed");
    const { boom, processor, events, error } = await cancelledB("execute", (signal, scope) => {
      // The function itself echoes the cancellation; a child it spawns now fails on its own.
      void scope.spawn(() => Promise.reject(childError));
      return Promise.reject(signal.reason);
    });
    expect(error.failures).toEqual([
      { task: "A", phase: "execute", error: boom, attempts: 1, afterCancel: false },
      { task: "B", phase: "execute", error: childError, attempts: 1, afterCancel: true },
    ]);
    expect(failEvent(events, "B")).toMatchObject({
      from: "execCancelling",
      afterCancel: true,
      error: { name: "Error", message: "child cleanup failed" },
    });
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-32 INV-14: only the first own rejection after the cancel fails the phase, once; the second is a later error of that failure", async () => {
    const first = new Error("first own");
    const second = new Error("second own");
    const { boom, processor, events, error } = await cancelledB("execute", (_signal, scope) => {
      void scope.spawn(() => Promise.reject(first));
      return Promise.reject(second);
    });
    expect(error.failures).toEqual([
      { task: "A", phase: "execute", error: boom, attempts: 1, afterCancel: false },
      {
        task: "B",
        phase: "execute",
        error: first,
        attempts: 1,
        afterCancel: true,
        laterErrors: [second],
      },
    ]);
    expect(attemptEvents(events, { task: "B", event: "fail" })).toHaveLength(1);
    expect(taskEvents(events, "B", "fail")).toHaveLength(1);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-32 INV-14 INV-19: after an external abort, a preExecute that rejects with its own error is a failure after its cancellation, and the cause is the signal's reason", async () => {
    const controller = new AbortController();
    const own = new Error("could not release the lock");
    const processor = level(
      task("t", {
        preExecute: (_ctx, { signal }) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener("abort", () => reject(own), { once: true });
          }),
        postExecute: () => {},
      }),
    );
    const { events, onEvent } = collectEvents();
    const run = executionErrorOf(
      processor.processTasks(undefined, { onEvent, signal: controller.signal }),
    );
    await flush();
    const reason = new Error("user left");
    controller.abort(reason);
    const error = await run;
    expect(error.aborted).toBe(true);
    expect(error.cause).toBe(reason);
    expect(error.failures).toEqual([
      { task: "t", phase: "preExecute", error: own, attempts: 1, afterCancel: true },
    ]);
    expect(error.message).toContain("run aborted");
    expect(error.message).toContain("after its cancellation");
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-32 INV-27: an abandoned attempt that later rejects with its own error is a late settlement, not a failure", async () => {
    const late = deferred<unknown>();
    const own = new Error("too late to matter");
    const boom = new Error("A failed");
    const processor = AsyncTaskProcessor.builder<Record<string, unknown>>()
      .addTask(
        task("B", {
          execute: taskFunc(() => late.promise, { abandonAfterMs: 10 }),
          postExecute: () => {},
        }),
        1,
      )
      .addTask(
        task("A", {
          execute: () => {
            throw boom;
          },
        }),
        1,
      )
      .build();
    const unhandled = await watchUnhandled(async () => {
      const h = runOn(processor);
      const error = errorOf(await h.finish());
      expect(error.failures).toEqual([
        { task: "A", phase: "execute", error: boom, attempts: 1, afterCancel: false },
      ]);
      expect(attemptEvents(h.events, { task: "B", event: "abandon" })[0]!.at).toBe(10);
      const settledSeq = h.events.at(-1)!.seq;
      late.reject(own);
      await h.clock.runAll();
      const lateSettle = attemptEvents(h.events, { task: "B", event: "lateSettle" });
      expect(lateSettle).toHaveLength(1);
      expect(lateSettle[0]!.seq).toBe(settledSeq + 1);
      expect(lateSettle[0]!.error).toEqual({ name: "Error", message: "too late to matter" });
      expect(taskEvents(h.events, "B", "fail")).toEqual([]);
      expect(attemptEvents(h.events, { task: "B", event: "fail" })).toEqual([]);
      // The run's error was built when it settled and stays as it was.
      expect(error.failures).toHaveLength(1);
      expect(checkTrace(h.events, processor)).toEqual([]);
    });
    expect(unhandled).toEqual([]);
  });
});
