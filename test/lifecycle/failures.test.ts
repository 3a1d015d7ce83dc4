import { describe, expect, it } from "vitest";
import { AsyncTaskProcessor, checkTrace } from "../../src/index.js";
import { executionErrorOf, isAbortError } from "../helpers/async.js";
import {
  collectEvents,
  deferred,
  flush,
  lastRunEvent,
  Recorder,
  waitFor,
} from "../helpers/recorder.js";

describe("spec 5: preExecute failure", () => {
  it("INV-3 INV-4 INV-7 INV-14: a preExecute failure on level 2 of 3 stops level 3, runs no execute, cancels its pending sibling and tears down level 2 then level 1", async () => {
    const rec = new Recorder();
    const boom = new Error("C.pre failed");
    const cFail = deferred<unknown>();
    const dGate = deferred<unknown>();
    const cPost = deferred<unknown>();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: true, exec: true, post: true }), 1)
      .addTask(rec.task("B", { pre: true, post: true }), 1)
      .addTask(rec.task("C", { pre: waitFor(cFail), exec: true, post: waitFor(cPost) }), 2)
      .addTask(rec.task("D", { pre: waitFor(dGate), exec: true, post: true }), 2)
      .addTask(rec.task("X", { exec: true, post: true }), 2) // no pre: entered, post-only teardown
      .addTask(rec.task("E", { pre: true, exec: true, post: true }), 3)
      .build();
    const { events, onEvent } = collectEvents();
    const run = executionErrorOf(processor.processTasks(undefined, { onEvent }));
    await flush();
    expect(rec.starts()).toEqual(["A.pre", "B.pre", "C.pre", "D.pre"]);

    cFail.reject(boom);
    await flush();
    // The failure took effect at once: D's signal aborted with an AbortError; D settled.
    const dSignal = rec.scope("D.pre").signal;
    expect(dSignal.aborted).toBe(true);
    expect(isAbortError(dSignal.reason)).toBe(true);
    // Level 2 tears down first; level 1 waits for C's post.
    expect(
      rec
        .starts()
        .filter((k) => k.endsWith(".post"))
        .sort(),
    ).toEqual(["C.post", "D.post", "X.post"]);
    expect(rec.started("A.post") || rec.started("B.post")).toBe(false);
    cPost.resolve(undefined);

    const error = await run;
    expect(rec.starts()).toEqual([
      "A.pre",
      "B.pre",
      "C.pre",
      "D.pre",
      "C.post",
      "D.post",
      "X.post",
      "A.post",
      "B.post",
    ]);
    // Level 3 never started; no execute ran.
    expect(rec.log.some((e) => e.startsWith("E.") || e.includes(".exec"))).toBe(false);
    // Only the real failure is reported: not D's cancellation.
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]).toEqual({
      task: "C",
      phase: "preExecute",
      error: boom,
      attempts: 1,
      afterCancel: false,
    });
    expect(error.failures[0]!.error).toBe(boom);
    expect(error.errors).toEqual([boom]);
    expect(error.aborted).toBe(false);
    expect(error.cause).toBeUndefined();
    // The tasks' fates as events: C failed, D cancelled, E never entered (no event at all).
    const fates = events.flatMap((e) =>
      e.type === "task" && (e.event === "fail" || e.event === "cancel")
        ? [`${e.task}:${e.event}`]
        : [],
    );
    expect(fates).toEqual(["C:fail", "D:cancel"]);
    expect(events.some((e) => e.type === "task" && e.task === "E")).toBe(false);
  });

  it("INV-3 INV-7 INV-9: a task entered after the run began failing is skipped: its preExecute and postExecute never run", async () => {
    // F fails synchronously and G succeeds synchronously in the same step; H (after G) is entered
    // once the run is failing, so it is skipped; P (after G, no pre) is still entered.
    const rec = new Recorder();
    const boom = new Error("F");
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(
        rec.task("F", {
          pre: () => {
            throw boom;
          },
          post: true,
        }),
      )
      .addTask(rec.task("G", { pre: true, post: true }))
      .addTask(rec.task("H", { pre: true, exec: true, post: true }), ["G"])
      .addTask(rec.task("P", { post: true }), ["G"])
      .build();
    const { events, onEvent } = collectEvents();
    const error = await executionErrorOf(processor.processTasks(undefined, { onEvent }));
    const entries = events.flatMap((e) =>
      e.type === "task" && ["startPre", "enter", "skip"].includes(e.event)
        ? [`${e.task}:${e.event}`]
        : [],
    );
    expect(entries).toEqual(["F:startPre", "G:startPre", "H:skip", "P:enter"]);
    expect(rec.starts().sort()).toEqual(["F.post", "F.pre", "G.post", "G.pre", "P.post"]);
    expect(rec.log.indexOf("P.post<")).toBeLessThan(rec.log.indexOf("G.post>")); // INV-10
    expect(error.failures.map((f) => `${f.task}.${f.phase}`)).toEqual(["F.preExecute"]);
  });
});

describe("spec 5: execute failure", () => {
  it("INV-4 INV-6 INV-7 INV-10: an execute failure cancels the running sibling executes (signal aborted with AbortError) and every postExecute runs in reverse order", async () => {
    const rec = new Recorder();
    const boom = new Error("B.exec");
    const aGate = deferred<unknown>();
    const bGate = deferred<unknown>();
    const dGate = deferred<unknown>();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: true, exec: waitFor(aGate), post: true }), 1)
      .addTask(rec.task("B", { pre: true, exec: waitFor(bGate), post: true }), 1)
      .addTask(rec.task("C", { exec: true, post: true }), 2) // succeeds before the failure
      .addTask(rec.task("D", { pre: true, exec: waitFor(dGate), post: true }), 2)
      .build();
    const run = executionErrorOf(processor.processTasks(undefined));
    await flush();
    expect(rec.log).toContain("C.exec<");
    bGate.reject(boom);
    await flush();
    for (const key of ["A.exec", "D.exec"]) {
      const signal = rec.scope(key).signal;
      expect(signal.aborted, key).toBe(true);
      expect(isAbortError(signal.reason), key).toBe(true);
    }
    expect(rec.scope("C.exec").signal.aborted).toBe(false); // already ended: not cancelled
    const error = await run;
    expect(rec.starts().filter((k) => k.endsWith(".post"))).toEqual([
      "C.post",
      "D.post",
      "A.post",
      "B.post",
    ]);
    const posts = rec.log.filter((e) => e.includes(".post"));
    expect(posts.indexOf("D.post<")).toBeLessThan(posts.indexOf("A.post>"));
    expect(posts.indexOf("C.post<")).toBeLessThan(posts.indexOf("A.post>"));
    expect(error.failures).toEqual([
      { task: "B", phase: "execute", error: boom, attempts: 1, afterCancel: false },
    ]);
    // Cancelled executes are not failures; their posts saw unaborted signals.
    for (const key of ["A.post", "B.post", "C.post", "D.post"]) {
      expect(rec.scope(key).signal.aborted, key).toBe(false);
    }
  });

  it("INV-5: with a preExecute failure no execute starts at all, even of tasks whose preExecute succeeded", async () => {
    const rec = new Recorder();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("ok", { pre: true, exec: true, post: true }), 1)
      .addTask(
        rec.task("bad", {
          pre: async () => {
            throw new Error("bad");
          },
          exec: true,
        }),
        1,
      )
      .build();
    await executionErrorOf(processor.processTasks(undefined));
    expect(rec.starts()).toEqual(["ok.pre", "bad.pre", "ok.post"]);
  });
});

describe("spec 5: postExecute failure", () => {
  it("INV-12 INV-14: a postExecute failure cancels nothing; every other postExecute runs and every post failure is reported in the order they failed", async () => {
    const rec = new Recorder();
    const cErr = new Error("C.post");
    const dErr = { reason: "D.post thrown as an object" };
    const bErr = "B.post thrown as a string";
    const cGate = deferred<unknown>();
    const aGate = deferred<unknown>();
    const bGate = deferred<unknown>();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: true, exec: true, post: waitFor(aGate) }), 1)
      .addTask(rec.task("B", { pre: true, post: waitFor(bGate) }), 1)
      .addTask(rec.task("C", { pre: true, exec: true, post: waitFor(cGate) }), 2)
      .addTask(
        rec.task("D", {
          pre: true,
          post: () => {
            throw dErr;
          },
        }),
        2,
      )
      .build();
    const run = executionErrorOf(processor.processTasks(undefined));
    await flush();
    // D's post failed synchronously; C's post still runs, its signal untouched.
    expect(rec.log).toContain("D.post!");
    expect(rec.scope("C.post").signal.aborted).toBe(false);
    expect(rec.started("A.post")).toBe(false);
    cGate.reject(cErr);
    await flush();
    // Level 1 tears down although both level-2 posts failed.
    expect(rec.started("A.post") && rec.started("B.post")).toBe(true);
    bGate.reject(bErr);
    await flush();
    expect(rec.scope("A.post").signal.aborted).toBe(false);
    expect(rec.log).not.toContain("A.post<");
    aGate.resolve(undefined);
    const error = await run;
    expect(rec.log).toContain("A.post<");
    expect(error.failures).toEqual([
      { task: "D", phase: "postExecute", error: dErr, attempts: 1, afterCancel: false },
      { task: "C", phase: "postExecute", error: cErr, attempts: 1, afterCancel: false },
      { task: "B", phase: "postExecute", error: bErr, attempts: 1, afterCancel: false },
    ]);
    expect(error.failures[0]!.error).toBe(dErr);
    expect(error.errors).toEqual([dErr, cErr, bErr]);
    expect(error.leafErrors()).toEqual([dErr, cErr, bErr]);
  });

  it("INV-14: failures of several phases are reported in the order they failed (execute, then postExecute)", async () => {
    const execErr = new Error("exec");
    const postErr = new Error("post");
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        new Recorder().task("A", {
          exec: () => Promise.reject(execErr),
          post: () => Promise.reject(postErr),
        }),
        1,
      )
      .build();
    const error = await executionErrorOf(processor.processTasks(undefined));
    expect(error.failures.map((f) => f.error)).toEqual([execErr, postErr]);
    expect(error.failures.map((f) => f.phase)).toEqual(["execute", "postExecute"]);
  });
});

describe("spec 5: cancellation waits for settlement (contract 3.5)", () => {
  it("INV-11 INV-13: a cancelled preExecute that ignores its signal is waited for before its own postExecute starts and before the run settles", async () => {
    const rec = new Recorder();
    const boom = new Error("A.pre");
    const stubborn = deferred<unknown>();
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        rec.task("A", {
          pre: async () => {
            throw boom;
          },
          post: true,
        }),
        1,
      )
      .addTask(rec.task("B", { pre: waitFor(stubborn, false), post: true }), 1)
      .build();
    let settled = false;
    const run = executionErrorOf(processor.processTasks(undefined)).finally(() => {
      settled = true;
    });
    for (let i = 0; i < 5; i++) await flush();
    expect(rec.scope("B.pre").signal.aborted).toBe(true);
    expect(rec.started("B.post")).toBe(false);
    expect(rec.started("A.post")).toBe(false); // teardown begins only once nothing runs (INV-11)
    expect(settled).toBe(false);

    stubborn.resolve(undefined); // settles late, successfully: still a cancellation
    const error = await run;
    const bPre = rec.log.indexOf("B.pre<");
    expect(bPre).toBeGreaterThan(-1);
    expect(rec.log.indexOf("B.post>")).toBeGreaterThan(bPre);
    expect(rec.log.indexOf("A.post>")).toBeGreaterThan(bPre);
    expect(error.failures).toEqual([
      { task: "A", phase: "preExecute", error: boom, attempts: 1, afterCancel: false },
    ]);
  });

  /** A and B execute; A throws, B ignores its signal; returns B's gate and the run. */
  function cancelledExecute(rec: Recorder, boom: Error) {
    const stubborn = deferred<unknown>();
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        rec.task("A", {
          exec: () => {
            throw boom;
          },
          post: true,
        }),
        1,
      )
      .addTask(rec.task("B", { exec: waitFor(stubborn, false), post: true }), 1)
      .build();
    const { events, onEvent } = collectEvents();
    let settled = false;
    const run = executionErrorOf(processor.processTasks(undefined, { onEvent })).finally(() => {
      settled = true;
    });
    return { processor, stubborn, events, run, settled: () => settled };
  }

  it("INV-11 INV-13 INV-14 INV-32: a cancelled execute that ignores its signal and then rejects with its own error is waited for, and fails after its cancellation", async () => {
    const rec = new Recorder();
    const boom = new Error("A.exec");
    const { processor, stubborn, events, run, settled } = cancelledExecute(rec, boom);
    for (let i = 0; i < 5; i++) await flush();
    expect(rec.scope("B.exec").signal.aborted).toBe(true);
    expect(rec.started("B.post") || rec.started("A.post")).toBe(false);
    expect(settled()).toBe(false);
    expect(lastRunEvent(events)).toMatchObject({ to: "failing" });

    const late = new Error("B noticed too late");
    stubborn.reject(late);
    const error = await run;
    expect(rec.log.indexOf("B.post>")).toBeGreaterThan(rec.log.indexOf("B.exec!"));
    expect(error.failures).toEqual([
      { task: "A", phase: "execute", error: boom, attempts: 1, afterCancel: false },
      { task: "B", phase: "execute", error: late, attempts: 1, afterCancel: true },
    ]);
    expect(error.message).toContain("after its cancellation");
    const bEvents = events.flatMap((e) =>
      e.type === "task" && e.task === "B" ? [`${e.event}:${e.to}`] : [],
    );
    expect(bEvents).toEqual([
      "enter:ready",
      "startExec:execRunning",
      "cancel:execCancelling",
      "fail:execFailing",
      "settle:execFailed",
      "startPost:postRunning",
      "succeed:done",
    ]);
    const bFail = events.find((e) => e.type === "task" && e.task === "B" && e.event === "fail");
    expect(bFail).toMatchObject({
      from: "execCancelling",
      afterCancel: true,
      error: { name: "Error", message: "B noticed too late" },
    });
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-11 INV-13 INV-14 INV-32: a cancelled execute that ignores its signal and then rejects with its signal's reason is waited for, and is not a failure", async () => {
    const rec = new Recorder();
    const boom = new Error("A.exec");
    const { processor, stubborn, events, run, settled } = cancelledExecute(rec, boom);
    for (let i = 0; i < 5; i++) await flush();
    const signal = rec.scope("B.exec").signal;
    expect(signal.aborted).toBe(true);
    expect(rec.started("B.post") || rec.started("A.post")).toBe(false);
    expect(settled()).toBe(false);

    stubborn.reject(signal.reason);
    const error = await run;
    expect(rec.log.indexOf("B.post>")).toBeGreaterThan(rec.log.indexOf("B.exec!"));
    expect(error.failures).toEqual([
      { task: "A", phase: "execute", error: boom, attempts: 1, afterCancel: false },
    ]);
    const bEvents = events.flatMap((e) =>
      e.type === "task" && e.task === "B" ? [`${e.event}:${e.to}`] : [],
    );
    expect(bEvents).toEqual([
      "enter:ready",
      "startExec:execRunning",
      "cancel:execCancelling",
      "settle:execCancelled",
      "startPost:postRunning",
      "succeed:done",
    ]);
    expect(checkTrace(events, processor)).toEqual([]);
  });
});
