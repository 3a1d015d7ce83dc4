/**
 * processor.analyze() against spec/analysis.md: worked examples, an independent oracle on
 * random workflows, and runs on a VirtualClock that start each wave exactly when AN-9 says.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  AsyncTaskProcessor,
  join,
  type LifecycleEvent,
  type TaskScope,
  task,
  VirtualClock,
} from "../../src/index.js";
import { ancestors, buildWorkflow, type WorkflowSpec, workflowArb } from "./workflows.js";

const noop = () => {};
const pre = { preExecute: noop };
const prePost = { preExecute: noop, postExecute: noop };

/** AN-2 and AN-5 by their chain form: 1 + the largest round among the tasks before it. */
function oracleRounds(spec: WorkflowSpec, phase: "preExecute" | "postExecute"): number[] {
  const n = spec.tasks.length;
  const before = spec.tasks.map((_, i) =>
    phase === "preExecute"
      ? [...ancestors(spec, i)]
      : spec.tasks.map((_, j) => j).filter((j) => ancestors(spec, j).has(i)),
  );
  const round: (number | undefined)[] = new Array(n).fill(undefined);
  const of = (i: number): number => {
    if (round[i] === undefined) {
      const runs = spec.tasks[i]!.phases.includes(phase);
      round[i] = runs ? 1 + Math.max(0, ...before[i]!.filter(runsPhase).map(of)) : 0;
    }
    return round[i]!;
  };
  const runsPhase = (i: number) => spec.tasks[i]!.phases.includes(phase);
  return spec.tasks.map((_, i) => of(i));
}

function oracleWaves(spec: WorkflowSpec, phase: "preExecute" | "postExecute"): string[][] {
  const rounds = oracleRounds(spec, phase);
  const waves: string[][] = [];
  spec.tasks.forEach((t, i) => {
    if (rounds[i]! === 0) return;
    while (waves.length < rounds[i]!) waves.push([]);
    waves[rounds[i]! - 1]!.push(t.name);
  });
  return waves;
}

describe("spec/analysis.md: worked examples", () => {
  it("AN-3 AN-4 AN-5 AN-6 AN-7 AN-8 the demo's failing workflow: one wave per level, teardown top level first", () => {
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("Database", prePost), 1)
      .addTask(task("Cache", prePost), 2)
      .addTask(task("Quota", pre), 2)
      .addTask(task("Report", { preExecute: noop, execute: noop, postExecute: noop }), 3)
      .build();
    expect(processor.analyze()).toEqual({
      preWaves: [["Database"], ["Cache", "Quota"], ["Report"]],
      executeWave: ["Report"],
      postWaves: [["Report"], ["Cache"], ["Database"]],
      depth: 3,
      widestWave: 2,
      criticalPath: ["Database", "Cache", "Report"],
      phaseCounts: { preExecute: 4, execute: 1, postExecute: 3 },
      tasks: 4,
      joins: 0,
    });
  });

  it("AN-3 a level whose tasks have no preExecute adds no wave: the level above it starts preExecute at once", () => {
    const processor = AsyncTaskProcessor.builder()
      .addTask(task("a", pre), -5)
      .addTask(task("exec only", { execute: noop }), 0)
      .addTask(join("j"), 0)
      .addTask(task("b", prePost), 7)
      .build();
    const analysis = processor.analyze();
    expect(analysis.preWaves).toEqual([["a"], ["b"]]);
    expect(analysis.executeWave).toEqual(["exec only"]);
    expect(analysis.postWaves).toEqual([["b"]]);
    expect(analysis.joins).toBe(1);
  });

  it("AN-2 AN-3 graph mode: a join takes no round, a task after it is in the wave after the join's dependencies", () => {
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(task("db", prePost))
      .addTask(task("auth", pre))
      .addTask(task("orders", prePost), ["db"])
      .addTask(join("ready"), ["orders", "auth"])
      .addTask(task("render", { preExecute: noop, execute: noop }), ["ready"])
      .addTask(task("log", { execute: noop }))
      .build();
    const analysis = processor.analyze();
    expect(analysis.preWaves).toEqual([["db", "auth"], ["orders"], ["render"]]);
    expect(analysis.postWaves).toEqual([["orders"], ["db"]]);
    expect(analysis.executeWave).toEqual(["render", "log"]);
    expect(analysis.criticalPath).toEqual(["db", "orders", "render"]);
    expect(analysis.widestWave).toBe(2);
  });

  it("AN-7 ties: the last wave's first task, then the first dependency found depth-first, in the order tasks were added", () => {
    const processor = AsyncTaskProcessor.graphBuilder()
      .addTask(task("y", pre))
      .addTask(join("via"), ["y"])
      .addTask(task("x", pre))
      .addTask(task("z", pre), ["x", "via"]) // "via" was added before "x": y is found first
      .addTask(task("w", pre), ["x"])
      .build();
    const analysis = processor.analyze();
    expect(analysis.preWaves).toEqual([
      ["y", "x"],
      ["z", "w"],
    ]);
    expect(analysis.criticalPath).toEqual(["y", "z"]);
  });

  it("AN-6 AN-7 AN-8 a workflow without preExecute has depth 0 and an empty critical path; without tasks, everything is empty", () => {
    const joins = AsyncTaskProcessor.graphBuilder()
      .addTask(join("a"))
      .addTask(task("b", { postExecute: noop }), ["a"])
      .build()
      .analyze();
    expect(joins).toMatchObject({ preWaves: [], depth: 0, criticalPath: [], widestWave: 1 });
    expect(joins.postWaves).toEqual([["b"]]);
    expect(AsyncTaskProcessor.builder().build().analyze()).toEqual({
      preWaves: [],
      executeWave: [],
      postWaves: [],
      depth: 0,
      widestWave: 0,
      criticalPath: [],
      phaseCounts: { preExecute: 0, execute: 0, postExecute: 0 },
      tasks: 0,
      joins: 0,
    });
  });

  it("AN-1 each call returns new arrays: changing one analysis changes neither the next nor the processor", () => {
    const processor = AsyncTaskProcessor.builder().addTask(task("a", prePost), 1).build();
    const first = processor.analyze();
    first.preWaves[0]!.push("intruder");
    first.criticalPath.length = 0;
    expect(processor.analyze().preWaves).toEqual([["a"]]);
    expect(processor.analyze().criticalPath).toEqual(["a"]);
    expect(processor.analyze()).not.toBe(processor.analyze());
  });

  it("AN-1 a long chain of joins and 10,000 tasks on one level are analysed without deep recursion", () => {
    const chain = AsyncTaskProcessor.graphBuilder().addTask(task("first", pre));
    for (let i = 0; i < 20_000; i++)
      chain.addTask(join(`j${i}`), [i === 0 ? "first" : `j${i - 1}`]);
    chain.addTask(task("last", pre), ["j19999"]);
    expect(chain.build().analyze().criticalPath).toEqual(["first", "last"]);
    const wide = AsyncTaskProcessor.builder();
    for (let i = 0; i < 10_000; i++) wide.addTask(task(`t${i}`, pre), i % 2);
    const analysis = wide.build().analyze();
    expect(analysis.preWaves.map((w) => w.length)).toEqual([5_000, 5_000]);
    expect(analysis.widestWave).toBe(5_000);
  });
});

describe("spec/analysis.md on random workflows", () => {
  test.prop([workflowArb()], { numRuns: 300 })(
    "AN-1 AN-2 AN-3 AN-4 AN-5 AN-6 AN-8 waves, depth and counts equal an independent oracle; no barrier is named",
    (spec) => {
      const analysis = buildWorkflow(spec).analyze();
      const has = (p: string) => spec.tasks.filter((t) => t.phases.includes(p as never));
      expect(analysis.preWaves).toEqual(oracleWaves(spec, "preExecute"));
      expect(analysis.postWaves).toEqual(oracleWaves(spec, "postExecute"));
      expect(analysis.executeWave).toEqual(has("execute").map((t) => t.name));
      expect(analysis.depth).toBe(analysis.preWaves.length);
      const sizes = [analysis.executeWave, ...analysis.preWaves, ...analysis.postWaves].map(
        (w) => w.length,
      );
      expect(analysis.widestWave).toBe(Math.max(0, ...sizes));
      expect(analysis.phaseCounts).toEqual({
        preExecute: has("preExecute").length,
        execute: has("execute").length,
        postExecute: has("postExecute").length,
      });
      expect(analysis.tasks).toBe(spec.tasks.length);
      expect(analysis.joins).toBe(spec.tasks.filter((t) => t.phases.length === 0).length);
      for (const wave of [...analysis.preWaves, ...analysis.postWaves]) {
        expect(wave.length).toBeGreaterThan(0);
      }
    },
  );

  test.prop([workflowArb()], { numRuns: 300 })(
    "AN-5 teardown order: a task's postExecute wave comes before that of every task it depends on",
    (spec) => {
      const { postWaves } = buildWorkflow(spec).analyze();
      const waveOf = new Map(postWaves.flatMap((w, k) => w.map((name) => [name, k] as const)));
      spec.tasks.forEach((t, i) => {
        if (!waveOf.has(t.name)) return;
        for (const a of ancestors(spec, i)) {
          const before = waveOf.get(spec.tasks[a]!.name);
          if (before !== undefined) expect(waveOf.get(t.name)!).toBeLessThan(before);
        }
      });
    },
  );

  test.prop([workflowArb()], { numRuns: 300 })(
    "AN-7 the critical path has one task per wave, each depending on the one before, ending with the last wave's first task",
    (spec) => {
      const { preWaves, criticalPath, depth } = buildWorkflow(spec).analyze();
      expect(criticalPath).toHaveLength(depth);
      for (const [k, name] of criticalPath.entries()) expect(preWaves[k]).toContain(name);
      if (depth > 0) expect(criticalPath[depth - 1]).toBe(preWaves[depth - 1]![0]);
      const index = new Map(spec.tasks.map((t, i) => [t.name, i]));
      for (let k = 1; k < criticalPath.length; k++) {
        const deps = ancestors(spec, index.get(criticalPath[k]!)!);
        expect(deps.has(index.get(criticalPath[k - 1]!)!)).toBe(true);
      }
    },
  );
});

describe("AN-9 the waves are what a run does", () => {
  const D = 10;
  const sleep = (clock: VirtualClock) => (_ctx: unknown, scope: TaskScope) =>
    new Promise<void>((resolve) => {
      const timer = clock.setTimeout(resolve, D);
      scope.signal.addEventListener("abort", () => clock.clearTimeout(timer), { once: true });
    });

  async function run(spec: WorkflowSpec, slow: "preExecute" | "postExecute") {
    const clock = new VirtualClock();
    const processor = buildWorkflow(spec, { [slow]: sleep(clock) });
    const events: LifecycleEvent[] = [];
    const done = processor.processTasks(null, { clock, onEvent: (e) => events.push(e) });
    await clock.runAll();
    await done;
    return { analysis: processor.analyze(), events };
  }

  function starts(events: readonly LifecycleEvent[], phase: string): Map<string, number> {
    const at = new Map<string, number>();
    for (const e of events) {
      if (e.type === "attempt" && e.event === "start" && e.phase === phase) at.set(e.task, e.at);
    }
    return at;
  }

  test.prop([workflowArb(fc.constant("t"), 10)], { numRuns: 60 })(
    "AN-9 AN-3 every preExecute of wave k starts at (k - 1) * d; the run is entered at depth * d",
    async (spec) => {
      const { analysis, events } = await run(spec, "preExecute");
      const at = starts(events, "preExecute");
      analysis.preWaves.forEach((wave, k) => {
        for (const name of wave) expect(at.get(name), name).toBe(k * D);
      });
      const entered = events.find((e) => e.type === "run" && e.to === "entered");
      expect(entered?.at).toBe(analysis.depth * D);
    },
  );

  test.prop([workflowArb(fc.constant("t"), 10)], { numRuns: 60 })(
    "AN-9 AN-5 every postExecute of wave k starts at (k - 1) * d after cleanup begins",
    async (spec) => {
      const { analysis, events } = await run(spec, "postExecute");
      const at = starts(events, "postExecute");
      const cleanup = events.find((e) => e.type === "run" && e.to === "cleaningUp")!.at;
      analysis.postWaves.forEach((wave, k) => {
        for (const name of wave) expect(at.get(name), name).toBe(cleanup + k * D);
      });
      expect(at.size).toBe(analysis.phaseCounts.postExecute);
    },
  );
});
