/**
 * spec/phase-runner.md sections 2 and 3: opening a runner and stepping it with runNext()
 * (PR-1 to PR-4).
 */
import { describe, expect, it, vi } from "vitest";
import {
  AsyncTaskProcessor,
  type LifecycleEvent,
  type RunOptions,
  VirtualClock,
} from "../../src/index.js";
import { abortable, deferred, flush, Recorder, runSteps } from "./support.js";

/** Level 1: A and B (pre, exec, post); level 2: C (pre, exec, post). */
function twoLevels(rec: Recorder) {
  return AsyncTaskProcessor.builder<null>()
    .addTask(rec.task("A", { pre: "ok", exec: "ok", post: "ok" }), 1)
    .addTask(rec.task("B", { pre: "ok", exec: "ok", post: "ok" }), 1)
    .addTask(rec.task("C", { pre: "ok", exec: "ok", post: "ok" }), 2)
    .build();
}

describe("phase-runner §3 PR-1 lazy open", () => {
  it("PR-1 open() starts nothing: no function, no event; nextPhase preExecute, lastPhase null, no failures", async () => {
    const rec = new Recorder();
    const events: LifecycleEvent[] = [];
    const runner = twoLevels(rec).open(null, { onEvent: (e) => events.push(e) });
    await flush();
    expect(rec.log).toEqual([]);
    expect(events).toEqual([]);
    expect(runner.nextPhase).toBe("preExecute");
    expect(runner.lastPhase).toBeNull();
    expect(runner.hasFailures()).toBe(false);
    expect(runner.failures()).toEqual([]);
    await runner.close();
  });

  it("PR-1 open() validates options as processTasks does: a bad option throws a TypeError from open itself", async () => {
    const rec = new Recorder();
    const processor = twoLevels(rec);
    const typo = { onEvnet: () => {} } as unknown as RunOptions;
    expect(() => processor.open(null, typo)).toThrow(TypeError);
    expect(() => processor.open(null, typo)).toThrow(/onEvnet/);
    await expect(processor.processTasks(null, typo)).rejects.toThrow(TypeError);
    const badSignal = { signal: "stop" } as unknown as RunOptions;
    expect(() => processor.open(null, badSignal)).toThrow(/signal/);
    expect(rec.log).toEqual([]);
  });

  it("PR-1 the external signal is not observed before the first step", async () => {
    const rec = new Recorder();
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, "addEventListener");
    const runner = twoLevels(rec).open(null, { signal: controller.signal });
    await flush();
    expect(add).not.toHaveBeenCalled();
    await runner.runNext();
    expect(add).toHaveBeenCalledTimes(1);
    await runner.close();
  });
});

describe("phase-runner §3 PR-2 one phase per call, nothing between calls", () => {
  it("PR-2 runNext() resolves only when the step stopped: a pending preExecute keeps it pending", async () => {
    const rec = new Recorder();
    const gate = deferred();
    const processor = AsyncTaskProcessor.builder<null>()
      .addTask(rec.task("A", { pre: gate, post: "ok" }), 1)
      .addTask(rec.task("B", { pre: "ok", exec: "ok" }), 2)
      .build();
    const runner = processor.open(null);
    let resolved: boolean | undefined;
    const step = runner.runNext().then((more) => {
      resolved = more;
    });
    await flush();
    expect(resolved).toBeUndefined();
    expect(rec.log).toEqual(["A.pre"]);
    gate.resolve();
    await step;
    expect(resolved).toBe(true);
    expect(rec.log).toEqual(["A.pre", "B.pre"]);
    await runner.close();
  });

  it("PR-2 nothing starts between calls: stopped in entered, no execute starts and no event is emitted however long we wait", async () => {
    const rec = new Recorder();
    const events: LifecycleEvent[] = [];
    const clock = new VirtualClock();
    const runner = twoLevels(rec).open(null, { onEvent: (e) => events.push(e), clock });
    await runner.runNext();
    const seen = events.length;
    for (let i = 0; i < 5; i++) await flush();
    await clock.advance(60_000);
    expect(events.length).toBe(seen);
    expect(rec.log).toEqual(["A.pre", "B.pre", "C.pre"]);
    expect(runSteps(events)).toEqual(["idle -start-> entering", "entering -allEntered-> entered"]);
    await runner.close();
  });

  it("PR-2 INV-11 a cancelled preExecute that ignores its signal keeps runNext() pending until it settles", async () => {
    const rec = new Recorder();
    const slow = deferred();
    const processor = AsyncTaskProcessor.builder<null>()
      .addTask(rec.task("A", { pre: slow, post: "ok" }), 1)
      .addTask(rec.task("B", { pre: "fail" }), 1)
      .build();
    const runner = processor.open(null);
    let resolved = false;
    const step = runner.runNext().then(() => {
      resolved = true;
    });
    await flush();
    expect(rec.scopes.get("A.pre")?.signal.aborted).toBe(true);
    expect(resolved).toBe(false);
    expect(runner.nextPhase).toBeNull();
    slow.resolve();
    await step;
    expect(runner.nextPhase).toBe("postExecute");
    expect(rec.log).toEqual(["A.pre", "B.pre"]);
    await runner.close();
    expect(rec.log).toEqual(["A.pre", "B.pre", "A.post"]);
  });
});

describe("phase-runner §3 PR-3 the phase sequence", () => {
  it("PR-3 a clean run goes preExecute (true), execute (true), postExecute (false), with nextPhase and lastPhase at each stop", async () => {
    const rec = new Recorder();
    const events: LifecycleEvent[] = [];
    const runner = twoLevels(rec).open(null, { onEvent: (e) => events.push(e) });

    expect(await runner.runNext()).toBe(true);
    expect(runner.lastPhase).toBe("preExecute");
    expect(runner.nextPhase).toBe("execute");
    expect(rec.log).toEqual(["A.pre", "B.pre", "C.pre"]);

    expect(await runner.runNext()).toBe(true);
    expect(runner.lastPhase).toBe("execute");
    expect(runner.nextPhase).toBe("postExecute");
    expect(rec.log.slice(3).sort()).toEqual(["A.exec", "B.exec", "C.exec"]);

    expect(await runner.runNext()).toBe(false);
    expect(runner.lastPhase).toBe("postExecute");
    expect(runner.nextPhase).toBeNull();
    expect(rec.log[6]).toBe("C.post");
    expect(rec.log.slice(7).sort()).toEqual(["A.post", "B.post"]);

    expect(runSteps(events)).toEqual([
      "idle -start-> entering",
      "entering -allEntered-> entered",
      "entered -execute-> executing",
      "executing -allExecuted-> executed",
      "executed -cleanup-> cleaningUp",
      "cleaningUp -allTornDown-> settled",
    ]);
    expect(runner.hasFailures()).toBe(false);
    expect(() => runner.raiseFailures()).not.toThrow();
  });

  it("PR-3 nextPhase is null while a step is in progress; lastPhase is set when the step begins", async () => {
    const rec = new Recorder();
    const gate = deferred();
    const processor = AsyncTaskProcessor.builder<null>()
      .addTask(rec.task("A", { pre: "ok", exec: gate, post: "ok" }), 1)
      .build();
    const runner = processor.open(null);
    await runner.runNext();
    const step = runner.runNext();
    await flush();
    expect(runner.nextPhase).toBeNull();
    expect(runner.lastPhase).toBe("execute");
    gate.resolve();
    expect(await step).toBe(true);
    expect(runner.nextPhase).toBe("postExecute");
    await runner.close();
  });

  it("PR-3 runNext() on a settled run resolves false and runs nothing", async () => {
    const rec = new Recorder();
    const runner = twoLevels(rec).open(null);
    while (await runner.runNext()) {
      // drive to the end
    }
    const calls = rec.log.length;
    expect(await runner.runNext()).toBe(false);
    expect(await runner.runNext()).toBe(false);
    expect(rec.log.length).toBe(calls);
    expect(runner.lastPhase).toBe("postExecute");
  });

  it("PR-3 close() does not change lastPhase", async () => {
    const rec = new Recorder();
    const runner = twoLevels(rec).open(null);
    await runner.runNext();
    await runner.close();
    expect(runner.lastPhase).toBe("preExecute");
    expect(runner.nextPhase).toBeNull();
  });

  it("PR-3 section 4: a workflow without any execute function still has an execute step", async () => {
    const rec = new Recorder();
    const processor = AsyncTaskProcessor.builder<null>()
      .addTask(rec.task("A", { pre: "ok", post: "ok" }), 1)
      .build();
    const runner = processor.open(null);
    expect([runner.nextPhase, await runner.runNext()]).toEqual(["preExecute", true]);
    expect([runner.nextPhase, await runner.runNext()]).toEqual(["execute", true]);
    expect([runner.nextPhase, await runner.runNext()]).toEqual(["postExecute", false]);
    expect(rec.log).toEqual(["A.pre", "A.post"]);
  });
});

describe("phase-runner §3 PR-4 after a failure, postExecute", () => {
  it("PR-4 INV-5 after a preExecute failure nextPhase is postExecute, runNext resolved true, and no execute ever runs", async () => {
    const rec = new Recorder();
    const events: LifecycleEvent[] = [];
    const processor = AsyncTaskProcessor.builder<null>()
      .addTask(rec.task("A", { pre: "ok", exec: "ok", post: "ok" }), 1)
      .addTask(rec.task("B", { pre: "ok", exec: "ok", post: "ok" }), 2)
      .addTask(rec.task("C", { pre: "fail", exec: "ok", post: "ok" }), 2)
      .addTask(rec.task("D", { pre: "ok", exec: "ok", post: "ok" }), 3)
      .build();
    const runner = processor.open(null, { onEvent: (e) => events.push(e) });

    expect(await runner.runNext()).toBe(true);
    expect(runner.nextPhase).toBe("postExecute");
    expect(runner.lastPhase).toBe("preExecute");
    expect(rec.log).toEqual(["A.pre", "B.pre", "C.pre"]);

    expect(await runner.runNext()).toBe(false);
    expect(runner.lastPhase).toBe("postExecute");
    // INV-7 and INV-10: level 2's posts (C failed, B succeeded), then level 1's; D was never entered.
    expect(rec.log.slice(3, 5).sort()).toEqual(["B.post", "C.post"]);
    expect(rec.log.slice(5)).toEqual(["A.post"]);
    expect(rec.log.some((line) => line.endsWith(".exec") || line.startsWith("D."))).toBe(false);
    expect(runSteps(events)).toEqual([
      "idle -start-> entering",
      "entering -fail-> failing",
      "failing -quiesce-> failed",
      "failed -cleanup-> cleaningUp",
      "cleaningUp -allTornDown-> settled",
    ]);
  });

  it("PR-4 INV-6 after an execute failure nextPhase is postExecute and every postExecute runs", async () => {
    const rec = new Recorder();
    const sibling = deferred();
    const processor = AsyncTaskProcessor.builder<null>()
      .addTask(rec.task("A", { pre: "ok", exec: abortable(sibling), post: "ok" }), 1)
      .addTask(rec.task("B", { pre: "ok", exec: "fail", post: "ok" }), 2)
      .build();
    const runner = processor.open(null);
    expect(await runner.runNext()).toBe(true);
    expect(await runner.runNext()).toBe(true);
    expect(runner.nextPhase).toBe("postExecute");
    expect(rec.scopes.get("A.exec")?.signal.aborted).toBe(true);
    expect(runner.failures().map((f) => `${f.task}.${f.phase}`)).toEqual(["B.execute"]);
    expect(await runner.runNext()).toBe(false);
    expect(rec.log.slice(-2)).toEqual(["B.post", "A.post"]);
  });
});
