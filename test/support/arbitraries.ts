/**
 * fast-check arbitraries for workflow scenarios (`model.ts`): level workflows and random DAGs,
 * each phase present or absent with its options, a behaviour for every function, an external
 * abort at a random point, a concurrency limit (of the processor or the run) and a run
 * deadline now and then, and one or several concurrent runs.
 *
 * Built from one flat array of task records (no `chain`), so a failing scenario shrinks well:
 * fast-check drops tasks, phases and dependencies, and turns faulty behaviours back into
 * successes, until only what matters is left.
 *
 * Every generated scenario terminates: a function that hangs until aborted is only kept where
 * something will abort it (a timeout, or an external abort for preExecute and execute).
 */
import fc from "fast-check";
import {
  type Behaviour,
  type ClockQuirk,
  type ExternalAbort,
  PHASE_KEYS,
  type PhaseKey,
  type PhaseShape,
  type RunModel,
  type Scenario,
  type TaskShape,
  type Thrown,
  type WorkflowShape,
} from "./model.js";

/** Size limits of generated workflows. */
export interface Sizes {
  readonly maxLevels: number;
  readonly maxTasksPerLevel: number;
  readonly maxGraphTasks: number;
  /** Concurrent runs per scenario. */
  readonly maxRuns: number;
  /** How long task arrays tend to be (fast-check's size): "small" keeps most workflows tiny. */
  readonly size: fc.SizeForArbitrary;
  /** One phase in this many has a timeout (big workflows need few, or every run times out). */
  readonly timeoutOneIn: number;
}

export const SMALL: Sizes = {
  maxLevels: 5,
  maxTasksPerLevel: 4,
  maxGraphTasks: 14,
  maxRuns: 1,
  size: "small",
  timeoutOneIn: 6,
};
export const FULL: Sizes = {
  maxLevels: 50,
  maxTasksPerLevel: 10,
  maxGraphTasks: 200,
  maxRuns: 1,
  size: "large",
  timeoutOneIn: 60,
};

function phaseShape(timeoutOneIn: number): fc.Arbitrary<PhaseShape> {
  return fc.record(
    {
      timeoutMs: fc.oneof(
        { weight: timeoutOneIn - 1, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 12 }) },
      ),
      retries: fc.oneof(
        { weight: 3, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) },
      ),
      initialDelayMs: fc.integer({ min: 0, max: 4 }),
      abandonAfterMs: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 6 })),
    },
    { requiredKeys: ["timeoutMs", "retries", "initialDelayMs"] },
  );
}

export const okBehaviour: fc.Arbitrary<Behaviour> = fc.record({
  kind: fc.constant("ok" as const),
  ticks: fc.integer({ min: 0, max: 2 }),
});

/** Mostly plain `Error`s; now and then a value that resists description (INV-33). */
const thrown: fc.Arbitrary<Thrown> = fc.oneof(
  { weight: 6, arbitrary: fc.constant("error" as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Thrown>("revokedProxy", "badName", "badMessage", "symbolMessage"),
  },
);

/**
 * Every behaviour but success. Rejections after 0 ticks are already rejected when returned, so
 * two of them in one step reject in the same turn (INV-32); a function that hangs may answer
 * its cancellation with an error of its own ("rollback failed", INV-32).
 */
export const faultyBehaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  fc.record({ kind: fc.constant("throw" as const), value: thrown }),
  fc.record({
    kind: fc.constant("reject" as const),
    ticks: fc.integer({ min: 0, max: 2 }),
    value: thrown,
  }),
  fc.record({ kind: fc.constant("hang" as const), own: fc.boolean() }),
  fc.record({
    kind: fc.constant("slow" as const),
    ms: fc.integer({ min: 1, max: 15 }),
    reject: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("flaky" as const),
    failures: fc.integer({ min: 1, max: 3 }),
    ticks: fc.integer({ min: 0, max: 1 }),
  }),
);

/** A function's behaviour in one run: `fault` if its roll is under the run's fault threshold. */
const functionGen = fc.record({
  ok: okBehaviour,
  fault: faultyBehaviour,
  /** Shrinks to 0: no fault. */
  roll: fc.integer({ min: 0, max: 999 }),
});
type FunctionGen = { ok: Behaviour; fault: Behaviour; roll: number };

function taskGen(sizes: Sizes) {
  const maybePhase = fc.option(phaseShape(sizes.timeoutOneIn), { nil: undefined, freq: 3 });
  const maxRuns = sizes.maxRuns;
  return fc.record({
    slot: fc.nat(),
    picks: fc.array(fc.nat(), { maxLength: 3 }),
    orderKey: fc.nat(),
    pre: maybePhase,
    exec: maybePhase,
    post: maybePhase,
    runs: fc.array(fc.record({ pre: functionGen, exec: functionGen, post: functionGen }), {
      minLength: maxRuns,
      maxLength: maxRuns,
    }),
  });
}
type TaskGen = {
  slot: number;
  picks: number[];
  orderKey: number;
  pre: PhaseShape | undefined;
  exec: PhaseShape | undefined;
  post: PhaseShape | undefined;
  runs: { pre: FunctionGen; exec: FunctionGen; post: FunctionGen }[];
};

type AbortGen =
  | { kind: "none" }
  | { kind: "beforeStart" }
  | { kind: "at"; ms: number; reason: Thrown }
  | { kind: "inside"; pick: number; reason: Thrown };

const abortGen: fc.Arbitrary<AbortGen> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: "none" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "beforeStart" as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("at" as const),
      ms: fc.integer({ min: 0, max: 30 }),
      reason: thrown,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("inside" as const), pick: fc.nat(), reason: thrown }),
  },
);

/** Mostly a plain clock; now and then one with no handles, or one firing 0 ms timers at once. */
const clockGen: fc.Arbitrary<ClockQuirk> = fc.oneof(
  { weight: 6, arbitrary: fc.constant("plain" as const) },
  { weight: 1, arbitrary: fc.constant("noHandle" as const) },
  { weight: 1, arbitrary: fc.constant("syncZero" as const) },
);

/** A concurrency limit of 1 to 4, or none (shrinks to none). */
export const limitGen: fc.Arbitrary<number | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 4 }) },
);

/** A run deadline on the virtual clock, now and then (shrinks to none). */
const deadlineGen: fc.Arbitrary<number | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 }) },
);

const runGen = fc.record(
  {
    /** Expected faults per run: none, about one, about three, or one function in four. */
    faults: fc.constantFrom(0, 1, 3, -1),
    abort: abortGen,
    abandonAfterMs: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 8 })),
    maxConcurrency: limitGen,
    timeoutMs: deadlineGen,
  },
  { requiredKeys: ["faults", "abort", "maxConcurrency", "timeoutMs"] },
);
type RunGen = {
  faults: number;
  abort: AbortGen;
  abandonAfterMs?: number | null;
  maxConcurrency: number | undefined;
  timeoutMs: number | undefined;
};

/** Scenarios of one mode (or either), of the given sizes. */
export function scenario(sizes: Sizes, mode?: "levels" | "graph"): fc.Arbitrary<Scenario> {
  const maxTasks =
    mode === "graph"
      ? sizes.maxGraphTasks
      : mode === "levels"
        ? sizes.maxLevels * sizes.maxTasksPerLevel
        : Math.max(sizes.maxGraphTasks, sizes.maxLevels * sizes.maxTasksPerLevel);
  return fc
    .record({
      graph: mode === undefined ? fc.boolean() : fc.constant(mode === "graph"),
      tasks: fc.array(taskGen(sizes), {
        minLength: 1,
        maxLength: maxTasks,
        size: sizes.size,
      }),
      runs: fc.array(runGen, { minLength: 1, maxLength: sizes.maxRuns }),
      clock: clockGen,
      buildLimit: fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) },
      ),
    })
    .map(({ graph, tasks, runs, clock, buildLimit }) => {
      const built = { ...build(sizes, graph, tasks, runs), clock };
      return buildLimit === undefined ? built : { ...built, buildLimit };
    });
}

function build(
  sizes: Sizes,
  graph: boolean,
  gens: readonly TaskGen[],
  runGens: readonly RunGen[],
): Scenario {
  let kept = [...gens];
  let shape: WorkflowShape;
  const shapeOf = (g: TaskGen, i: number): TaskShape => {
    const t: { name: string; pre?: PhaseShape; exec?: PhaseShape; post?: PhaseShape } = {
      name: `t${i}`,
    };
    if (g.pre !== undefined) t.pre = g.pre;
    if (g.exec !== undefined) t.exec = g.exec;
    if (g.post !== undefined) t.post = g.post;
    return t;
  };
  if (graph) {
    kept = kept.slice(0, sizes.maxGraphTasks);
    const tasks = kept.map(shapeOf);
    const deps = kept.map((g, i) => (i === 0 ? [] : [...new Set(g.picks.map((p) => p % i))]));
    const order = kept
      .map((g, i) => ({ key: g.orderKey, i }))
      .sort((a, b) => a.key - b.key || a.i - b.i)
      .map((x) => x.i);
    shape = { mode: "graph", tasks, deps, order };
  } else {
    // Level = slot mod maxLevels, spread out sparsely and below zero; at most
    // maxTasksPerLevel tasks a level.
    const perLevel = new Map<number, number>();
    kept = kept.filter((g) => {
      const l = g.slot % sizes.maxLevels;
      const c = perLevel.get(l) ?? 0;
      perLevel.set(l, c + 1);
      return c < sizes.maxTasksPerLevel;
    });
    const tasks = kept.map(shapeOf);
    const level = kept.map((g) => (g.slot % sizes.maxLevels) * 2 - 3);
    shape = { mode: "levels", tasks, level };
  }
  const runs = runGens.map((r, k) => runModel(shape, kept, r, k));
  return { shape, runs };
}

function runModel(shape: WorkflowShape, gens: readonly TaskGen[], r: RunGen, k: number): RunModel {
  const functions: { task: number; phase: PhaseKey }[] = [];
  shape.tasks.forEach((t, task) => {
    for (const phase of PHASE_KEYS) if (t[phase] !== undefined) functions.push({ task, phase });
  });
  const threshold =
    r.faults === 0
      ? 0
      : r.faults === -1
        ? 250
        : Math.min(500, Math.round((1000 * r.faults) / Math.max(1, functions.length)));
  let abort: ExternalAbort;
  if (r.abort.kind === "inside") {
    const f = functions[r.abort.pick % Math.max(1, functions.length)];
    abort = f === undefined ? { kind: "none" } : { kind: "inside", ...f, reason: r.abort.reason };
  } else {
    abort = r.abort;
  }
  // Only an abort at a time or before start is sure to come; one from inside a function
  // comes only if that function runs.
  const abortComes =
    abort.kind === "at" || abort.kind === "beforeStart" || r.timeoutMs !== undefined;
  const behaviours = shape.tasks.map((t, i) => {
    const out: Partial<Record<PhaseKey, Behaviour>> = {};
    for (const phase of PHASE_KEYS) {
      const s = t[phase];
      if (s === undefined) continue;
      const g = gens[i]!.runs[k]![phase];
      let b = g.roll < threshold ? g.fault : g.ok;
      if (b.kind === "hang" && s.timeoutMs === null && (phase === "post" || !abortComes)) {
        b = { kind: "ok", ticks: 1 };
      }
      out[phase] = b;
    }
    return out;
  });
  const model: {
    behaviours: typeof behaviours;
    abort: ExternalAbort;
    abandonAfterMs?: number | null;
    maxConcurrency?: number;
    timeoutMs?: number;
  } = {
    behaviours,
    abort,
  };
  if (r.abandonAfterMs !== undefined) model.abandonAfterMs = r.abandonAfterMs;
  if (r.maxConcurrency !== undefined) model.maxConcurrency = r.maxConcurrency;
  if (r.timeoutMs !== undefined) model.timeoutMs = r.timeoutMs;
  return model;
}
