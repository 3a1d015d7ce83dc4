/**
 * Benchmark workloads as plain data: tasks with three phase functions, on levels or in a
 * dependency graph, plus the features a run uses. Every implementation receives the same
 * workload object and maps it onto its own structure once, outside the timed loop.
 *
 * Every phase function counts its call in the workload's counter, so after each sample the
 * harness can check that an implementation made every call it should have.
 */

/** The context handed to every phase call, one per run. */
export interface Ctx {
  readonly runId: number;
}

/** A phase function; `signal` is passed only in workloads whose functions read one. */
export type PhaseFn = (ctx: Ctx, signal?: AbortSignal) => unknown;

export interface BenchTask {
  readonly name: string;
  readonly index: number;
  /** Its level (levels mode; 0 in graph mode). */
  readonly level: number;
  /** Indices of the tasks it depends on (graph mode; empty in levels mode). */
  readonly deps: readonly number[];
  readonly pre: PhaseFn;
  readonly execute: PhaseFn;
  readonly post: PhaseFn;
}

/** Calls made so far by a workload's phase functions. */
export interface Counter {
  calls: number;
}

export interface Workload {
  readonly mode: "levels" | "graph";
  readonly tasks: readonly BenchTask[];
  /** Levels mode: `levels[L]` holds the tasks of the L-th level, lowest first. */
  readonly levels: readonly (readonly BenchTask[])[];
  /** Each function reads an `AbortSignal` (sdax: `scope.signal`). */
  readonly readsSignal: boolean;
  /** Each function has this timeout (sdax: `timeoutMs`); undefined for none. */
  readonly timeoutMs: number | undefined;
  /** Runs have an `onEvent` listener that counts events (sdax only). */
  readonly listener: boolean;
  /** At most this many phase calls of a run in flight at once; undefined for no limit. */
  readonly maxConcurrency: number | undefined;
  readonly counter: Counter;
  /** Calls one run makes: three per task. */
  readonly callsPerRun: number;
  /** Execute functions wait for this gate when it is set (heap per in-flight run). */
  gate: Promise<void> | undefined;
}

export interface Features {
  readonly readsSignal?: boolean;
  readonly timeoutMs?: number;
  readonly listener?: boolean;
  readonly maxConcurrency?: number;
}

/**
 * A fresh trivial async function per phase, so tasks do not share one closure object. Only
 * functions of a workload that reads signals take one; the others take only the context.
 */
function makePhase(
  w: { counter: Counter; gate: Promise<void> | undefined },
  execute: boolean,
  readsSignal: boolean,
): PhaseFn {
  const counter = w.counter;
  if (readsSignal) {
    return async (_ctx: Ctx, signal?: AbortSignal): Promise<void> => {
      if (signal!.aborted) throw signal!.reason;
      counter.calls++;
    };
  }
  if (execute) {
    return async (): Promise<void> => {
      counter.calls++;
      if (w.gate !== undefined) await w.gate;
    };
  }
  return async (): Promise<void> => {
    counter.calls++;
  };
}

function workload(
  mode: "levels" | "graph",
  shape: readonly { level: number; deps: readonly number[] }[],
  features: Features,
): Workload {
  const counter: Counter = { calls: 0 };
  const w = {
    mode,
    tasks: [] as BenchTask[],
    levels: [] as BenchTask[][],
    readsSignal: features.readsSignal ?? false,
    timeoutMs: features.timeoutMs,
    listener: features.listener ?? false,
    maxConcurrency: features.maxConcurrency,
    counter,
    callsPerRun: shape.length * 3,
    gate: undefined as Promise<void> | undefined,
  };
  shape.forEach(({ level, deps }, index) => {
    const t: BenchTask = {
      name: `t${index}`,
      index,
      level,
      deps,
      pre: makePhase(w, false, w.readsSignal),
      execute: makePhase(w, true, w.readsSignal),
      post: makePhase(w, false, w.readsSignal),
    };
    w.tasks.push(t);
    if (mode === "levels") {
      const tasks = w.levels[level] ?? [];
      tasks.push(t);
      w.levels[level] = tasks;
    }
  });
  return w;
}

/** `levelCount` levels of `perLevel` tasks each. */
export function levelsWorkload(levelCount: number, perLevel: number, features: Features = {}) {
  const shape: { level: number; deps: number[] }[] = [];
  for (let level = 0; level < levelCount; level++) {
    for (let i = 0; i < perLevel; i++) shape.push({ level, deps: [] });
  }
  return workload("levels", shape, features);
}

/**
 * A seeded random DAG of `n` tasks: each depends on up to 3 earlier tasks, mostly recent ones,
 * so the graph is deep as well as wide.
 */
export function dagWorkload(n: number, seed: number, features: Features = {}): Workload {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const shape: { level: number; deps: number[] }[] = [];
  for (let i = 0; i < n; i++) {
    const deps = new Set<number>();
    const count = i === 0 ? 0 : Math.floor(random() * 4);
    for (let k = 0; k < count; k++) {
      const back = 1 + Math.floor(random() ** 2 * Math.min(i, 50));
      deps.add(i - back);
    }
    shape.push({ level: 0, deps: [...deps].sort((a, b) => a - b) });
  }
  return workload("graph", shape, features);
}

/** For each task, the tasks that depend on it (graph mode). */
export function dependentsOf(w: Workload): number[][] {
  const dependents: number[][] = w.tasks.map(() => []);
  for (const t of w.tasks) for (const d of t.deps) dependents[d]!.push(t.index);
  return dependents;
}
