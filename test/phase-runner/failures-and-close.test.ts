/**
 * spec/phase-runner.md section 3: failures (PR-5), close() (PR-6, PR-7) and disposal with
 * `await using` (PR-8). `await using` is lowered by vitest's transform on Node 20, so it is
 * used as is here.
 */
import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  isSdaxExecutionError,
  type LifecycleEvent,
  type PhaseRunner,
  SdaxExecutionError,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { abortable, deferred, flush, Recorder, runSteps } from "./support.js";

/** Level 1: A (pre, exec, post) and B (pre, post); level 2: C (pre, exec, post). */
function workflow(rec: Recorder, b: { pre?: "ok" | "fail"; post?: "ok" | "fail" } = {}) {
  return AsyncTaskProcessor.builder<null>()
    .addTask(rec.task("A", { pre: "ok", exec: "ok", post: "ok" }), 1)
    .addTask(rec.task("B", { pre: b.pre ?? "ok", post: b.post ?? "ok" }), 1)
    .addTask(rec.task("C", { pre: "ok", exec: "ok", post: "ok" }), 2)
    .build();
}

function caughtSync(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("phase-runner §3 PR-5 failures", () => {
  it("PR-5 INV-14 failures() lists the failed phases in order, a fresh array each time; raiseFailures() throws an SdaxExecutionError", async () => {
    const rec = new Recorder();
    const runner = workflow(rec, { pre: "fail", post: "fail" }).open(null);
    expect(() => runner.raiseFailures()).not.toThrow();

    await runner.runNext();
    expect(runner.hasFailures()).toBe(true);
    const first = runner.failures();
    expect(first).toEqual([
      {
        task: "B",
        phase: "preExecute",
        error: rec.error("B.pre"),
        attempts: 1,
        afterCancel: false,
      },
    ]);
    expect(runner.failures()).not.toBe(first);

    await runner.runNext();
    // PR-5: a postExecute failure is added once teardown ran.
    expect(runner.failures().map((f) => [f.task, f.phase, f.error])).toEqual([
      ["B", "preExecute", rec.error("B.pre")],
      ["B", "postExecute", rec.error("B.post")],
    ]);
    let thrown: unknown;
    try {
      runner.raiseFailures();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SdaxExecutionError);
    expect(isSdaxExecutionError(thrown)).toBe(true);
    const error = thrown as SdaxExecutionError;
    expect(error.failures).toEqual(runner.failures());
    expect(error.errors).toEqual([rec.error("B.pre"), rec.error("B.post")]);
    expect(error.cause).toBeUndefined();
  });

  it("PR-5 INV-14 the failures handed out are frozen: writing to one changes neither the thrown error nor the events", async () => {
    const rec = new Recorder();
    const events: LifecycleEvent[] = [];
    const runner = workflow(rec, { pre: "fail" }).open(null, { onEvent: (e) => events.push(e) });
    await runner.runNext();
    const handedOut = runner.failures()[0]!;
    expect(Object.isFrozen(handedOut)).toBe(true);
    expect(() => {
      (handedOut as { error: unknown }).error = new Error("forged");
    }).toThrow(TypeError);
    await runner.close();
    const error = caughtSync(() => runner.raiseFailures());
    expect(isSdaxExecutionError(error) && error.failures[0]!.error).toBe(rec.error("B.pre"));
    const settled = events.at(-1);
    expect(settled?.type === "run" && settled.failures?.[0]?.task).toBe("B");
  });

  it("PR-5 observing failures changes nothing: raiseFailures() mid-run leaves the run stopped where it was", async () => {
    const rec = new Recorder();
    const runner = workflow(rec, { pre: "fail" }).open(null);
    await runner.runNext();
    expect(() => runner.raiseFailures()).toThrow(SdaxExecutionError);
    expect(() => runner.raiseFailures()).toThrow(SdaxExecutionError);
    expect(runner.nextPhase).toBe("postExecute");
    expect(rec.log).toEqual(["A.pre", "B.pre"]);
    await runner.close();
    expect(rec.log.slice(2).sort()).toEqual(["A.post", "B.post"]);
  });

  it("PR-5 PR-10 INV-14 the error raiseFailures() throws after the run settled equals processTasks' rejection", async () => {
    const rec = new Recorder();
    const processor = workflow(rec, { pre: "fail", post: "fail" });
    const expected = await caught(processor.processTasks(null));
    const runner = processor.open(null);
    while (await runner.runNext()) {
      // drive to the end
    }
    let thrown: unknown;
    try {
      runner.raiseFailures();
    } catch (error) {
      thrown = error;
    }
    expect(isSdaxExecutionError(expected) && isSdaxExecutionError(thrown)).toBe(true);
    const a = expected as SdaxExecutionError;
    const b = thrown as SdaxExecutionError;
    expect(b.message).toBe(a.message);
    expect(b.failures).toEqual(a.failures);
    expect(b.cause).toBe(a.cause);
  });
});

describe("phase-runner §3 PR-6 close() runs what consistency requires", () => {
  it("PR-6 close() on a new runner runs nothing and settles: idle --close--> settled", async () => {
    const rec = new Recorder();
    const events: LifecycleEvent[] = [];
    const runner = workflow(rec).open(null, { onEvent: (e) => events.push(e) });
    await runner.close();
    expect(rec.log).toEqual([]);
    expect(runSteps(events)).toEqual(["idle -close-> settled"]);
    expect(events).toHaveLength(1);
    expect(runner.nextPhase).toBeNull();
    expect(runner.hasFailures()).toBe(false);
    expect(await runner.runNext()).toBe(false);
    expect(rec.log).toEqual([]);
  });

  it("PR-6 close() on a new runner ignores an already aborted signal: no task, no failure", async () => {
    const rec = new Recorder();
    const runner = workflow(rec).open(null, { signal: AbortSignal.abort(new Error("gone")) });
    await runner.close();
    expect(rec.log).toEqual([]);
    expect(runner.hasFailures()).toBe(false);
    expect(() => runner.raiseFailures()).not.toThrow();
  });

  it("PR-6 INV-7 close() after preExecute only skips execute and runs every postExecute: entered --cleanup--> cleaningUp", async () => {
    const rec = new Recorder();
    const events: LifecycleEvent[] = [];
    const runner = workflow(rec).open(null, { onEvent: (e) => events.push(e) });
    await runner.runNext();
    await runner.close();
    expect(rec.log.slice(0, 3)).toEqual(["A.pre", "B.pre", "C.pre"]);
    expect(rec.log[3]).toBe("C.post");
    expect(rec.log.slice(4).sort()).toEqual(["A.post", "B.post"]);
    expect(rec.log.some((line) => line.endsWith(".exec"))).toBe(false);
    expect(runSteps(events)).toEqual([
      "idle -start-> entering",
      "entering -allEntered-> entered",
      "entered -cleanup-> cleaningUp",
      "cleaningUp -allTornDown-> settled",
    ]);
    expect(runner.hasFailures()).toBe(false);
  });

  it("PR-6 INV-7 close() after a failed preExecute tears down every task whose preExecute started, the cancelled one included", async () => {
    const rec = new Recorder();
    const gate = deferred();
    const processor = AsyncTaskProcessor.builder<null>()
      .addTask(rec.task("A", { pre: abortable(gate), post: "ok" }), 1)
      .addTask(rec.task("B", { pre: "fail", post: "ok" }), 1)
      .addTask(rec.task("C", { pre: "ok", post: "ok" }), 2)
      .build();
    const runner = processor.open(null);
    await runner.runNext();
    expect(rec.scopes.get("A.pre")?.signal.aborted).toBe(true);
    await runner.close();
    expect(rec.log.slice(2).sort()).toEqual(["A.post", "B.post"]);
    expect(rec.log).not.toContain("C.pre");
    expect(rec.log).not.toContain("C.post");
  });

  it("PR-6 close() after execute runs the rest: postExecute in reverse order", async () => {
    const rec = new Recorder();
    const runner = workflow(rec).open(null);
    await runner.runNext();
    await runner.runNext();
    await runner.close();
    expect(rec.log[5]).toBe("C.post");
    expect(rec.log.slice(6).sort()).toEqual(["A.post", "B.post"]);
    expect(runner.nextPhase).toBeNull();
  });

  it("PR-6 close() resolves only once the run settled: a slow postExecute keeps it pending", async () => {
    const rec = new Recorder();
    const slow = deferred();
    const processor = AsyncTaskProcessor.builder<null>()
      .addTask(rec.task("A", { pre: "ok", post: slow }), 1)
      .build();
    const runner = processor.open(null);
    await runner.runNext();
    let closed = false;
    const closing = runner.close().then(() => {
      closed = true;
    });
    await flush();
    expect(rec.log).toEqual(["A.pre", "A.post"]);
    expect(closed).toBe(false);
    slow.resolve();
    await closing;
    expect(closed).toBe(true);
  });

  it("PR-6 close() does not reject on task failures; raiseFailures() still reports them", async () => {
    const rec = new Recorder();
    const runner = workflow(rec, { post: "fail" }).open(null);
    await runner.runNext();
    await expect(runner.close()).resolves.toBeUndefined();
    expect(runner.failures().map((f) => `${f.task}.${f.phase}`)).toEqual(["B.postExecute"]);
    expect(() => runner.raiseFailures()).toThrow(SdaxExecutionError);
  });
});

describe("phase-runner §3 PR-7 closing twice is harmless", () => {
  it("PR-7 INV-16 close() twice runs no postExecute twice", async () => {
    const rec = new Recorder();
    const runner = workflow(rec).open(null);
    await runner.runNext();
    await runner.close();
    await runner.close();
    expect(rec.count("A.post")).toBe(1);
    expect(rec.count("B.post")).toBe(1);
    expect(rec.count("C.post")).toBe(1);
  });

  it("PR-7 close() after runNext() drove the run to the end does nothing", async () => {
    const rec = new Recorder();
    const events: LifecycleEvent[] = [];
    const runner = workflow(rec).open(null, { onEvent: (e) => events.push(e) });
    while (await runner.runNext()) {
      // drive to the end
    }
    const calls = rec.log.length;
    const seen = events.length;
    await runner.close();
    expect(rec.log.length).toBe(calls);
    expect(events.length).toBe(seen);
  });

  it("PR-7 runNext() after close() resolves false and runs nothing", async () => {
    const rec = new Recorder();
    const runner = workflow(rec).open(null);
    await runner.runNext();
    await runner.close();
    const calls = rec.log.length;
    expect(await runner.runNext()).toBe(false);
    expect(rec.log.length).toBe(calls);
  });
});

describe("phase-runner §3 PR-8 dispose", () => {
  it("PR-8 await using closes the runner when the block ends: postExecute ran, execute skipped", async () => {
    const rec = new Recorder();
    const processor = workflow(rec);
    {
      await using runner = processor.open(null);
      await runner.runNext();
      expect(rec.log).toEqual(["A.pre", "B.pre", "C.pre"]);
    }
    expect(rec.log.slice(3).sort()).toEqual(["A.post", "B.post", "C.post"]);
    expect(rec.log.some((line) => line.endsWith(".exec"))).toBe(false);
  });

  it("PR-8 await using throws the run's SdaxExecutionError, after every postExecute ran", async () => {
    const rec = new Recorder();
    const processor = workflow(rec, { pre: "fail" });
    const error = await caught(
      (async () => {
        await using runner = processor.open(null);
        await runner.runNext();
        expect(runner.nextPhase).toBe("postExecute");
      })(),
    );
    expect(isSdaxExecutionError(error)).toBe(true);
    expect((error as SdaxExecutionError).failures.map((f) => f.error)).toEqual([
      rec.error("B.pre"),
    ]);
    expect(rec.log.slice(2).sort()).toEqual(["A.post", "B.post"]);
  });

  it("PR-8 a block that throws in a failed run: a SuppressedError whose error is the SdaxExecutionError and whose suppressed is the block's error", async () => {
    const rec = new Recorder();
    const processor = workflow(rec, { pre: "fail" });
    const mine = new Error("handler failed");
    const error = await caught(
      (async () => {
        await using runner = processor.open(null);
        await runner.runNext();
        throw mine;
      })(),
    );
    const suppressed = error as { name: string; error: unknown; suppressed: unknown };
    expect(suppressed.name).toBe("SuppressedError");
    expect(isSdaxExecutionError(suppressed.error)).toBe(true);
    expect(suppressed.suppressed).toBe(mine);
    expect(rec.log.slice(2).sort()).toEqual(["A.post", "B.post"]);
  });

  it("PR-8 a block that throws in a clean run: the block's error propagates unchanged, after cleanup", async () => {
    const rec = new Recorder();
    const processor = workflow(rec);
    const mine = new Error("handler failed");
    const error = await caught(
      (async () => {
        await using runner = processor.open(null);
        await runner.runNext();
        await runner.runNext();
        throw mine;
      })(),
    );
    expect(error).toBe(mine);
    expect(rec.log.slice(5).sort()).toEqual(["A.post", "B.post", "C.post"]);
  });

  it("PR-8 [Symbol.asyncDispose]() is close() then raiseFailures(), callable by hand", async () => {
    const rec = new Recorder();
    const clean = workflow(rec).open(null);
    await clean.runNext();
    await expect(clean[Symbol.asyncDispose]()).resolves.toBeUndefined();
    expect(clean.nextPhase).toBeNull();

    const failing = workflow(new Recorder(), { post: "fail" }).open(null);
    await failing.runNext();
    await expect(failing[Symbol.asyncDispose]()).rejects.toBeInstanceOf(SdaxExecutionError);
    expect(failing.nextPhase).toBeNull();
  });
});

describe("phase-runner §3 PR-13 the report", () => {
  /** `flaky` fails its first execute attempt and succeeds on its retry, after a delay. */
  function retrying() {
    let calls = 0;
    const execute = taskFunc(
      async () => {
        if (++calls === 1) throw new Error("blip");
      },
      { retries: 1, initialDelayMs: 10, retryOn: () => true },
    );
    return AsyncTaskProcessor.builder<null>()
      .addTask(task("flaky", { execute }), 1)
      .addTask(task("steady", { preExecute: () => {}, postExecute: () => {} }), 2)
      .build();
  }

  it("PR-13 PR-10 the report is processTasks' report, taken when the run settled", async () => {
    const clock = new VirtualClock(100);
    const random = () => 0.5; // the retry delay's jitter, the same for both runs
    const expected = retrying().processTasks(null, { clock, random });
    await clock.runAll();
    const want = await expected;
    expect(want.retried).toEqual([{ task: "flaky", phase: "execute", attempts: 2 }]);
    expect(want.durationMs).toBeGreaterThan(0);

    const runnerClock = new VirtualClock(100);
    const runner = retrying().open(null, { clock: runnerClock, random });
    expect(runner.report()).toBeUndefined();
    await runner.runNext();
    const execute = runner.runNext();
    await runnerClock.runAll();
    await execute;
    expect(runner.report()).toBeUndefined(); // stopped in executed: not settled yet
    await runner.close();
    expect(runner.report()).toEqual(want);
    await runnerClock.advance(50);
    expect(runner.report()).toEqual(want);
  });

  it("PR-13 no report after a failure or an abort; one with durationMs 0 for a runner closed before its first phase", async () => {
    // Closed before its first phase: a report of no time, and the clock is not read (PR-6).
    let reads = 0;
    const clock = {
      now: () => {
        reads++;
        throw new Error("clock broke");
      },
      setTimeout: () => undefined,
      clearTimeout: () => {},
    };
    const failing = workflow(new Recorder(), { post: "fail" }).open(null, { clock });
    await failing.close();
    await failing.runNext();
    expect(failing.report()).toEqual({ tasks: 3, durationMs: 0, retried: [], abandoned: [] });
    expect(reads).toBe(0);

    const failed = workflow(new Recorder(), { pre: "fail" }).open(null);
    while (await failed.runNext());
    expect(failed.hasFailures()).toBe(true);
    expect(failed.report()).toBeUndefined();

    const controller = new AbortController();
    const aborted = workflow(new Recorder()).open(null, { signal: controller.signal });
    await aborted.runNext();
    controller.abort(new Error("client went away"));
    await aborted.close();
    expect(aborted.failures()).toEqual([]);
    expect(aborted.report()).toBeUndefined();
  });

  it("PR-13 a listener of the settled event sees no report yet; once the step ended, it is there", async () => {
    let seen: unknown = "not called";
    const runner: PhaseRunner = workflow(new Recorder()).open(null, {
      onEvent: (e) => {
        if (e.type === "run" && e.to === "settled") seen = runner.report();
      },
    });
    while (await runner.runNext());
    expect(seen).toBeUndefined();
    expect(runner.report()).toMatchObject({ tasks: 3, retried: [], abandoned: [] });
  });
});
