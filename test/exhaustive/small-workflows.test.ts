/**
 * Exhaustive small scope: every level workflow of up to 3 levels x 2 tasks and
 * every DAG on up to 4 tasks, with every placement of one and of two failures across the
 * phases: enumerated, not sampled. Each run is checked by checkTrace, by the oracle
 * (test/support/oracle.ts) and by the exact-time checks.
 *
 * Which phase sets (all of them for every shape would be 8^n per shape):
 * - shape enumeration: every task has all three phases;
 * - phase enumeration: for the shapes of at most 2 tasks, every task gets every phase set
 *   (the 7 non-empty subsets of pre/exec/post, and none: a join), so post-only, pre-only and
 *   execute-only tasks meet every failure placement too.
 * Which failures: in one function, a synchronous throw, a rejection a tick later, an already
 * rejected promise (two of them reject in the same turn), a thrown revoked Proxy (a value that
 * resists description), the function aborting the run's signal synchronously (then returning),
 * or, in a preExecute or execute, hanging until the run is aborted and then rejecting with an
 * error of its own ("rollback failed"); in two functions, every combination of throw, reject
 * and already rejected. Functions that do not fail return a tick later (one microtask), and,
 * for the smallest shapes, also synchronously.
 *
 * Under a concurrency limit (1, the run's own, with the run's deadline stopping a hanging
 * function; and 2, the processor's): every level shape with every single failure, every DAG on
 * up to 3 tasks with every one and two failures and on 4 tasks with every single failure, and
 * every phase set on shapes of up to 2 tasks with every one and two failures (limit 1).
 *
 * SDAX_TEST_BUDGET=long adds every DAG on 5 tasks (1,024 graphs) and level workflows up to
 * 3 levels x 3 tasks.
 */
import { describe, expect, it } from "vitest";
import { checkTrace } from "../../src/index.js";
import { LONG } from "../support/budget.js";
import { checkExactTiming } from "../support/event-checks.js";
import { runScenario } from "../support/executor.js";
import {
  type Behaviour,
  type ExternalAbort,
  PHASE_KEYS,
  type PhaseKey,
  type PhaseShape,
  type RunModel,
  type Scenario,
  summarise,
  type TaskShape,
  type WorkflowShape,
} from "../support/model.js";
import { judge } from "../support/oracle.js";

const PHASE: PhaseShape = { timeoutMs: null, retries: 0, initialDelayMs: 0 };
const ALL: readonly PhaseKey[] = PHASE_KEYS;

/** All 8 phase sets. */
const PHASE_SETS: readonly (readonly PhaseKey[])[] = Array.from({ length: 8 }, (_, m) =>
  PHASE_KEYS.filter((_, b) => (m >> b) & 1),
);

function taskWith(i: number, phases: readonly PhaseKey[]): TaskShape {
  const t: { name: string; pre?: PhaseShape; exec?: PhaseShape; post?: PhaseShape } = {
    name: `t${i}`,
  };
  for (const k of phases) t[k] = PHASE;
  return t;
}

/** Level workflows: `perLevel[l]` tasks on level l + 1. */
function levelShapes(maxLevels: number, maxPerLevel: number): number[][] {
  const out: number[][] = [];
  const grow = (prefix: number[]) => {
    if (prefix.length > 0) out.push(prefix);
    if (prefix.length === maxLevels) return;
    for (let c = 1; c <= maxPerLevel; c++) grow([...prefix, c]);
  };
  grow([]);
  return out;
}

function levelWorkflow(
  perLevel: readonly number[],
  phases: (i: number) => readonly PhaseKey[],
): WorkflowShape {
  const level: number[] = [];
  perLevel.forEach((c, l) => {
    for (let t = 0; t < c; t++) level.push(l + 1);
  });
  return { mode: "levels", tasks: level.map((_, i) => taskWith(i, phases(i))), level };
}

/** Every DAG on n labelled tasks whose edges go from a lower to a higher index. */
function dagShapes(n: number): number[][][] {
  const pairs: [number, number][] = [];
  for (let j = 1; j < n; j++) for (let i = 0; i < j; i++) pairs.push([i, j]);
  const out: number[][][] = [];
  for (let mask = 0; mask < 2 ** pairs.length; mask++) {
    const deps: number[][] = Array.from({ length: n }, () => []);
    pairs.forEach(([i, j], b) => {
      if ((mask >> b) & 1) deps[j]!.push(i);
    });
    out.push(deps);
  }
  return out;
}

function dagWorkflow(
  deps: readonly (readonly number[])[],
  phases: (i: number) => readonly PhaseKey[],
): WorkflowShape {
  const n = deps.length;
  // Added in reverse order, so dependencies are named before they are added.
  const order = Array.from({ length: n }, (_, i) => n - 1 - i);
  return { mode: "graph", tasks: deps.map((_, i) => taskWith(i, phases(i))), deps, order };
}

type Placement = { readonly task: number; readonly phase: PhaseKey };
type Fault = "throw" | "reject" | "rejectNow" | "hostile" | "abort" | "hangOwn";

const FAULT_BEHAVIOUR: Readonly<Record<Exclude<Fault, "abort">, Behaviour>> = {
  throw: { kind: "throw" },
  reject: { kind: "reject", ticks: 1 },
  rejectNow: { kind: "reject", ticks: 0 },
  hostile: { kind: "throw", value: "revokedProxy" },
  hangOwn: { kind: "hang", own: true },
};

/**
 * Runs with no failure, every single failure, and every pair of failures. `deadline`: the
 * hanging function is stopped by the run's deadline (0 ms, so it passes once all else waits)
 * instead of its signal.
 */
function runModels(
  shape: WorkflowShape,
  okTicks: number,
  pairs: boolean,
  deadline = false,
): RunModel[] {
  const functions: Placement[] = shape.tasks.flatMap((t, task) =>
    PHASE_KEYS.filter((k) => t[k] !== undefined).map((phase) => ({ task, phase })),
  );
  const ok: Behaviour = { kind: "ok", ticks: okTicks };
  const make = (faults: readonly (readonly [Placement, Fault])[]): RunModel => {
    let abort: ExternalAbort = { kind: "none" };
    let timeoutMs: number | undefined;
    const behaviours = shape.tasks.map((t, task) => {
      const b: Partial<Record<PhaseKey, Behaviour>> = {};
      for (const k of PHASE_KEYS) if (t[k] !== undefined) b[k] = ok;
      for (const [p, fault] of faults) {
        if (p.task !== task) continue;
        if (fault === "abort") abort = { kind: "inside", task, phase: p.phase };
        else b[p.phase] = FAULT_BEHAVIOUR[fault];
        // Nothing else cancels the hanging function: the run's signal aborts once all else waits.
        if (fault === "hangOwn" && deadline) timeoutMs = 0;
        else if (fault === "hangOwn") abort = { kind: "at", ms: 0 };
      }
      return b;
    });
    return timeoutMs === undefined ? { behaviours, abort } : { behaviours, abort, timeoutMs };
  };
  const models: RunModel[] = [make([])];
  for (const f of functions) {
    for (const fault of ["throw", "reject", "rejectNow", "hostile", "abort"] as const) {
      models.push(make([[f, fault]]));
    }
    if (f.phase !== "post") models.push(make([[f, "hangOwn"]]));
  }
  if (pairs) {
    for (let a = 0; a < functions.length; a++) {
      for (let b = a + 1; b < functions.length; b++) {
        for (const fa of ["throw", "reject", "rejectNow"] as const) {
          for (const fb of ["throw", "reject", "rejectNow"] as const) {
            models.push(
              make([
                [functions[a]!, fa],
                [functions[b]!, fb],
              ]),
            );
          }
        }
      }
    }
  }
  return models;
}

/**
 * A concurrency limit to run under: the run's own (`maxConcurrency`) or the processor's
 * (`build({ maxConcurrency })`); `deadline` as in {@link runModels}.
 */
interface Limits {
  readonly limit: number;
  readonly by: "run" | "build";
  readonly deadline: boolean;
}

/** Runs every model of every shape (one run at a time) and returns the problems found. */
async function exhaust(
  shapes: readonly WorkflowShape[],
  okTicks: readonly number[],
  pairs: boolean,
  limits?: Limits,
) {
  const problems: string[] = [];
  let runs = 0;
  for (const shape of shapes) {
    for (const ticks of okTicks) {
      for (const base of runModels(shape, ticks, pairs, limits?.deadline)) {
        const model = limits?.by === "run" ? { ...base, maxConcurrency: limits.limit } : base;
        const scenario: Scenario =
          limits?.by === "build"
            ? { shape, runs: [model], buildLimit: limits.limit }
            : { shape, runs: [model] };
        const { harness, results } = await runScenario(scenario);
        const r = results[0]!;
        runs++;
        const found = [
          ...(r.settled ? [] : ["the run never settled"]),
          ...checkTrace(r.events, harness.processor).map((v) => `${v.invariant}: ${v.message}`),
          ...judge(scenario, r),
          ...checkExactTiming(r.events, harness.processor, scenario, model),
        ];
        if (found.length > 0 && problems.length < 10) {
          problems.push(`${summarise(scenario)}\n  ${found.join("\n  ")}`);
        }
      }
    }
  }
  return { problems, runs };
}

describe("exhaustive: level workflows up to 3 levels x 2 tasks (spec/lifecycle.md section 5)", () => {
  const shapes = levelShapes(3, 2);
  it("enumerates all 14 level shapes", () => {
    expect(shapes).toHaveLength(14);
  });

  it("INV-1 INV-2 INV-3 INV-4 INV-5 INV-7 INV-10 INV-14 INV-32 INV-33: every one- and two-failure placement, all phases", async () => {
    const { problems, runs } = await exhaust(
      shapes.map((s) => levelWorkflow(s, () => ALL)),
      [1],
      true,
    );
    expect(problems.join("\n")).toBe("");
    expect(runs).toBeGreaterThan(2000);
  }, 120_000);

  it("INV-8 INV-9 INV-11 INV-12: every phase set on shapes of up to 2 tasks, every one- and two-failure placement", async () => {
    const small = shapes.filter((s) => s.reduce((a, b) => a + b, 0) <= 2);
    expect(small).toEqual([[1], [1, 1], [2]]);
    const workflows: WorkflowShape[] = [];
    for (const s of small) {
      const n = s.reduce((a, b) => a + b, 0);
      for (let combo = 0; combo < 8 ** n; combo++) {
        workflows.push(levelWorkflow(s, (i) => PHASE_SETS[Math.floor(combo / 8 ** i) % 8]!));
      }
    }
    expect(workflows).toHaveLength(8 + 64 + 64);
    const { problems } = await exhaust(workflows, [0, 1], true);
    expect(problems.join("\n")).toBe("");
  }, 120_000);
});

describe("exhaustive: every DAG on up to 4 tasks (spec/lifecycle.md section 5)", () => {
  const shapes = [1, 2, 3, 4].flatMap((n) => dagShapes(n));
  it("enumerates all 1 + 2 + 8 + 64 labelled DAGs", () => {
    expect(shapes).toHaveLength(75);
  });

  it("INV-2 INV-4 INV-6 INV-7 INV-10 INV-13 INV-14 INV-16 INV-18: every one- and two-failure placement, all phases", async () => {
    const { problems, runs } = await exhaust(
      shapes.map((d) => dagWorkflow(d, () => ALL)),
      [1],
      true,
    );
    expect(problems.join("\n")).toBe("");
    expect(runs).toBeGreaterThan(15_000);
  }, 120_000);

  it("INV-3 INV-8 INV-9 INV-17 INV-19: every phase set on DAGs of up to 2 tasks, every one- and two-failure placement", async () => {
    const small = shapes.filter((d) => d.length <= 2);
    const workflows: WorkflowShape[] = [];
    for (const d of small) {
      for (let combo = 0; combo < 8 ** d.length; combo++) {
        workflows.push(dagWorkflow(d, (i) => PHASE_SETS[Math.floor(combo / 8 ** i) % 8]!));
      }
    }
    const { problems } = await exhaust(workflows, [0, 1], true);
    expect(problems.join("\n")).toBe("");
  }, 120_000);
});

describe("exhaustive: under a concurrency limit of 1 and 2 (spec/lifecycle.md section 8)", () => {
  const byRun: Limits = { limit: 1, by: "run", deadline: true };
  const byBuild: Limits = { limit: 2, by: "build", deadline: false };

  it("INV-37 INV-38 INV-39 INV-40: every level shape, every single failure, limits 1 (with a deadline stopping hung functions) and 2", async () => {
    const shapes = levelShapes(3, 2).map((s) => levelWorkflow(s, () => ALL));
    let total = 0;
    for (const limits of [byRun, byBuild]) {
      const { problems, runs } = await exhaust(shapes, [0, 1], false, limits);
      expect(problems.join("\n")).toBe("");
      total += runs;
    }
    expect(total).toBeGreaterThan(2000);
  }, 120_000);

  it("INV-37 INV-38 INV-39: every DAG on up to 3 tasks with every one- and two-failure placement, and on 4 tasks with every single failure, limits 1 and 2", async () => {
    const small = [1, 2, 3].flatMap((n) => dagShapes(n)).map((d) => dagWorkflow(d, () => ALL));
    const four = dagShapes(4).map((d) => dagWorkflow(d, () => ALL));
    let total = 0;
    for (const limits of [byRun, byBuild]) {
      const pairs = await exhaust(small, [1], true, limits);
      expect(pairs.problems.join("\n")).toBe("");
      const singles = await exhaust(four, [1], false, limits);
      expect(singles.problems.join("\n")).toBe("");
      total += pairs.runs + singles.runs;
    }
    expect(total).toBeGreaterThan(10_000);
  }, 120_000);

  it("INV-38 INV-39: every phase set on shapes of up to 2 tasks, every one- and two-failure placement, limit 1", async () => {
    const workflows: WorkflowShape[] = [];
    for (const s of [[1], [1, 1], [2]]) {
      const n = s.reduce((a, b) => a + b, 0);
      for (let combo = 0; combo < 8 ** n; combo++) {
        workflows.push(levelWorkflow(s, (i) => PHASE_SETS[Math.floor(combo / 8 ** i) % 8]!));
      }
    }
    const { problems, runs } = await exhaust(workflows, [1], true, byRun);
    expect(problems.join("\n")).toBe("");
    expect(runs).toBeGreaterThan(5000);
  }, 120_000);
});

describe.runIf(LONG)("exhaustive, long budget: DAGs on 5 tasks and levels up to 3 x 3", () => {
  it("INV-2 INV-10 INV-14: every DAG on 5 tasks with every one- and two-failure placement", async () => {
    const shapes = dagShapes(5);
    expect(shapes).toHaveLength(1024);
    const { problems } = await exhaust(
      shapes.map((d) => dagWorkflow(d, () => ALL)),
      [1],
      true,
    );
    expect(problems.join("\n")).toBe("");
  }, 1_800_000);

  it("INV-2 INV-10 INV-14: every level workflow up to 3 levels x 3 tasks, every one- and two-failure placement", async () => {
    const { problems } = await exhaust(
      levelShapes(3, 3).map((s) => levelWorkflow(s, () => ALL)),
      [0, 1],
      true,
    );
    expect(problems.join("\n")).toBe("");
  }, 1_800_000);
});
