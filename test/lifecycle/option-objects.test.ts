/**
 * spec/lifecycle.md INV-33: option objects (run options, build options, taskFunc options) and
 * the phases given to task() are plain objects, and only their own properties are read.
 */
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  SdaxBuildError,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { exploreFailures } from "../../src/testing/index.js";
import { Recorder } from "../helpers/recorder.js";

function workflow(rec: Recorder) {
  return AsyncTaskProcessor.builder()
    .addTask(rec.task("A", { pre: true, exec: true, post: true }), 1)
    .build();
}

const polluted = [
  "timeoutMs",
  "maxConcurrency",
  "retries",
  "initialDelayMs",
  "abandonAfterMs",
  "preExecute",
  "postExecute",
];

afterEach(() => {
  for (const key of polluted) delete (Object.prototype as Record<string, unknown>)[key];
});

/** What a prototype-pollution attack leaves behind: every object now "has" these values. */
function pollute(): void {
  for (const key of polluted) {
    Object.defineProperty(Object.prototype, key, {
      value: key === "maxConcurrency" || key === "retries" ? 1 : 0,
      configurable: true,
      writable: true,
    });
  }
}

describe("INV-33: option objects", () => {
  it("INV-33: a signal passed in place of the run options is refused with a hint, before anything runs", async () => {
    const rec = new Recorder();
    const signal = new AbortController().signal as never;
    await expect(workflow(rec).processTasks(undefined, signal)).rejects.toThrow(
      "run options must be a plain object like { signal, onEvent }, got an AbortSignal (pass a signal as { signal })",
    );
    expect(() => workflow(rec).open(undefined, signal)).toThrow(TypeError);
    expect(rec.log).toEqual([]);
  });

  it("INV-33: an array or a class instance as options is refused, naming what was given", async () => {
    const rec = new Recorder();
    await expect(workflow(rec).processTasks(undefined, [] as never)).rejects.toThrow(
      "run options must be a plain object like { signal, onEvent }, got [] (array)",
    );
    await expect(
      workflow(rec).processTasks(undefined, new VirtualClock() as never),
    ).rejects.toThrow("got a VirtualClock");
    const builder = AsyncTaskProcessor.builder().addTask(rec.task("B", { exec: true }), 1);
    expect(() => builder.build(new Map() as never)).toThrow(
      "build(): options must be a plain object like { maxConcurrency }, got a Map",
    );
    expect(() => taskFunc(async () => {}, [] as never)).toThrow(SdaxBuildError);
    expect(rec.log).toEqual([]);
  });

  // `onEvent: events.push` compiled, then threw "Cannot convert undefined or null to object"
  // as an uncaught exception at every event, naming neither onEvent nor the fix.
  it("INV-33: a collection's push, unshift or add given as onEvent is refused, saying how to write it", async () => {
    const rec = new Recorder();
    const events: unknown[] = [];
    await expect(
      workflow(rec).processTasks(undefined, { onEvent: events.push as never }),
    ).rejects.toThrow(
      "run options: `onEvent` is Array.prototype.push, which throws when called with no `this`, as a listener is; give (event) => events.push(event)",
    );
    expect(() => workflow(rec).open(undefined, { onEvent: new Set().add as never })).toThrow(
      /`onEvent` is Set\.prototype\.add, .* give \(event\) => events\.add\(event\)$/,
    );
    expect(() => workflow(rec).open(undefined, { onEvent: events.unshift as never })).toThrow(
      TypeError,
    );
    expect(rec.log).toEqual([]);
    // A listener that pushes is fine.
    await workflow(rec).processTasks(undefined, { onEvent: (e) => events.push(e) });
    expect(events.length).toBeGreaterThan(0);
  });

  it("INV-33: an object without a prototype is a plain object", async () => {
    const rec = new Recorder();
    const options = Object.assign(Object.create(null), { maxConcurrency: 1 });
    const report = await workflow(rec).processTasks(undefined, options);
    expect(report.tasks).toBe(1);
    expect(rec.log).toEqual(["A.pre>", "A.pre<", "A.exec>", "A.exec<", "A.post>", "A.post<"]);
  });

  it("INV-33: an object literal of another realm is a plain object; only enumerable own properties are options", async () => {
    const rec = new Recorder();
    const processor = workflow(rec);
    const foreign = runInNewContext("({ maxConcurrency: 1 })") as { maxConcurrency: number };
    await expect(processor.processTasks(undefined, foreign)).resolves.toMatchObject({ tasks: 1 });
    const rebuilt = AsyncTaskProcessor.builder()
      .addTask(rec.task("B", { exec: true }), 1)
      .build(runInNewContext("({ maxConcurrency: 2 })") as { maxConcurrency: number });
    expect(rebuilt.describe()).toHaveLength(1);
    const hidden = Object.defineProperty({}, "timeoutMs", { value: -1, enumerable: false });
    await expect(processor.processTasks(undefined, hidden)).resolves.toMatchObject({ tasks: 1 });
  });

  it("INV-33: exploreFailures reads its options and run options by their own properties only", async () => {
    const rec = new Recorder();
    pollute();
    Object.defineProperty(Object.prototype, "runs", {
      value: 1,
      configurable: true,
      writable: true,
    });
    try {
      const result = await exploreFailures(workflow(rec), {
        context: () => undefined,
        check: () => {},
        seed: 7,
      });
      expect(result.runs).toBeGreaterThan(1);
    } finally {
      delete (Object.prototype as Record<string, unknown>).runs;
    }
    await expect(
      exploreFailures(workflow(rec), {
        context: () => undefined,
        check: () => {},
        runOptions: new Map() as never,
      }),
    ).rejects.toThrow("exploreFailures: `runOptions` must be a plain object, got a Map");
  });

  it("INV-33: values a polluted Object.prototype gives are not options", async () => {
    const rec = new Recorder();
    const clock = new VirtualClock();
    const processor = AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: true, exec: true, post: true }), 1)
      .addTask(rec.task("B", { pre: true, exec: true, post: true }), 1)
      .build({});
    pollute();
    const fn = taskFunc(async () => {}, {});
    expect(fn.retries).toBe(0);
    expect(fn.timeoutMs).toBe(null);
    expect(fn.initialDelayMs).toBe(1000);
    const starts: string[] = [];
    const taskEvents: string[] = [];
    const report = await processor.processTasks(undefined, {
      clock,
      onEvent: (e) => {
        if (e.type === "run" && e.event === "start") starts.push(JSON.stringify(e));
        if (e.type === "task") taskEvents.push(e.event);
      },
    });
    expect(report.tasks).toBe(2);
    expect(report.retried).toEqual([]);
    // Neither a deadline nor a limit of one (which would queue B's preExecute).
    expect(starts).toHaveLength(1);
    expect(starts[0]).not.toContain("timeoutMs");
    expect(starts[0]).not.toContain("maxConcurrency");
    expect(taskEvents).toContain("startPre");
    expect(taskEvents).not.toContain("queuePre");
  });

  it("INV-33: a phase a polluted Object.prototype gives is no phase of any task", async () => {
    const calls: string[] = [];
    const injected = () => {
      calls.push("injected");
    };
    for (const key of ["preExecute", "postExecute"]) {
      Object.defineProperty(Object.prototype, key, {
        value: injected,
        configurable: true,
        writable: true,
      });
    }
    const own = () => {
      calls.push("own");
    };
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("a", { execute: own }), 1)
      .addTask(task("b", { preExecute: own, execute: own }), 1)
      .build();
    expect(processor.describe().map((t) => t.phases)).toEqual([
      ["execute"],
      ["preExecute", "execute"],
    ]);
    expect(() => task("c", {})).toThrow('task "c" has no phase');
    await processor.processTasks(undefined);
    expect(calls).toEqual(["own", "own", "own"]);
  });

  it("INV-33: a class instance as a task's phases is refused at task(), saying why", () => {
    class Worker {
      conn: string | undefined;
      preExecute(): void {
        this.conn = "open";
      }
    }
    const phases = new Worker() as unknown as Parameters<typeof task>[1];
    expect(() => task("db", phases)).toThrow(SdaxBuildError);
    expect(() => task("db", phases)).toThrow(
      'task "db": phases must be a plain object like { preExecute, execute, postExecute }, got a Worker; give a plain object of functions, like { execute: (ctx, scope) => worker.execute(ctx, scope) }: a method would be called without `this`',
    );
    // The hint is for objects whose phases are methods, not for anything else.
    for (const [value, shown] of [
      [[], "[] (array)"],
      [new Map(), "a Map"],
      [task("x", { execute: () => {} }), 'a task "x"'],
    ] as const) {
      expect(() => task("db", value as never)).toThrow(
        `task "db": phases must be a plain object like { preExecute, execute, postExecute }, got ${shown}`,
      );
      expect(() => task("db", value as never)).not.toThrow("method");
    }
    expect(() => task("db", Object.create(null))).toThrow('task "db" has no phase');
  });
});
