import { describe, expect, it } from "vitest";
import { AsyncTaskProcessor, type LifecycleEvent, task, taskFunc } from "../../src/index.js";
import {
  exploreFailures,
  type Fault,
  type Replay,
  replayFailure,
} from "../../src/testing/index.js";
import { checkReleased, type PoolCtx, poolContext, poolWorkflow } from "./workflows.js";

// auth.preExecute, db.preExecute, report.execute: 3 placements.
const singles = 3 * 3;
const pairs = 9 * ((3 * 2) / 2);

describe("exploreFailures finds what a workflow's cleanup misses", () => {
  it("finds the leak of a cleanup that releases only when preExecute finished, reduced to one fault", async () => {
    const result = await exploreFailures(poolWorkflow(false), {
      context: poolContext,
      check: checkReleased,
      seed: 1,
    });
    expect(result.exhaustive).toBe(true);
    expect(result.runs).toBe(1 + singles + pairs);
    // auth fails at 5 ms, while db's session query (1 to 11 ms) runs: db's preExecute is
    // cancelled between acquire and `ready`, and postExecute skips the release.
    const leak: Fault = { task: "auth", phase: "preExecute", kind: "failAfterBody" };
    expect(result.violations).toHaveLength(1);
    const [violation] = result.violations;
    expect(violation?.faults).toEqual([leak]);
    expect(violation?.source).toBe("check");
    expect(violation?.error).toEqual(new Error("1 connection(s) never released"));
    expect(violation?.message).toBe(
      'with preExecute of "auth" failing after its body: check failed: Error: 1 connection(s) never released',
    );
    expect(violation?.trace).toEqual([]);
    expect(violation?.replay).toEqual({ faults: [leak] });
  });

  it("reports nothing for a cleanup that copes with partial initialisation, after trying every single fault and pair", async () => {
    const tried: (readonly Fault[])[] = [];
    const result = await exploreFailures(poolWorkflow(true), {
      context: (run) => {
        tried.push(run.faults);
        return poolContext(run);
      },
      check: checkReleased,
      seed: 1,
    });
    expect(result).toEqual({
      runs: 1 + singles + pairs,
      exhaustive: true,
      seed: 1,
      violations: [],
    });
    expect(tried).toHaveLength(1 + singles + pairs);
    expect(tried[0]).toEqual([]);
    expect(tried.filter((f) => f.length === 1)).toHaveLength(singles);
    expect(tried.filter((f) => f.length === 2)).toHaveLength(pairs);
  });

  it("the check sees each run's outcome, its faults, those that fired, and its events", async () => {
    const seen: string[] = [];
    await exploreFailures(poolWorkflow(true), {
      context: poolContext,
      check: (ctx: PoolCtx, run) => {
        const faults = run.faults.map((f) => `${f.task}.${f.kind}`).join("+");
        const fired = run.fired.map((f) => `${f.task}.${f.kind}`).join("+");
        const settled = run.events.at(-1);
        expect(settled?.type === "run" && settled.to).toBe("settled");
        seen.push(`${faults || "-"} ${run.status} fired:${fired || "-"} rows:${ctx.rows ?? "-"}`);
      },
      replay: { faults: [] },
    });
    await exploreFailures(poolWorkflow(true), {
      context: poolContext,
      check: (_ctx, run) => {
        const fired = run.fired.map((f) => `${f.task}.${f.kind}`).join("+");
        seen.push(`${run.status} fired:${fired || "-"}`);
      },
      // db failing at its start: the run is failing before level 2, so report never starts
      replay: {
        faults: [
          { task: "db", phase: "preExecute", kind: "failAtStart" },
          { task: "report", phase: "execute", kind: "failAtStart" },
        ],
      },
    });
    expect(seen).toEqual(["- resolved fired:- rows:3", "rejected fired:db.failAtStart"]);
  });
});

describe("work in progress", () => {
  /** Resolves after `turns` turns of the event loop: work that moves without the run's clock. */
  const turnsOfTheLoop = async (turns: number) => {
    for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  // A child was not seen as running: once its function returned, the run was taken for stalled
  // and aborted at once, and the child's work was never done.
  it("a child spawned with scope.spawn is waited for as its function would be, not taken for a stall (spec task-functions 8)", async () => {
    const processor = AsyncTaskProcessor.builder<{ done: boolean }>()
      .addTask(
        task("io", {
          execute: (ctx, { spawn }) => {
            void spawn(async () => {
              await turnsOfTheLoop(3);
              ctx.done = true;
            });
          },
        }),
        1,
      )
      .build();
    const seen: string[] = [];
    const result = await replayFailure(
      processor,
      { faults: [] },
      {
        context: () => ({ done: false }),
        check: (ctx, run) => {
          seen.push(`${run.status} stalled:${run.stalled} done:${ctx.done}`);
        },
      },
    );
    expect(seen).toEqual(["resolved stalled:false done:true"]);
    expect(result.violations).toEqual([]);
  });

  // An assertion's diff made the message many lines long.
  it("a violation's message is one line: a check's error by its first line, all of it in `error`", async () => {
    const processor = AsyncTaskProcessor.builder<object>()
      .addTask(task("a", { execute: () => {} }), 1)
      .build();
    const error = new Error("expected 1 to be 0\n\n- Expected\n+ Received\n\n- 0\n+ 1");
    const result = await replayFailure(
      processor,
      { faults: [] },
      {
        context: () => ({}),
        check: () => {
          throw error;
        },
      },
    );
    expect(result.violations.map((v) => v.message)).toEqual([
      "with no fault: check failed: Error: expected 1 to be 0 (...)",
    ]);
    expect(result.violations[0]!.error).toBe(error);
  });
});

describe("replay", () => {
  it("a violation's replay survives JSON and reproduces it with replayFailure, in one run", async () => {
    const processor = poolWorkflow(false);
    const found = await exploreFailures(processor, {
      context: poolContext,
      check: checkReleased,
      seed: 7,
    });
    const pasted = JSON.parse(JSON.stringify(found.violations[0]?.replay)) as Replay;
    const again = await replayFailure(processor, pasted, {
      context: poolContext,
      check: checkReleased,
    });
    expect(again.runs).toBe(1);
    expect(again.exhaustive).toBe(false);
    expect(again.violations.map((v) => v.message)).toEqual(found.violations.map((v) => v.message));
  });

  it("exploreFailures with `replay` runs that case only; on a workflow that copes it finds nothing", async () => {
    const faults: Fault[] = [{ task: "auth", phase: "preExecute", kind: "failAfterBody" }];
    const contexts: (readonly Fault[])[] = [];
    const result = await exploreFailures(poolWorkflow(true), {
      context: (run) => {
        contexts.push(run.faults);
        return poolContext(run);
      },
      check: checkReleased,
      replay: { faults },
    });
    expect(contexts).toEqual([faults]);
    expect(result.runs).toBe(1);
    expect(result.violations).toEqual([]);
  });

  it("a replay with a pair is not minimised: it runs exactly what it says", async () => {
    const faults: Fault[] = [
      { task: "auth", phase: "preExecute", kind: "failAfterBody" },
      { task: "report", phase: "execute", kind: "hang" },
    ];
    const result = await replayFailure(
      poolWorkflow(false),
      { faults },
      {
        context: poolContext,
        check: checkReleased,
      },
    );
    expect(result.runs).toBe(1);
    expect(result.violations.map((v) => [v.faults, v.foundWith])).toEqual([[faults, faults]]);
  });
});

describe("replay reproduces the very run", () => {
  it("the same events, retry delays and their jitter included", async () => {
    const retried = taskFunc(() => {}, { retries: 3, retryOn: () => true, initialDelayMs: 100 });
    const processor = AsyncTaskProcessor.builder<object>()
      .addTask(task("a", { preExecute: retried }), 1)
      .addTask(task("b", { execute: retried }), 2)
      .build();
    const traces = new Map<string, readonly LifecycleEvent[]>();
    const result = await exploreFailures(processor, {
      context: () => ({}),
      check: (_ctx, run) => {
        traces.set(JSON.stringify(run.faults), run.events);
        if (run.events.some((e) => e.type === "retry")) throw new Error("retried");
      },
      seed: 8,
    });
    expect(result.violations.length).toBeGreaterThan(0);
    for (const v of result.violations) {
      let replayed: readonly LifecycleEvent[] = [];
      await replayFailure(processor, v.replay, {
        context: () => ({}),
        check: (_ctx, run) => {
          replayed = run.events;
        },
      });
      const delays = replayed.filter((e) => e.type === "retry").map((e) => e.delayMs);
      expect(delays).toHaveLength(3);
      expect(new Set(delays).size).toBe(3); // jittered, not the same delay thrice
      expect(replayed).toEqual(traces.get(JSON.stringify(v.faults)));
    }
  });
});

describe("every case is its own", () => {
  // Fault sets were keyed by joining names with control characters, which a task name may
  // hold: a single fault on this name had the key of a pair on "a" and "b", and the pair was
  // taken for tried.
  it("a task name holding any character never makes two fault sets one case", async () => {
    const noop = () => {};
    const forged = "a\u0000failAtStart\u0001preExecute\u0000b";
    const processor = AsyncTaskProcessor.builder<object>();
    for (const name of ["a", "b", forged]) {
      processor.addTask(task(name, { preExecute: noop, postExecute: noop }), 1);
    }
    const tried = new Set<string>();
    const result = await exploreFailures(processor.build(), {
      context: ({ faults }) => {
        tried.add(JSON.stringify(faults));
        return {};
      },
      check: (_ctx, run) => {
        const failing = run.faults.filter((f) => f.kind === "failAtStart").map((f) => f.task);
        if (failing.includes("a") && failing.includes("b")) throw new Error("a and b fail");
      },
      seed: 1,
    });
    // 3 placements x 3 kinds: the no-fault run, 9 singles and 27 pairs, each run once.
    expect(result).toMatchObject({ runs: 37, exhaustive: true });
    expect(tried.size).toBe(37);
    expect(result.violations.map((v) => v.error)).toEqual([new Error("a and b fail")]);
  });
});

describe("seeds", () => {
  const record = async (seed: number, runs: number) => {
    const tried: string[] = [];
    const result = await exploreFailures(poolWorkflow(true), {
      context: (run) => {
        tried.push(JSON.stringify(run.faults));
        return poolContext(run);
      },
      check: checkReleased,
      seed,
      runs,
    });
    return { tried, result };
  };

  it("the same seed tries the same cases in the same order; another seed others", async () => {
    const a = await record(42, 20);
    const b = await record(42, 20);
    const c = await record(43, 20);
    expect(a.tried).toEqual(b.tried);
    expect(c.tried).not.toEqual(a.tried);
    expect(a.result).toMatchObject({ runs: 20, exhaustive: false, seed: 42 });
  });

  it("beyond the budget: the no-fault run, every single fault, then distinct random pairs", async () => {
    const { tried } = await record(5, 30);
    expect(tried).toHaveLength(30);
    expect(new Set(tried).size).toBe(30);
    expect(tried[0]).toBe("[]");
    const sizes = tried.map((t) => (JSON.parse(t) as Fault[]).length);
    expect(sizes).toEqual([0, ...Array(singles).fill(1), ...Array(30 - 1 - singles).fill(2)]);
  });

  it("a budget smaller than the singles draws singles at random", async () => {
    const { tried } = await record(5, 4);
    expect(tried).toHaveLength(4);
    expect(tried.slice(1).every((t) => (JSON.parse(t) as Fault[]).length === 1)).toBe(true);
    expect(new Set(tried).size).toBe(4);
  });

  it("without a seed, a random one is used and reported, and it replays the same cases", async () => {
    const first = await exploreFailures(poolWorkflow(true), {
      context: poolContext,
      check: checkReleased,
      runs: 15,
    });
    expect(Number.isInteger(first.seed)).toBe(true);
    const again = await record(first.seed, 15);
    const once = await record(first.seed, 15);
    expect(again.tried).toEqual(once.tried);
  });
});
