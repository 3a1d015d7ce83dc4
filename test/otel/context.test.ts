/**
 * Where the spans of a traced run sit in the trace: the run span under the context active
 * where the run was started, each attempt's span under the run span, and the spans the user's
 * own code starts inside a task function under that attempt's span, after an `await` too.
 */
import { context, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  RetryableError,
  type TaskScope,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { instrument, SDAX_ATTRIBUTES } from "../../src/otel/index.js";
import { deferred, flush } from "../helpers/async.js";
import { isChildOf, span, spans, tracer, useTracing } from "./support.js";

useTracing();

type Ctx = Record<string, unknown>;

/** A stand-in for an instrumented client: a span of its own, around an await. */
async function clientCall(name: string): Promise<void> {
  await tracer.startActiveSpan(name, async (s) => {
    await Promise.resolve();
    s.end();
  });
}

function oneTask(phases: Parameters<typeof task<Ctx>>[1]): AsyncTaskProcessor<Ctx> {
  return AsyncTaskProcessor.builder<Ctx>().addTask(task("t", phases), 1).build();
}

describe("the spans a task function starts", () => {
  it("are children of its attempt's span, before and after an await", async () => {
    const processor = oneTask({
      execute: async () => {
        await clientCall("before await");
        await new Promise((resolve) => setImmediate(resolve));
        await clientCall("after await");
      },
    });
    await instrument(processor, { tracer }).processTasks({});
    const phase = span("t execute");
    expect(isChildOf(span("before await"), phase)).toBe(true);
    expect(isChildOf(span("after await"), phase)).toBe(true);
  });

  it("see the attempt's span as the active span, and a retry its own, though a timer outside the run started it", async () => {
    const clock = new VirtualClock();
    const seen: (string | undefined)[] = [];
    const flaky = taskFunc(
      (_ctx: Ctx, { attempt }: TaskScope) => {
        seen.push(trace.getActiveSpan()?.spanContext().spanId);
        if (attempt === 1) throw new RetryableError("again");
      },
      { retries: 1, initialDelayMs: 10 },
    );
    const run = instrument(oneTask({ execute: flaky }), { tracer }).processTasks({}, { clock });
    await clock.runAll();
    await run;
    const attempts = spans().filter((s) => s.name === "t execute");
    expect(attempts).toHaveLength(2);
    expect(seen).toEqual(attempts.map((s) => s.spanContext().spanId));
  });

  it("include the spans of children started with scope.spawn (spec INV-29)", async () => {
    const processor = oneTask({
      execute: (_ctx: Ctx, scope: TaskScope) => {
        void scope.spawn(() => clientCall("child"));
      },
    });
    await instrument(processor, { tracer }).processTasks({});
    expect(isChildOf(span("child"), span("t execute"))).toBe(true);
  });

  it("leave the caller's context as it was once the run is over", async () => {
    const processor = oneTask({ execute: () => clientCall("inside") });
    const traced = instrument(processor, { tracer });
    const before = context.active();
    await traced.processTasks({});
    expect(context.active()).toBe(before);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});

describe("the run span", () => {
  it("is a child of the span active where processTasks was called", async () => {
    const processor = oneTask({ execute: async () => {} });
    const traced = instrument(processor, { tracer });
    await tracer.startActiveSpan("request", async (request) => {
      await traced.processTasks({});
      request.end();
    });
    const run = span("sdax run");
    expect(isChildOf(run, span("request"))).toBe(true);
    expect(isChildOf(span("t execute"), run)).toBe(true);
  });

  it("is a root span when nothing is active", async () => {
    await instrument(oneTask({ execute: () => {} }), { tracer }).processTasks({});
    expect(span("sdax run").parentSpanContext).toBeUndefined();
  });

  it("of a phase runner is a child of the context active at open(), not at runNext()", async () => {
    const processor = AsyncTaskProcessor.builder<Ctx>()
      .addTask(
        task("t", {
          preExecute: () => clientCall("acquire"),
          execute: () => {},
          postExecute: () => clientCall("release"),
        }),
        1,
      )
      .build();
    const traced = instrument(processor, { tracer });
    const runner = tracer.startActiveSpan("request", (request) => {
      const opened = traced.open({});
      request.end();
      return opened;
    });
    await tracer.startActiveSpan("elsewhere", async (elsewhere) => {
      while (await runner.runNext()) {}
      elsewhere.end();
    });
    await runner.close();

    const run = span("sdax run");
    expect(isChildOf(run, span("request"))).toBe(true);
    for (const phase of ["t preExecute", "t execute", "t postExecute"]) {
      expect(isChildOf(span(phase), run), phase).toBe(true);
    }
    expect(isChildOf(span("acquire"), span("t preExecute"))).toBe(true);
    expect(isChildOf(span("release"), span("t postExecute"))).toBe(true);
    expect(run.attributes[SDAX_ATTRIBUTES.outcome]).toBe("succeeded");
  });

  it("of a phase runner starts with its first phase, and ends when it is closed", async () => {
    const gate = deferred();
    const processor = oneTask({ preExecute: () => gate.promise, postExecute: () => {} });
    const runner = instrument(processor, { tracer }).open({});
    await flush();
    expect(spans()).toEqual([]);
    const first = runner.runNext();
    gate.resolve();
    await first;
    expect(spans().map((s) => s.name)).toEqual(["t preExecute"]);
    await runner.close();
    expect(spans().map((s) => s.name)).toEqual(["t preExecute", "t postExecute", "sdax run"]);
  });

  it("of a phase runner closed before any phase has no child", async () => {
    const runner = instrument(oneTask({ execute: () => {} }), { tracer }).open({});
    await runner.close();
    expect(spans().map((s) => s.name)).toEqual(["sdax run"]);
  });
});
