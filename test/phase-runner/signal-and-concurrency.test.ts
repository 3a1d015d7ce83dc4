/**
 * spec/phase-runner.md section 3: calls one at a time (PR-9), the external signal across stops
 * (PR-11), isolation of runners (PR-12).
 */
import { describe, expect, it, vi } from "vitest";
import {
  AsyncTaskProcessor,
  isSdaxExecutionError,
  type LifecycleEvent,
  SdaxExecutionError,
  task,
} from "../../src/index.js";
import { deferred, flush, Recorder, runSteps } from "./support.js";

/** Level 1: A (pre, exec, post); level 2: B (pre, exec, post). */
function twoLevels(rec: Recorder, a: { pre?: "ok" | "fail" } = {}) {
  return AsyncTaskProcessor.builder<null>()
    .addTask(rec.task("A", { pre: a.pre ?? "ok", exec: "ok", post: "ok" }), 1)
    .addTask(rec.task("B", { pre: "ok", exec: "ok", post: "ok" }), 2)
    .build();
}

function raised(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("phase-runner §3 PR-9 calls take effect one at a time", () => {
  // Regression guard: calls made in the same turn once were not queued behind each other.
  it("PR-9 three runNext() calls made without awaiting run preExecute, execute, postExecute in turn", async () => {
    const rec = new Recorder();
    const gate = deferred();
    const processor = AsyncTaskProcessor.builder<null>()
      .addTask(rec.task("A", { pre: gate, exec: "ok", post: "ok" }), 1)
      .build();
    const runner = processor.open(null);
    const steps = [runner.runNext(), runner.runNext(), runner.runNext()];
    await flush();
    gate.resolve();
    expect(await Promise.all(steps)).toEqual([true, true, false]);
    expect(rec.log).toEqual(["A.pre", "A.exec", "A.post"]);
  });

  // Regression guard: a close() made in the same turn as a runNext() once leaked the run.
  // As if awaited in order (PR-9), the runNext() resolves true (execute remained), then close()
  // tears down.
  it("PR-9 PR-6 a close() made in the same turn as a runNext() still settles the run, and the runNext() resolves", async () => {
    const rec = new Recorder();
    const gate = deferred();
    const processor = AsyncTaskProcessor.builder<null>()
      .addTask(rec.task("A", { pre: gate, exec: "ok", post: "ok" }), 1)
      .build();
    const runner = processor.open(null);
    let stepped: boolean | undefined;
    void runner.runNext().then((more) => {
      stepped = more;
    });
    const closing = runner.close();
    await flush();
    gate.resolve();
    await closing;
    await flush();
    expect(rec.log).toEqual(["A.pre", "A.post"]);
    expect(runner.nextPhase).toBeNull();
    expect(stepped).toBe(true);
  });

  it("PR-9 a close() made while a runNext() is under way waits for that step, then tears down", async () => {
    const rec = new Recorder();
    const gate = deferred();
    const processor = AsyncTaskProcessor.builder<null>()
      .addTask(rec.task("A", { pre: gate, exec: "ok", post: "ok" }), 1)
      .build();
    const runner = processor.open(null);
    let stepped: boolean | undefined;
    const step = runner.runNext().then((more) => {
      stepped = more;
    });
    await flush();
    let closed = false;
    const closing = runner.close().then(() => {
      closed = true;
    });
    await flush();
    expect(closed).toBe(false);
    expect(rec.log).toEqual(["A.pre"]);
    gate.resolve();
    await Promise.all([step, closing]);
    expect(rec.log).toEqual(["A.pre", "A.post"]);
    expect(stepped).toBe(true);
    expect(runner.nextPhase).toBeNull();
  });

  it("PR-9 a runNext() made while another is under way waits for it, then runs the next phase", async () => {
    const rec = new Recorder();
    const gate = deferred();
    const processor = AsyncTaskProcessor.builder<null>()
      .addTask(rec.task("A", { pre: gate, exec: "ok", post: "ok" }), 1)
      .build();
    const runner = processor.open(null);
    const first = runner.runNext();
    await flush();
    const second = runner.runNext();
    await flush();
    expect(rec.log).toEqual(["A.pre"]);
    gate.resolve();
    expect(await first).toBe(true);
    expect(await second).toBe(true);
    expect(rec.log).toEqual(["A.pre", "A.exec"]);
    expect(runner.lastPhase).toBe("execute");
    await runner.close();
  });
});

describe("phase-runner §3 PR-11 the external signal across stops", () => {
  it("PR-11 INV-4 an abort while stopped in entered: failing then failed at once, nextPhase postExecute, no execute, cause is the reason", async () => {
    const rec = new Recorder();
    const events: LifecycleEvent[] = [];
    const controller = new AbortController();
    const runner = twoLevels(rec).open(null, {
      signal: controller.signal,
      onEvent: (e) => events.push(e),
    });
    await runner.runNext();
    expect(runner.nextPhase).toBe("execute");
    const reason = new Error("client went away");
    controller.abort(reason);
    expect(runner.nextPhase).toBe("postExecute");
    expect(runner.hasFailures()).toBe(true);
    expect(runner.failures()).toEqual([]);
    expect(runSteps(events).slice(2)).toEqual([
      "entered -abort-> failing",
      "failing -quiesce-> failed",
    ]);
    expect(await runner.runNext()).toBe(false);
    expect(rec.log).toEqual(["A.pre", "B.pre", "B.post", "A.post"]);
    const error = raised(() => runner.raiseFailures());
    expect(error).toBeInstanceOf(SdaxExecutionError);
    expect((error as SdaxExecutionError).cause).toBe(reason);
    expect((error as SdaxExecutionError).failures).toEqual([]);
  });

  it("PR-11 an abort while stopped in executed: failed at once, postExecute still runs, the run reports the abort", async () => {
    const rec = new Recorder();
    const controller = new AbortController();
    const runner = twoLevels(rec).open(null, { signal: controller.signal });
    await runner.runNext();
    await runner.runNext();
    expect(runner.nextPhase).toBe("postExecute");
    controller.abort("stop");
    expect(runner.hasFailures()).toBe(true);
    await runner.close();
    expect(rec.log.slice(-2)).toEqual(["B.post", "A.post"]);
    const error = raised(() => runner.raiseFailures());
    expect(isSdaxExecutionError(error)).toBe(true);
    expect((error as SdaxExecutionError).cause).toBe("stop");
  });

  it("PR-11 an abort while stopped in failed changes nothing: the failure stays, no abort is recorded", async () => {
    const rec = new Recorder();
    const events: LifecycleEvent[] = [];
    const controller = new AbortController();
    const runner = twoLevels(rec, { pre: "fail" }).open(null, {
      signal: controller.signal,
      onEvent: (e) => events.push(e),
    });
    await runner.runNext();
    const seen = events.length;
    controller.abort(new Error("late"));
    expect(events.length).toBe(seen);
    await runner.close();
    const error = raised(() => runner.raiseFailures()) as SdaxExecutionError;
    expect(error.failures.map((f) => `${f.task}.${f.phase}`)).toEqual(["A.preExecute"]);
    expect(error.cause).toBeUndefined();
    expect(rec.log).toEqual(["A.pre", "A.post"]);
  });

  // An abort from a listener of the transition into a stop was queued behind the stop: the
  // runner stopped in `entered` and ran execute at the next runNext(), or stopped in `executed`
  // and lost the abort; one at `quiesce` would have left the runner waiting for ever.
  for (const at of ["allEntered", "allExecuted", "quiesce"] as const) {
    it(`PR-10 PR-11 INV-19 an abort signalled by the listener of ${at} takes effect before the runner stops, as with processTasks`, async () => {
      const drive = async (withRunner: boolean) => {
        const rec = new Recorder();
        const controller = new AbortController();
        const events: LifecycleEvent[] = [];
        const processor = twoLevels(rec, { pre: at === "quiesce" ? "fail" : "ok" });
        const options = {
          signal: controller.signal,
          onEvent: (e: LifecycleEvent) => {
            events.push(e);
            if (e.type === "run" && e.event === at) controller.abort("client gone");
          },
        };
        let error: unknown;
        const stops: string[] = [];
        if (withRunner) {
          const runner = processor.open(null, options);
          while (await runner.runNext()) stops.push(`${runner.nextPhase} ${runner.hasFailures()}`);
          error = raised(() => runner.raiseFailures());
        } else {
          error = await processor.processTasks(null, options).then(
            () => undefined,
            (reason: unknown) => reason,
          );
        }
        expect(isSdaxExecutionError(error)).toBe(true);
        const { cause, failures } = error as SdaxExecutionError;
        return { log: rec.log, steps: runSteps(events), cause, failures, stops };
      };
      const expected = await drive(false);
      const driven = await drive(true);
      const stops =
        at === "allExecuted" ? ["execute false", "postExecute true"] : ["postExecute true"];
      expect(driven).toEqual({ ...expected, stops });
      expect(driven.steps).toContain("failing -quiesce-> failed");
      // At quiesce the run is failed already: the abort changes nothing (INV-19).
      expect(driven.cause).toBe(at === "quiesce" ? undefined : "client gone");
      if (at === "allEntered") expect(driven.log).not.toContain("A.exec");
    });
  }

  it("PR-11 INV-19 the listener is added at the first step and removed when teardown begins; a later abort changes nothing", async () => {
    const rec = new Recorder();
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, "addEventListener");
    const remove = vi.spyOn(controller.signal, "removeEventListener");
    const runner = twoLevels(rec).open(null, { signal: controller.signal });
    await runner.runNext();
    await runner.runNext();
    expect(add).toHaveBeenCalledTimes(1);
    expect(remove).not.toHaveBeenCalled();
    await runner.close();
    expect(remove).toHaveBeenCalled();
    for (const call of remove.mock.calls) expect(call[1]).toBe(add.mock.calls[0]?.[1]);
    controller.abort();
    expect(runner.hasFailures()).toBe(false);
    expect(() => runner.raiseFailures()).not.toThrow();
  });

  it("PR-11 INV-17 a signal already aborted at the first step: no task is entered, the run stops in failed, teardown runs nothing", async () => {
    const rec = new Recorder();
    const events: LifecycleEvent[] = [];
    const processor = AsyncTaskProcessor.builder<null>()
      .addTask(rec.task("A", { pre: "ok", post: "ok" }), 1)
      .addTask(rec.task("P", { post: "ok" }), 1)
      .build();
    const runner = processor.open(null, {
      signal: AbortSignal.abort("early"),
      onEvent: (e) => events.push(e),
    });
    expect(await runner.runNext()).toBe(true);
    expect(runner.nextPhase).toBe("postExecute");
    expect(await runner.runNext()).toBe(false);
    expect(rec.log).toEqual([]);
    expect(runSteps(events)).toEqual([
      "idle -start-> entering",
      "entering -abort-> failing",
      "failing -quiesce-> failed",
      "failed -cleanup-> cleaningUp",
      "cleaningUp -allTornDown-> settled",
    ]);
    expect((raised(() => runner.raiseFailures()) as SdaxExecutionError).cause).toBe("early");
  });
});

describe("phase-runner §3 PR-12 isolation", () => {
  it("PR-12 INV-15 runners and processTasks runs of one processor, interleaved, never reach each other", async () => {
    interface Ctx {
      readonly id: string;
      readonly fail: boolean;
      readonly seen: string[];
    }
    const processor = AsyncTaskProcessor.builder<Ctx>()
      .addTask(
        task<Ctx>("open", {
          preExecute: (ctx) => {
            ctx.seen.push(`${ctx.id}:open`);
          },
          postExecute: (ctx) => {
            ctx.seen.push(`${ctx.id}:close`);
          },
        }),
        1,
      )
      .addTask(
        task<Ctx>("work", {
          preExecute: (ctx) => {
            if (ctx.fail) throw new Error(`${ctx.id} refused`);
          },
          execute: (ctx) => {
            ctx.seen.push(`${ctx.id}:work`);
          },
        }),
        2,
      )
      .build();
    const one: Ctx = { id: "one", fail: false, seen: [] };
    const two: Ctx = { id: "two", fail: true, seen: [] };
    const three: Ctx = { id: "three", fail: false, seen: [] };
    const controller = new AbortController();
    const r1 = processor.open(one);
    const r2 = processor.open(two, { signal: controller.signal });
    await r1.runNext();
    await r2.runNext();
    const plain = processor.processTasks(three);
    controller.abort();
    await r2.close();
    await expect(plain).resolves.toMatchObject({ tasks: 2 });
    expect(r1.nextPhase).toBe("execute");
    expect(r1.hasFailures()).toBe(false);
    await r1.runNext();
    await r1.close();
    expect(r1.hasFailures()).toBe(false);
    expect(r2.failures().map((f) => f.task)).toEqual(["work"]);
    expect(one.seen).toEqual(["one:open", "one:work", "one:close"]);
    expect(two.seen).toEqual(["two:open", "two:close"]);
    expect(three.seen).toEqual(["three:open", "three:work", "three:close"]);
  });
});
