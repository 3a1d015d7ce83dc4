/**
 * The run options and the user's `onEvent` go through the tracing unchanged: each option is
 * read once, bad options are refused with the engine's own words, the user's listener sees
 * every event, and an error it throws is rethrown as uncaught, as without tracing (spec
 * INV-33).
 */
import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  type LifecycleEvent,
  type RunOptions,
  type TaskFunction,
  task,
  taskFunc,
} from "../../src/index.js";
import { instrument } from "../../src/otel/index.js";
import { captureUncaught } from "../functions/helpers.js";
import { isChildOf, openSpans, span, spans, tracer, useTracing } from "./support.js";

useTracing();

type Ctx = Record<string, unknown>;

const processor = AsyncTaskProcessor.builder<Ctx>()
  .addTask(task("a", { preExecute: async () => {}, postExecute: () => {} }), 1)
  .addTask(task("b", { execute: () => {} }), 2)
  .build();
const traced = instrument(processor, { tracer });

/** How a run ended: its value, or its rejection's name, message and cause. */
async function outcomeOf(run: () => Promise<unknown>) {
  try {
    return { value: await run() };
  } catch (error) {
    const e = error as Error;
    return { name: e.name, message: e.message, cause: e.cause };
  }
}

describe("the user's onEvent", () => {
  it("receives the same events as without tracing", async () => {
    const bare: LifecycleEvent[] = [];
    const withTracing: LifecycleEvent[] = [];
    const clock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} };
    await processor.processTasks({}, { clock, onEvent: (e) => bare.push(e) });
    await traced.processTasks({}, { clock, onEvent: (e) => withTracing.push(e) });
    expect(withTracing).toEqual(bare);
    expect(withTracing.length).toBeGreaterThan(10);
  });

  it("that throws is rethrown as uncaught, and the run and its spans are unaffected (spec INV-33)", async () => {
    const thrown = new Error("listener bug");
    let calls = 0;
    const onEvent = () => {
      calls++;
      throw thrown;
    };
    let report: unknown;
    const uncaught = await captureUncaught(async () => {
      report = await traced.processTasks({}, { onEvent });
    });
    expect(report).toMatchObject({ tasks: 2 });
    expect(uncaught.length).toBe(calls);
    expect(uncaught.every((e) => e === thrown)).toBe(true);
    expect(spans().map((s) => s.name)).toEqual([
      "a preExecute",
      "b execute",
      "a postExecute",
      "sdax run",
    ]);
  });

  it("that is async and rejects has its rejection rethrown as uncaught, never unhandled (spec INV-33)", async () => {
    const rejected = new Error("event sink down");
    let calls = 0;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const uncaught = await captureUncaught(async () => {
        await traced.processTasks(
          {},
          {
            onEvent: async () => {
              calls++;
              throw rejected;
            },
          },
        );
        await new Promise((resolve) => setImmediate(resolve));
      });
      expect(calls).toBeGreaterThan(0);
      expect(uncaught.length).toBe(calls);
      expect(uncaught.every((e) => e === rejected)).toBe(true);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("may start another traced run from an attempt's start event: each run keeps its own spans", async () => {
    let nested: Promise<unknown> | undefined;
    const onEvent = (e: LifecycleEvent) => {
      if (nested === undefined && e.type === "attempt" && e.event === "start") {
        nested = tracer.startActiveSpan("nested caller", (s) => {
          const run = traced.processTasks({});
          s.end();
          return run;
        });
      }
    };
    await tracer.startActiveSpan("outer caller", async (s) => {
      await traced.processTasks({}, { onEvent });
      s.end();
    });
    await nested;
    const runs = spans().filter((s) => s.name === "sdax run");
    expect(runs).toHaveLength(2);
    const outer = runs.find((r) => isChildOf(r, span("outer caller")))!;
    const inner = runs.find((r) => isChildOf(r, span("nested caller")))!;
    for (const run of [outer, inner]) {
      const children = spans().filter((s) => isChildOf(s, run));
      expect(children.map((s) => s.name).sort()).toEqual([
        "a postExecute",
        "a preExecute",
        "b execute",
      ]);
    }
  });
});

// A span method that threw skipped the span's end: the run span, or an attempt's, was never
// exported, and the run's trace was lost.
describe("a tracer whose span methods throw", () => {
  for (const method of ["setAttribute", "setStatus", "addEvent", "recordException"] as const) {
    it(`ends every span anyway when ${method} throws, its errors rethrown as uncaught (spec INV-33)`, async () => {
      const throwing = {
        startSpan(...args: Parameters<typeof tracer.startSpan>) {
          const started = tracer.startSpan(...args);
          started[method] = () => {
            throw new Error(`${method} failed`);
          };
          return started;
        },
      } as unknown as typeof tracer;
      const workflow = AsyncTaskProcessor.builder<Ctx>()
        .addTask(task("ok", { preExecute: () => {} }), 1)
        .addTask(
          task("stuck", {
            execute: taskFunc(() => new Promise(() => {}), { timeoutMs: 1, abandonAfterMs: 1 }),
          }),
          1,
        )
        .build();
      let outcome: unknown;
      const uncaught = await captureUncaught(async () => {
        outcome = await outcomeOf(() =>
          instrument(workflow, { tracer: throwing }).processTasks({}),
        );
      });
      expect(outcome).toMatchObject({ name: "SdaxExecutionError" });
      expect(uncaught.length).toBeGreaterThan(0);
      expect(uncaught.every((e) => (e as Error).message === `${method} failed`)).toBe(true);
      expect(openSpans.size).toBe(0);
      expect(
        spans()
          .map((s) => s.name)
          .sort(),
      ).toEqual(["ok preExecute", "sdax run", "stuck execute"].sort());
    });
  }
});

describe("a tracer that cannot start the run's span", () => {
  // It was asked again at every run event, and each failure was reported.
  it("is asked once; its error is rethrown as uncaught once, and the attempts are traced under the caller's context", async () => {
    let asked = 0;
    const failing = {
      startSpan(...args: Parameters<typeof tracer.startSpan>) {
        if (args[0] === "sdax run") {
          asked++;
          throw new Error("no run span");
        }
        return tracer.startSpan(...args);
      },
    } as unknown as typeof tracer;
    let outcome: unknown;
    const uncaught = await captureUncaught(async () => {
      outcome = await outcomeOf(() => instrument(processor, { tracer: failing }).processTasks({}));
    });
    expect(outcome).toMatchObject({ value: { tasks: 2 } });
    expect(asked).toBe(1);
    expect(uncaught).toEqual([new Error("no run span")]);
    expect(spans().map((s) => s.name)).toEqual(["a preExecute", "b execute", "a postExecute"]);
    expect(spans().every((s) => s.parentSpanContext === undefined)).toBe(true);
  });
});

describe("run options", () => {
  it("are each read once", async () => {
    const reads: string[] = [];
    const options = {
      get random() {
        reads.push("random");
        return Math.random;
      },
      get onEvent() {
        reads.push("onEvent");
        return () => {};
      },
      get abandonAfterMs() {
        reads.push("abandonAfterMs");
        return null;
      },
    };
    await traced.processTasks({}, options);
    expect(reads.sort()).toEqual(["abandonAfterMs", "onEvent", "random"]);
    reads.length = 0;
    await traced.open({}, options).close();
    expect(reads.sort()).toEqual(["abandonAfterMs", "onEvent", "random"]);
  });

  const refused: [string, () => unknown][] = [
    ["not an object", () => 42],
    ["null", () => null],
    ["a signal in place of the options", () => new AbortController().signal],
    ["an array", () => []],
    ["options inherited from another object", () => Object.create({ timeoutMs: 10 })],
    ["an unknown key", () => ({ onevent: () => {} })],
    ["a listener that is not a function", () => ({ onEvent: "log" })],
    ["a bad abandonAfterMs", () => ({ abandonAfterMs: -1 })],
    [
      "a getter that throws",
      () => ({
        get signal(): never {
          throw new Error("no signal here");
        },
      }),
    ],
    [
      "a listener getter that throws",
      () => ({
        get onEvent(): never {
          throw new Error("no listener here");
        },
      }),
    ],
  ];
  for (const [what, make] of refused) {
    it(`refuses ${what} as the bare processor does`, async () => {
      const bare = await outcomeOf(() => processor.processTasks({}, make() as RunOptions));
      const withTracing = await outcomeOf(() => traced.processTasks({}, make() as RunOptions));
      expect(bare.name).toBe("TypeError");
      expect(withTracing).toEqual(bare);
      const bareOpen = await outcomeOf(async () => processor.open({}, make() as RunOptions));
      const tracedOpen = await outcomeOf(async () => traced.open({}, make() as RunOptions));
      expect(tracedOpen).toEqual(bareOpen);
      expect(spans()).toEqual([]);
    });
  }

  it("may have a `__proto__` key, kept as data", async () => {
    const options = JSON.parse('{"__proto__": {"x": 1}}') as RunOptions;
    const bare = await outcomeOf(() => processor.processTasks({}, options));
    const withTracing = await outcomeOf(() => traced.processTasks({}, options));
    expect(withTracing).toEqual(bare);
  });
});

describe("task functions", () => {
  it("are called with no `this`, as without tracing", async () => {
    const seen: unknown[] = [];
    const fn: TaskFunction<Ctx> = taskFunc(function (this: unknown) {
      seen.push(this);
    });
    const p = AsyncTaskProcessor.builder<Ctx>()
      .addTask(task("t", { execute: fn }), 1)
      .build();
    await p.processTasks({});
    await instrument(p, { tracer }).processTasks({});
    expect(seen).toEqual([undefined, undefined]);
  });
});
