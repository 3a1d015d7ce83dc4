/**
 * The examples of docs/testing-your-workflows.md, as tests (imports from the library's source
 * instead of "sdax"), so the page cannot drift from what works. Invariants: INV-7, INV-10,
 * INV-14, INV-15, INV-24, INV-26.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  checkTrace,
  isSdaxExecutionError,
  type LifecycleEvent,
  RetryableError,
  task,
  taskFunc,
  VirtualClock,
} from "../../src/index.js";
import { roundTrip } from "../support/trace.js";

describe("docs/testing-your-workflows.md section 1: record a run and check its trace", () => {
  interface Ctx {
    db?: { close(): void };
    user?: string;
  }
  const processor = AsyncTaskProcessor.builder<Ctx>()
    .addTask(
      task("db", {
        preExecute: (ctx) => {
          ctx.db = { close() {} };
        },
        postExecute: (ctx) => ctx.db?.close(),
      }),
      1,
    )
    .addTask(
      task("user", {
        execute: async (ctx) => {
          ctx.user = "ada";
        },
      }),
      2,
    )
    .build();

  it("INV-14: runs my workflow by the rules", async () => {
    const events: LifecycleEvent[] = [];
    const ctx: Ctx = {};
    await processor.processTasks(ctx, { onEvent: (e) => events.push(e) });
    expect(ctx.user).toBe("ada");
    expect(checkTrace(events, processor)).toEqual([]);
    // section 5: a saved trace checks the same
    expect(checkTrace(roundTrip(events), processor)).toEqual([]);
  });
});

interface FailCtx {
  failAt?: string | undefined;
  released: string[];
}
const step = (name: string) =>
  task<FailCtx>(name, {
    preExecute: (ctx) => {
      if (ctx.failAt === name) throw new Error(`${name} is down`);
    },
    postExecute: (ctx) => {
      ctx.released.push(name);
    },
  });
const failing = AsyncTaskProcessor.builder<FailCtx>()
  .addTask(step("auth"), 1)
  .addTask(step("db"), 1)
  .addTask(step("cache"), 2)
  .build();

describe("docs/testing-your-workflows.md section 2: inject failures", () => {
  for (const failAt of [undefined, "auth", "db", "cache"]) {
    it(`INV-7 INV-10: cleans up what it acquired when ${failAt ?? "nothing"} fails`, async () => {
      const events: LifecycleEvent[] = [];
      const ctx: FailCtx = { failAt, released: [] };
      const outcome = await failing.processTasks(ctx, { onEvent: (e) => events.push(e) }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(checkTrace(events, failing)).toEqual([]);
      if (failAt === undefined) {
        expect(outcome).toBeUndefined();
        expect(ctx.released).toEqual(["cache", "auth", "db"]);
      } else {
        expect(isSdaxExecutionError(outcome) && outcome.failures.map((f) => f.task)).toEqual([
          failAt,
        ]);
        const started = events.filter((e) => e.type === "task" && e.event === "startPre").length;
        expect(ctx.released).toHaveLength(started);
      }
    });
  }
});

describe("docs/testing-your-workflows.md section 3: virtual time", () => {
  it("INV-24: retries a flaky call with backoff, in no real time", async () => {
    let calls = 0;
    const flaky = taskFunc(
      () => {
        calls++;
        if (calls < 3) throw new RetryableError("busy");
      },
      { retries: 3, initialDelayMs: 1_000, backoffFactor: 2 },
    );
    const processor = AsyncTaskProcessor.builder<object>()
      .addTask(task("call", { execute: flaky }), 1)
      .build();
    const clock = new VirtualClock();
    const events: LifecycleEvent[] = [];
    const run = processor.processTasks(
      {},
      { clock, random: () => 0, onEvent: (e) => events.push(e) },
    );
    await clock.runAll();
    const report = await run;
    expect(report.retried).toEqual([{ task: "call", phase: "execute", attempts: 3 }]);
    expect(events.filter((e) => e.type === "retry").map((e) => e.delayMs)).toEqual([500, 1_000]);
    expect(clock.now()).toBe(1_500);
    expect(checkTrace(events, processor)).toEqual([]);
  });

  it("INV-26: times out a hanging call at exactly timeoutMs", async () => {
    const hang = taskFunc(
      (_ctx: object, { signal }) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason)),
        ),
      { timeoutMs: 2_000 },
    );
    const processor = AsyncTaskProcessor.builder<object>()
      .addTask(task("slow", { execute: hang }), 1)
      .build();
    const clock = new VirtualClock();
    const events: LifecycleEvent[] = [];
    const run = processor
      .processTasks({}, { clock, onEvent: (e) => events.push(e) })
      .catch((e: unknown) => e);
    await clock.advance(1_999);
    expect(events.some((e) => e.type === "attempt" && e.event === "timeout")).toBe(false);
    await clock.advance(1);
    expect(events.find((e) => e.type === "attempt" && e.event === "timeout")?.at).toBe(2_000);
    await run;
    expect(checkTrace(events, processor)).toEqual([]);
  });
});

describe("docs/testing-your-workflows.md section 4: concurrent runs", () => {
  it("INV-15: keeps concurrent runs apart", async () => {
    const runs = ["auth", undefined, "cache", undefined].map(async (failAt) => {
      const events: LifecycleEvent[] = [];
      const ctx: FailCtx = { failAt, released: [] };
      await failing.processTasks(ctx, { onEvent: (e) => events.push(e) }).catch(() => {});
      return { ctx, events };
    });
    const done = await Promise.all(runs);
    for (const { events } of done) expect(checkTrace(events, failing)).toEqual([]);
    expect(done.map((r) => r.ctx.released.length)).toEqual([2, 3, 3, 3]);
  });
});

describe("docs/testing-your-workflows.md section 6: property tests", () => {
  interface PropCtx {
    failing: string[];
  }
  function fail(ctx: PropCtx, name: string): void {
    if (ctx.failing.includes(name)) throw new Error(`${name} failed`);
  }
  test.prop([fc.scheduler(), fc.subarray(["auth", "db", "cache"])], { numRuns: 50 })(
    "INV-7 INV-14: every interleaving and every failure set keeps the rules",
    async (s, failingSet) => {
      const pre = (name: string) => (ctx: PropCtx) =>
        s.schedule(Promise.resolve()).then(() => fail(ctx, name));
      const ordered = AsyncTaskProcessor.builder<PropCtx>()
        .addTask(task("auth", { preExecute: pre("auth"), postExecute: () => {} }), 1)
        .addTask(task("db", { preExecute: pre("db"), postExecute: () => {} }), 1)
        .addTask(task("cache", { preExecute: pre("cache"), postExecute: () => {} }), 2)
        .build();
      const events: LifecycleEvent[] = [];
      const run = ordered
        .processTasks({ failing: failingSet }, { onEvent: (e) => events.push(e) })
        .catch(() => {});
      await s.waitIdle();
      await run;
      expect(checkTrace(events, ordered)).toEqual([]);
    },
  );
});
