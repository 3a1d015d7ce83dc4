import { describe, expect, expectTypeOf, it } from "vitest";
import type { ErrorInfo } from "../../src/errors/describe-error.js";
import {
  AsyncTaskProcessor,
  type FailureInfo,
  isSdaxExecutionError,
  type LifecycleEvent,
  task,
  taskFunc,
} from "../../src/index.js";
import { executionErrorOf } from "../helpers/async.js";
import { collectEvents, Recorder } from "../helpers/recorder.js";

describe("spec 5: error report", () => {
  const thrown: readonly [string, unknown][] = [
    ["a string", "plain string"],
    ["undefined", undefined],
    ["null", null],
    ["a number", 42],
    ["a plain object", { code: "E_CUSTOM", detail: [1, 2] }],
    [
      "an object with a throwing toString",
      {
        toString: () => {
          throw new Error("no");
        },
        toJSON: () => {
          throw new Error("no");
        },
      },
    ],
  ];
  for (const [what, value] of thrown) {
    for (const how of ["thrown synchronously", "rejected"] as const) {
      it(`INV-14: ${what} ${how} by a preExecute is kept exactly as thrown`, async () => {
        const processor = AsyncTaskProcessor.builder()
          .addTask(
            task("T", {
              preExecute: () => {
                if (how === "rejected") return Promise.reject(value);
                throw value;
              },
            }),
            1,
          )
          .build();
        const { events, onEvent } = collectEvents();
        const error = await executionErrorOf(processor.processTasks(undefined, { onEvent }));
        expect(error.failures).toHaveLength(1);
        expect(error.failures[0]!.error).toBe(value);
        expect(Object.hasOwn(error.failures[0]!, "error")).toBe(true);
        expect(error.errors).toHaveLength(1);
        expect(error.errors[0]).toBe(value);
        expect(error.leafErrors()).toEqual([value]);
        expect(typeof error.message).toBe("string");
        const fail = events.find((e) => e.type === "task" && e.event === "fail");
        expect(fail).toMatchObject({
          task: "T",
          phase: "preExecute",
          attempts: 1,
          afterCancel: false,
        });
        expect(fail?.type === "task" && fail.error).toMatchObject({
          name: expect.any(String),
          message: expect.any(String),
        });
      });
    }
  }

  it("INV-14: a synchronous throw from execute and postExecute counts as a failure like a rejection", async () => {
    const e1 = new RangeError("exec");
    const e2 = new SyntaxError("post");
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("T", {
          execute: () => {
            throw e1;
          },
          postExecute: () => {
            throw e2;
          },
        }),
        1,
      )
      .build();
    const error = await executionErrorOf(processor.processTasks(undefined));
    expect(error.failures).toEqual([
      { task: "T", phase: "execute", error: e1, attempts: 1, afterCancel: false },
      { task: "T", phase: "postExecute", error: e2, attempts: 1, afterCancel: false },
    ]);
    expect(error.message).toContain('task "T" execute failed: RangeError: exec');
  });
});

describe("spec 5: synchronous functions and empty workflows", () => {
  it("INV-2 INV-5 INV-10: synchronous functions (plain return values, taskFunc-wrapped or bare) run in the full lifecycle order", async () => {
    const log: string[] = [];
    const sync = (entry: string) => () => {
      log.push(entry);
      return entry; // a plain value, not a promise
    };
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("A", {
          preExecute: sync("A.pre"),
          execute: taskFunc(sync("A.exec")),
          postExecute: sync("A.post"),
        }),
        1,
      )
      .addTask(
        task("B", {
          preExecute: taskFunc(sync("B.pre")),
          execute: sync("B.exec"),
          postExecute: sync("B.post"),
        }),
        2,
      )
      .build();
    const report = await processor.processTasks(undefined);
    expect(log).toEqual(["A.pre", "B.pre", "A.exec", "B.exec", "B.post", "A.post"]);
    expect(report).toMatchObject({ tasks: 2, retried: [], abandoned: [] });
  });

  it("INV-13 INV-18: a processor with zero tasks resolves (level and graph builders) and reports a plain run", async () => {
    for (const processor of [
      AsyncTaskProcessor.builder().build(),
      AsyncTaskProcessor.graphBuilder().build(),
    ]) {
      const { events, onEvent } = collectEvents();
      await expect(processor.processTasks(undefined, { onEvent })).resolves.toMatchObject({
        tasks: 0,
        retried: [],
        abandoned: [],
      });
      expect(events.map((e) => e.type === "run" && `${e.from}->${e.to}`)).toEqual([
        "idle->entering",
        "entering->entered",
        "entered->executing",
        "executing->executed",
        "executed->cleaningUp",
        "cleaningUp->settled",
      ]);
    }
  });
});

describe("spec 6: events", () => {
  function mixedWorkflow(rec: Recorder) {
    return AsyncTaskProcessor.builder()
      .addTask(rec.task("A", { pre: async () => undefined, exec: true, post: true }), 1)
      .addTask(rec.task("B", { pre: true, exec: () => Promise.reject("no"), post: true }), 1)
      .addTask(rec.task("C", { exec: true }), 2)
      .addTask(
        rec.task("D", {
          post: () => {
            throw undefined;
          },
        }),
        3,
      )
      .build();
  }

  it("INV-18: events start with idle -> entering, seq rises by one from 0, and the move to settled is last", async () => {
    const { events, onEvent } = collectEvents();
    await mixedWorkflow(new Recorder())
      .processTasks(undefined, { onEvent })
      .catch(() => undefined);
    expect(events.length).toBeGreaterThan(10);
    expect(events[0]).toMatchObject({ type: "run", event: "start", from: "idle", to: "entering" });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events.at(-1)).toMatchObject({ type: "run", to: "settled", outcome: "failed" });
    const settled = events.at(-1)!;
    expect(settled.type === "run" && settled.failures).toEqual([
      {
        task: "B",
        phase: "execute",
        attempts: 1,
        afterCancel: false,
        error: { name: "string", message: "no" },
      },
      {
        task: "D",
        phase: "postExecute",
        attempts: 1,
        afterCancel: false,
        error: { name: "undefined", message: "undefined" },
      },
    ]);
  });

  it("INV-18: every event is plain serialisable data: JSON round-trips to a strictly equal object", async () => {
    const { events, onEvent } = collectEvents();
    const controller = new AbortController();
    const run = mixedWorkflow(new Recorder()).processTasks(undefined, {
      onEvent,
      signal: controller.signal,
    });
    controller.abort(new Error("abort reason"));
    await run.catch(() => undefined);
    const kinds = new Set(events.map((e) => `${e.type}:${"event" in e ? e.event : ""}`));
    expect(kinds.has("run:abort")).toBe(true);
    for (const e of events) {
      expect(Object.getPrototypeOf(e)).toBe(Object.prototype);
      expect(JSON.parse(JSON.stringify(e)) as LifecycleEvent).toStrictEqual(e);
    }
    const abort = events.find((e) => e.type === "run" && e.event === "abort");
    expect(abort).toMatchObject({ reason: { name: "Error", message: "abort reason" } });
  });

  it("INV-18: without onEvent the run still works and with one the task events carry phase only where the spec says", async () => {
    await expect(mixedWorkflow(new Recorder()).processTasks(undefined)).rejects.toSatisfy(
      isSdaxExecutionError,
    );
    const { events, onEvent } = collectEvents();
    await mixedWorkflow(new Recorder())
      .processTasks(undefined, { onEvent })
      .catch(() => undefined);
    for (const e of events) {
      if (e.type !== "task") continue;
      const phaseless = e.event === "enter" || e.event === "skip" || e.event === "finish";
      expect(e.phase === undefined, `${e.task} ${e.event}`).toBe(phaseless);
      expect(e.error !== undefined, `${e.task} ${e.event} error`).toBe(e.event === "fail");
      expect(e.attempts !== undefined, `${e.task} ${e.event} attempts`).toBe(
        e.event === "succeed" || e.event === "fail",
      );
    }
  });

  // The event types were one interface per kind of event, every field but the kind's optional:
  // `e.failures` after `e.to === "settled"` was still possibly undefined.
  it("INV-18: each run and task event has exactly the fields its type declares for its event", async () => {
    const base = ["type", "seq", "at", "event", "from", "to"];
    const expected = (e: LifecycleEvent): string[] => {
      if (e.type === "run") {
        if (e.event === "start") {
          // Each limit only when the run has it.
          return [...base, ...["maxConcurrency", "timeoutMs"].filter((k) => k in e)];
        }
        if (e.event === "abort") return [...base, "reason", "abortedBy"];
        if (e.to === "settled") return [...base, "outcome", "aborted", "failures"];
        return base;
      }
      if (e.type !== "task") return Object.keys(e);
      if (e.event === "fail") return [...base, "task", "phase", "error", "afterCancel", "attempts"];
      if (e.event === "succeed") return [...base, "task", "phase", "attempts"];
      if (e.event === "enter" || e.event === "skip" || e.event === "finish") {
        return [...base, "task"];
      }
      return [...base, "task", "phase"];
    };
    const { events, onEvent } = collectEvents();
    const controller = new AbortController();
    const aborted = mixedWorkflow(new Recorder()).processTasks(undefined, {
      onEvent,
      signal: controller.signal,
      maxConcurrency: 1,
      timeoutMs: 1_000,
    });
    controller.abort(new Error("stop"));
    await aborted.catch(() => undefined);
    await mixedWorkflow(new Recorder()).open(undefined, { onEvent }).close();
    await mixedWorkflow(new Recorder())
      .processTasks(undefined, { onEvent })
      .catch(() => undefined);
    const seen = new Set<string>();
    for (const e of events) {
      const kind = `${e.type}:${"event" in e ? e.event : ""}`;
      seen.add(kind);
      expect(Object.keys(e).sort(), kind).toEqual(expected(e).sort());
    }
    expect(events[0]).toMatchObject({ event: "start", maxConcurrency: 1, timeoutMs: 1_000 });
    for (const kind of ["run:start", "run:abort", "run:close", "task:skip", "task:fail"]) {
      expect(seen.has(kind), kind).toBe(true);
    }
    // The types narrow by `event` and `to`: what a transition carries is not optional there.
    const typed = (e: LifecycleEvent) => {
      if (e.type === "run" && e.to === "settled") {
        expectTypeOf(e.failures).toEqualTypeOf<readonly FailureInfo[]>();
        expectTypeOf(e.outcome).toEqualTypeOf<"succeeded" | "failed">();
      }
      if (e.type === "run" && e.event === "abort")
        expectTypeOf(e.reason).toEqualTypeOf<ErrorInfo>();
      if (e.type === "task" && e.event === "fail") {
        expectTypeOf(e.error).toEqualTypeOf<ErrorInfo>();
        expectTypeOf(e.phase).toEqualTypeOf<"preExecute" | "execute" | "postExecute">();
      }
      if (e.type === "run")
        expectTypeOf(e.failures).toEqualTypeOf<readonly FailureInfo[] | undefined>();
    };
    void typed;
  });

  // Regression guard: the attempt `fail` event once dropped the `error` of a thrown `undefined`.
  it("INV-14: the attempt fail event of a thrown undefined describes it, like the task fail event", async () => {
    const processor = AsyncTaskProcessor.builder()
      .addTask(
        task("T", {
          execute: () => {
            throw undefined;
          },
        }),
        1,
      )
      .build();
    const { events, onEvent } = collectEvents();
    await processor.processTasks(undefined, { onEvent }).catch(() => undefined);
    const taskFail = events.find((e) => e.type === "task" && e.event === "fail");
    const attemptFail = events.find((e) => e.type === "attempt" && e.event === "fail");
    expect(taskFail).toMatchObject({ error: { name: "undefined", message: "undefined" } });
    expect(attemptFail).toMatchObject({ error: { name: "undefined", message: "undefined" } });
  });
});
