/**
 * `instrument()`: the spans of a run, one per run and one per attempt of each phase, with
 * their attributes, exceptions, statuses and events, for each way an attempt can end.
 */
import { SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  checkTrace,
  RetryableError,
  type TaskScope,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { instrument, SDAX_ATTRIBUTES, SDAX_EVENTS, TracedProcessor } from "../../src/otel/index.js";
import { deferred, executionErrorOf, flush } from "../helpers/async.js";
import { eventNames, isChildOf, span, spans, tracer, useTracing } from "./support.js";

useTracing();

type Ctx = Record<string, unknown>;

function levels(...tasks: [ReturnType<typeof task<Ctx>>, number][]): AsyncTaskProcessor<Ctx> {
  const builder = AsyncTaskProcessor.builder<Ctx>();
  for (const [t, level] of tasks) builder.addTask(t, level);
  return builder.build();
}

/** Settles when the signal aborts, with its reason: a function that stops when told to. */
function untilAborted(_ctx: Ctx, { signal }: TaskScope): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

function exceptionEvent(s: ReadableSpan) {
  const found = s.events.find((e) => e.name === "exception");
  if (found === undefined) throw new Error(`span "${s.name}" recorded no exception`);
  return found.attributes ?? {};
}

describe("a successful run", () => {
  it("has a run span and, as its children, a span per phase named `<task> <phase>`", async () => {
    const processor = levels(
      [task("db", { preExecute: async () => {}, postExecute: () => {} }), 1],
      [task("user", { execute: async () => {} }), 2],
    );
    const traced = instrument(processor, { tracer, name: "checkout" });
    await traced.processTasks({});

    const run = span("checkout");
    expect(run.parentSpanContext).toBeUndefined();
    expect(run.attributes).toEqual({
      [SDAX_ATTRIBUTES.tasks]: 2,
      [SDAX_ATTRIBUTES.outcome]: "succeeded",
      [SDAX_ATTRIBUTES.aborted]: false,
      [SDAX_ATTRIBUTES.failures]: 0,
    });
    expect(run.status.code).toBe(SpanStatusCode.UNSET);
    const phases = spans().filter((s) => s !== run);
    expect(phases.map((s) => s.name)).toEqual(["db preExecute", "user execute", "db postExecute"]);
    for (const s of phases) {
      expect(isChildOf(s, run), s.name).toBe(true);
      expect(s.attributes[SDAX_ATTRIBUTES.attempt]).toBe(1);
      expect(s.attributes[SDAX_ATTRIBUTES.outcome]).toBe("succeeded");
      expect(s.status.code).toBe(SpanStatusCode.UNSET);
    }
    expect(span("user execute").attributes).toMatchObject({
      [SDAX_ATTRIBUTES.task]: "user",
      [SDAX_ATTRIBUTES.phase]: "execute",
    });
    // The run span ends last: after every phase it contains.
    expect(spans().at(-1)).toBe(run);
  });

  it('names the run span "sdax run" by default', async () => {
    await instrument(levels([task("a", { execute: () => {} }), 1]), { tracer }).processTasks({});
    expect(span("sdax run").attributes[SDAX_ATTRIBUTES.outcome]).toBe("succeeded");
  });
});

describe("a failed phase", () => {
  it("records the error as thrown, with its stack, and an error status; the run span fails too", async () => {
    const boom = new Error("boom");
    const processor = levels(
      [task("a", { preExecute: () => {}, postExecute: () => {} }), 1],
      [
        task("b", {
          execute: async () => {
            throw boom;
          },
        }),
        2,
      ],
    );
    const error = await executionErrorOf(instrument(processor, { tracer }).processTasks({}));
    expect(error.failures[0]?.error).toBe(boom);

    const b = span("b execute");
    expect(b.attributes[SDAX_ATTRIBUTES.outcome]).toBe("failed");
    expect(b.status).toEqual({ code: SpanStatusCode.ERROR, message: "boom" });
    expect(exceptionEvent(b)).toMatchObject({
      "exception.type": "Error",
      "exception.message": "boom",
      "exception.stacktrace": boom.stack,
    });
    // Cleanup still ran, and was traced.
    expect(span("a postExecute").attributes[SDAX_ATTRIBUTES.outcome]).toBe("succeeded");
    const run = span("sdax run");
    expect(run.attributes).toMatchObject({
      [SDAX_ATTRIBUTES.outcome]: "failed",
      [SDAX_ATTRIBUTES.failures]: 1,
    });
    expect(run.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'task "b" execute failed: boom',
    });
  });

  it("records a child's failure, which the function itself never sees (spec INV-29)", async () => {
    const childError = new Error("child failed");
    const processor = levels([
      task("t", {
        execute: (_ctx: Ctx, scope: TaskScope) => {
          void scope.spawn(async () => {
            throw childError;
          });
        },
      }),
      1,
    ]);
    await executionErrorOf(instrument(processor, { tracer }).processTasks({}));
    const t = span("t execute");
    expect(exceptionEvent(t)["exception.message"]).toBe("child failed");
    expect(exceptionEvent(t)["exception.stacktrace"]).toBe(childError.stack);
  });

  it("records a thrown non-Error and a revoked proxy without breaking (spec INV-33)", async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const processor = levels(
      [
        task("str", {
          preExecute: () => {
            throw "plain string";
          },
        }),
        1,
      ],
      [
        task("proxy", {
          preExecute: () => {
            throw proxy;
          },
        }),
        1,
      ],
    );
    const error = await executionErrorOf(instrument(processor, { tracer }).processTasks({}));
    expect(error.failures[0]?.error).toBe("plain string");
    expect(error.failures[1]?.error).toBe(proxy);
    expect(exceptionEvent(span("str preExecute"))).toMatchObject({
      "exception.type": "string",
      "exception.message": "plain string",
    });
    expect(span("proxy preExecute").status.code).toBe(SpanStatusCode.ERROR);
    expect(exceptionEvent(span("proxy preExecute"))["exception.message"]).toBe("<unreadable>");
  });

  it("puts the first failure and the count of the others in the run span's status", async () => {
    const processor = levels(
      [task("a", { preExecute: () => Promise.reject(new Error("a down")) }), 1],
      [task("b", { preExecute: () => Promise.reject(new Error("b down")) }), 1],
    );
    await executionErrorOf(instrument(processor, { tracer }).processTasks({}));
    expect(span("sdax run").status.message).toBe('task "a" preExecute failed: a down (and 1 more)');
  });
});

describe("cancellation (spec INV-4, INV-6)", () => {
  it("marks a cancelled attempt with a cancel event, no error status, and ends its span when it settles", async () => {
    const failing = deferred();
    const processor = levels(
      [task("a", { preExecute: () => failing.promise }), 1],
      [task("b", { preExecute: untilAborted }), 1],
    );
    const run = instrument(processor, { tracer }).processTasks({});
    await flush();
    expect(spans()).toEqual([]);
    failing.reject(new Error("a failed"));
    await executionErrorOf(run);

    const b = span("b preExecute");
    expect(b.attributes[SDAX_ATTRIBUTES.outcome]).toBe("cancelled");
    expect(b.status.code).toBe(SpanStatusCode.UNSET);
    expect(eventNames(b)).toEqual([SDAX_EVENTS.cancel]);
    expect(String(b.events[0]?.attributes?.[SDAX_ATTRIBUTES.reason])).toMatch(
      /sdax run cancelled: task "a" preExecute failed/,
    );
  });

  it("records a cancelled function's own failure as failedAfterCancel (spec INV-32)", async () => {
    const rollback = new Error("rollback failed");
    const processor = levels(
      [task("a", { preExecute: () => Promise.reject(new Error("a failed")) }), 1],
      [
        task("b", {
          preExecute: (_ctx: Ctx, { signal }: TaskScope) =>
            new Promise((_resolve, reject) => {
              signal.addEventListener("abort", () => reject(rollback), { once: true });
            }),
        }),
        1,
      ],
    );
    const error = await executionErrorOf(instrument(processor, { tracer }).processTasks({}));
    expect(error.failures.map((f) => [f.task, f.afterCancel])).toEqual([
      ["a", false],
      ["b", true],
    ]);
    const b = span("b preExecute");
    expect(b.attributes[SDAX_ATTRIBUTES.outcome]).toBe("failedAfterCancel");
    expect(b.status).toEqual({ code: SpanStatusCode.ERROR, message: "rollback failed" });
    expect(eventNames(b)).toEqual([SDAX_EVENTS.cancel, "exception"]);
  });

  it("adds an abort event to the run span when the run's signal aborts (spec INV-19)", async () => {
    const controller = new AbortController();
    const processor = levels([task("a", { preExecute: untilAborted }), 1]);
    const run = instrument(processor, { tracer }).processTasks({}, { signal: controller.signal });
    await flush();
    controller.abort(new Error("client went away"));
    const error = await executionErrorOf(run);
    expect(error.aborted).toBe(true);

    const r = span("sdax run");
    expect(eventNames(r)).toEqual([SDAX_EVENTS.abort]);
    expect(r.events[0]?.attributes?.[SDAX_ATTRIBUTES.reason]).toBe("client went away");
    expect(r.attributes).toMatchObject({
      [SDAX_ATTRIBUTES.aborted]: true,
      [SDAX_ATTRIBUTES.outcome]: "failed",
      [SDAX_ATTRIBUTES.failures]: 0,
    });
    expect(r.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: "the run was aborted: client went away",
    });
    expect(span("a preExecute").attributes[SDAX_ATTRIBUTES.outcome]).toBe("cancelled");
  });
  it("adds an abort event to the run span when the run's deadline passes (spec INV-40)", async () => {
    const clock = new VirtualClock();
    const processor = levels([task("a", { preExecute: untilAborted, postExecute: () => {} }), 1]);
    const traced = instrument(processor, { tracer });
    const failed = executionErrorOf(traced.processTasks({}, { clock, timeoutMs: 50 }));
    await clock.runAll();
    const error = await failed;
    expect(error.aborted).toBe(true);
    const r = span("sdax run");
    expect(eventNames(r)).toEqual([SDAX_EVENTS.abort]);
    expect(r.attributes[SDAX_ATTRIBUTES.aborted]).toBe(true);
    expect(r.status.message).toBe(`the run was aborted: ${(error.cause as Error).message}`);
    expect(span("a preExecute").attributes[SDAX_ATTRIBUTES.outcome]).toBe("cancelled");
    expect(span("a postExecute").attributes[SDAX_ATTRIBUTES.outcome]).toBe("succeeded");
  });
});

describe("timeouts, retries and abandonment", () => {
  it("records a timeout as the TimeoutError the attempt failed with (spec INV-26)", async () => {
    const clock = new VirtualClock();
    const processor = levels([
      task("slow", { execute: taskFunc(untilAborted, { timeoutMs: 100 }) }),
      1,
    ]);
    const failed = executionErrorOf(instrument(processor, { tracer }).processTasks({}, { clock }));
    await clock.runAll();
    await failed;
    const s = span("slow execute");
    expect(s.attributes[SDAX_ATTRIBUTES.outcome]).toBe("timedOut");
    expect(exceptionEvent(s)).toMatchObject({ "exception.type": "TimeoutError" });
    expect(s.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("gives each attempt its own span and puts a retry event on the run span (spec INV-21, INV-24)", async () => {
    const clock = new VirtualClock();
    const flaky = taskFunc(
      (_ctx: Ctx, { attempt }: TaskScope) => {
        if (attempt === 1) throw new RetryableError("try again");
      },
      { retries: 2, initialDelayMs: 40 },
    );
    const processor = levels([task("flaky", { execute: flaky }), 1]);
    const run = instrument(processor, { tracer }).processTasks({}, { clock, random: () => 1 });
    await clock.runAll();
    const report = await run;
    expect(report.retried).toEqual([{ task: "flaky", phase: "execute", attempts: 2 }]);

    const attempts = spans().filter((s) => s.name === "flaky execute");
    expect(attempts.map((s) => s.attributes[SDAX_ATTRIBUTES.attempt])).toEqual([1, 2]);
    expect(attempts.map((s) => s.attributes[SDAX_ATTRIBUTES.outcome])).toEqual([
      "failed",
      "succeeded",
    ]);
    const r = span("sdax run");
    for (const a of attempts) expect(isChildOf(a, r)).toBe(true);
    expect(eventNames(r)).toEqual([SDAX_EVENTS.retry]);
    expect(r.events[0]?.attributes).toEqual({
      [SDAX_ATTRIBUTES.task]: "flaky",
      [SDAX_ATTRIBUTES.phase]: "execute",
      [SDAX_ATTRIBUTES.attempt]: 1,
      [SDAX_ATTRIBUTES.delayMs]: 40,
      [SDAX_ATTRIBUTES.reason]: "try again",
    });
    expect(r.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("ends an abandoned attempt's span with an abandon event, and traces its late settlement (spec INV-27)", async () => {
    const clock = new VirtualClock();
    const stubborn = deferred();
    const processor = levels([
      task("stubborn", {
        execute: taskFunc(() => stubborn.promise, { timeoutMs: 10, abandonAfterMs: 5 }),
      }),
      1,
    ]);
    const failed = executionErrorOf(instrument(processor, { tracer }).processTasks({}, { clock }));
    await clock.runAll();
    await failed;
    const s = span("stubborn execute");
    expect(s.attributes).toMatchObject({
      [SDAX_ATTRIBUTES.outcome]: "timedOut",
      [SDAX_ATTRIBUTES.abandoned]: true,
    });
    expect(eventNames(s)).toEqual(["exception", SDAX_EVENTS.abandon]);
    expect(span("sdax run").attributes[SDAX_ATTRIBUTES.outcome]).toBe("failed");
    expect(spans().some((x) => x.name.endsWith("late settlement"))).toBe(false);

    stubborn.reject(new Error("finally gave up"));
    await flush();
    const late = span("stubborn execute late settlement");
    expect(isChildOf(late, s)).toBe(true);
    expect(late.attributes).toEqual({
      [SDAX_ATTRIBUTES.task]: "stubborn",
      [SDAX_ATTRIBUTES.phase]: "execute",
      [SDAX_ATTRIBUTES.attempt]: 1,
      [SDAX_ATTRIBUTES.settled]: "rejected",
    });
    expect(exceptionEvent(late)["exception.message"]).toBe("finally gave up");
    // As thrown, with its stack, not the event's description of it.
    expect(exceptionEvent(late)["exception.stacktrace"]).toMatch(/^Error: finally gave up\n\s+at /);
  });

  // The event's description of a later error has no stack: it was recorded without one.
  it("records an attempt's own error that came after its timeout on its span, with its stack (spec task-functions 9)", async () => {
    const clock = new VirtualClock();
    const late = deferred();
    const processor = levels([
      task("slow", { execute: taskFunc(() => late.promise, { timeoutMs: 10 }) }),
      1,
    ]);
    const failed = executionErrorOf(instrument(processor, { tracer }).processTasks({}, { clock }));
    await clock.runAll();
    late.reject(new Error("gave up on its own"));
    await failed;
    const exceptions = span("slow execute").events.filter((e) => e.name === "exception");
    expect(exceptions.map((e) => e.attributes?.["exception.message"])).toEqual([
      'task "slow" execute attempt 1 timed out after 10 ms',
      "gave up on its own",
    ]);
    expect(exceptions[1]!.attributes?.["exception.stacktrace"]).toMatch(
      /^Error: gave up on its own\n\s+at /,
    );
  });

  it("traces a late settlement that fulfils, after the retry that replaced it succeeded", async () => {
    const clock = new VirtualClock();
    const first = deferred();
    const processor = levels([
      task("t", {
        execute: taskFunc(
          (_ctx: Ctx, { attempt }: TaskScope) => (attempt === 1 ? first.promise : undefined),
          { timeoutMs: 10, abandonAfterMs: 5, retries: 1, initialDelayMs: 0 },
        ),
      }),
      1,
    ]);
    const run = instrument(processor, { tracer }).processTasks({}, { clock });
    await clock.runAll();
    const report = await run;
    expect(report.abandoned).toEqual([{ task: "t", phase: "execute", attempts: 1 }]);
    first.resolve();
    await flush();
    const late = span("t execute late settlement");
    expect(late.attributes[SDAX_ATTRIBUTES.settled]).toBe("fulfilled");
    expect(late.events).toEqual([]);
    const attempt1 = spans().find(
      (s) => s.name === "t execute" && s.attributes[SDAX_ATTRIBUTES.attempt] === 1,
    );
    expect(attempt1 !== undefined && isChildOf(late, attempt1)).toBe(true);
  });
});

describe("instrument()", () => {
  it("refuses what is not a processor, a tracer or a name", () => {
    const processor = levels([task("a", { execute: () => {} }), 1]);
    expect(() => instrument({} as AsyncTaskProcessor<Ctx>)).toThrow(TypeError);
    expect(() => instrument(processor, { tracer: {} as typeof tracer })).toThrow(
      /`tracer` must be an OpenTelemetry Tracer, got/,
    );
    expect(() => instrument(processor, { name: 42 as unknown as string })).toThrow(
      /`name` must be a string, got 42/,
    );
  });

  // The constructor is private to TypeScript only: called from JavaScript, it skipped the
  // checks and a run later threw "startSpan is not a function" as an uncaught error.
  it("a TracedProcessor made by hand checks what instrument() checks", () => {
    const processor = levels([task("a", { execute: () => {} }), 1]);
    const ByHand = TracedProcessor as unknown as new (...args: unknown[]) => unknown;
    expect(() => new ByHand(processor, {}, "run")).toThrow(
      /`tracer` must be an OpenTelemetry Tracer, got/,
    );
    expect(() => new ByHand(processor, tracer, 42)).toThrow(/`name` must be a string, got 42/);
    expect(() => new ByHand({}, tracer, "run")).toThrow(TypeError);
    expect(new ByHand(processor, tracer, "run")).toBeInstanceOf(TracedProcessor);
  });

  // `null` threw a raw "Cannot read properties of null", a string and a misspelt key were
  // ignored, and checkTrace given the traced processor did not say what to pass instead.
  it("refuses options that are not a plain object or that it does not know; a traced processor given where a processor is expected says to pass its .processor", () => {
    const processor = levels([task("a", { execute: () => {} }), 1]);
    expect(() => instrument(processor, null as never)).toThrow(
      "instrument: options must be a plain object like { tracer, name }, got null",
    );
    expect(() => instrument(processor, "checkout" as never)).toThrow(
      'instrument: options must be a plain object like { tracer, name }, got "checkout" (string)',
    );
    expect(() => instrument(processor, { nmae: "checkout" } as never)).toThrow(
      "instrument: unknown option `nmae`; known options: tracer, name",
    );
    const traced = instrument(processor, { tracer });
    const hint =
      "expected an AsyncTaskProcessor made by a builder, got a TracedProcessor; pass its `.processor`";
    expect(() => checkTrace([], traced as never)).toThrow(`checkTrace: ${hint}`);
    expect(() => instrument(traced as never)).toThrow(`instrument: ${hint}`);
    expect(checkTrace([], traced.processor).length).toBeGreaterThan(0);
  });

  it("keeps the processor it traces", () => {
    const processor = levels([task("a", { execute: () => {} }), 1]);
    expect(instrument(processor, { tracer }).processor).toBe(processor);
  });
});
