/**
 * The static analysis of a workflow (spec/analysis.md): which tasks can run each phase
 * together, how deep the workflow is, and its critical path. What `processor.analyze()`
 * returns; the counterpart of the Python sdax task analyser.
 */
import type { Plan } from "../graph/plan.js";

/** How many tasks have each phase. */
export interface PhaseCounts {
  /** Tasks with a preExecute. */
  readonly preExecute: number;
  /** Tasks with an execute. */
  readonly execute: number;
  /** Tasks with a postExecute. */
  readonly postExecute: number;
}

/**
 * A workflow analysed, for a run in which every phase succeeds (spec/analysis.md). Each call
 * of {@link AsyncTaskProcessor.analyze} returns new arrays, yours to change.
 */
export interface WorkflowAnalysis {
  /**
   * The tasks with a preExecute, wave by wave: a wave's preExecutes can run together once
   * every earlier wave's have succeeded (AN-2, AN-3). Level mode: one wave per populated
   * level that has a preExecute, in level order.
   */
  readonly preWaves: string[][];
  /** The tasks with an execute: they all start at once, after every preExecute (AN-4). */
  readonly executeWave: string[];
  /**
   * The tasks with a postExecute, wave by wave in teardown order: a task's wave comes after
   * the wave of every task that depends on it (AN-5).
   */
  readonly postWaves: string[][];
  /** The number of preExecute waves: the longest chain of preExecutes run one after another (AN-6). */
  readonly depth: number;
  /** The number of tasks in the largest of the waves, execute's included (AN-6). */
  readonly widestWave: number;
  /** One preExecute per wave, each task depending on the one before it (AN-7). */
  readonly criticalPath: string[];
  /** How many tasks have each phase (AN-8). */
  readonly phaseCounts: PhaseCounts;
  /** The number of tasks (AN-8). */
  readonly tasks: number;
  /** The number of joins: tasks without phases (AN-8). */
  readonly joins: number;
}

/** Analyses `plan` (spec/analysis.md). Linear in tasks plus edges, barriers included. */
export function analyzePlan<T>(plan: Plan<T>): WorkflowAnalysis {
  const has = (i: number, phase: "preExecute" | "execute" | "postExecute") =>
    i < plan.taskCount && plan.tasks[i]![phase] !== undefined;
  const order = topologicalOrder(plan);
  const preRound = rounds(order, plan.dependenciesStart, plan.dependencies, (i) =>
    has(i, "preExecute"),
  );
  const postRound = rounds(order.slice().reverse(), plan.dependentsStart, plan.dependents, (i) =>
    has(i, "postExecute"),
  );
  const preWaves = waves(plan, preRound, (i) => has(i, "preExecute"));
  const postWaves = waves(plan, postRound, (i) => has(i, "postExecute"));
  const executeWave = plan.tasks.filter((t) => t.execute !== undefined).map((t) => t.name);
  const count = (phase: "preExecute" | "execute" | "postExecute") =>
    plan.tasks.filter((t) => t[phase] !== undefined).length;
  return {
    preWaves,
    executeWave,
    postWaves,
    depth: preWaves.length,
    widestWave: widest([executeWave, ...preWaves, ...postWaves]),
    criticalPath: criticalPath(plan, preRound, preWaves.length, (i) => has(i, "preExecute")),
    phaseCounts: {
      preExecute: count("preExecute"),
      execute: count("execute"),
      postExecute: count("postExecute"),
    },
    tasks: plan.taskCount,
    joins: plan.tasks.filter(
      (t) => t.preExecute === undefined && t.execute === undefined && t.postExecute === undefined,
    ).length,
  };
}

function widest(waveList: readonly (readonly string[])[]): number {
  let most = 0;
  for (const wave of waveList) most = Math.max(most, wave.length);
  return most;
}

/** Every node (barriers too) after all of its dependencies: Kahn's algorithm. */
function topologicalOrder<T>(plan: Plan<T>): Int32Array {
  const waiting = plan.dependencyCount.slice();
  const order = new Int32Array(plan.nodeCount);
  let end = 0;
  for (const root of plan.roots) order[end++] = root;
  for (let at = 0; at < end; at++) {
    const node = order[at]!;
    for (let e = plan.dependentsStart[node]!; e < plan.dependentsStart[node + 1]!; e++) {
      const next = plan.dependents[e]!;
      if (--waiting[next]! === 0) order[end++] = next;
    }
  }
  return order;
}

/**
 * AN-2 (AN-5 with the edges reversed): the round in which each node's phase is over. A node
 * that runs the phase takes one round more than the latest of its `before` nodes; a node that
 * does not (a task without it, a join, a barrier) is over as soon as they are.
 */
function rounds(
  order: Int32Array,
  start: Int32Array,
  before: Int32Array,
  runs: (node: number) => boolean,
): Int32Array {
  const round = new Int32Array(order.length);
  for (const node of order) {
    let latest = 0;
    for (let e = start[node]!; e < start[node + 1]!; e++) {
      latest = Math.max(latest, round[before[e]!]!);
    }
    round[node] = runs(node) ? latest + 1 : latest;
  }
  return round;
}

/** The tasks that run the phase, grouped by round, in insertion order within a round. */
function waves<T>(plan: Plan<T>, round: Int32Array, runs: (i: number) => boolean): string[][] {
  const result: string[][] = [];
  for (let i = 0; i < plan.taskCount; i++) {
    if (!runs(i)) continue;
    const k = round[i]! - 1;
    while (result.length <= k) result.push([]);
    result[k]!.push(plan.tasks[i]!.name);
  }
  return result;
}

/**
 * AN-7: the first task of the last wave, then, wave by wave, the first preExecute of the
 * wave before that a depth-first search reaches from it through its dependencies (in the
 * plan's order: the order tasks were added), passing only through nodes without preExecute.
 */
function criticalPath<T>(
  plan: Plan<T>,
  round: Int32Array,
  depth: number,
  runs: (i: number) => boolean,
): string[] {
  if (depth === 0) return [];
  let at = -1;
  for (let i = 0; i < plan.taskCount && at < 0; i++) if (runs(i) && round[i] === depth) at = i;
  const path = [at];
  const seen = new Uint8Array(plan.nodeCount);
  for (let k = depth - 1; k >= 1; k--) {
    at = previousOnPath(plan, round, at, k, runs, seen);
    path.push(at);
  }
  return path.reverse().map((i) => plan.tasks[i]!.name);
}

function previousOnPath<T>(
  plan: Plan<T>,
  round: Int32Array,
  from: number,
  k: number,
  runs: (i: number) => boolean,
  seen: Uint8Array,
): number {
  const { dependenciesStart: start, dependencies } = plan;
  // Iterative depth-first search, each node's dependencies in the plan's order: a deep chain
  // of joins cannot overflow the stack.
  const stack = [from];
  const next = [start[from]!];
  while (stack.length > 0) {
    const top = stack.length - 1;
    const node = stack[top]!;
    const e = next[top]!;
    if (e === start[node + 1]!) {
      stack.pop();
      next.pop();
      continue;
    }
    next[top] = e + 1;
    const dep = dependencies[e]!;
    if (round[dep] !== k || seen[dep] === 1) continue;
    if (runs(dep)) return dep;
    seen[dep] = 1;
    stack.push(dep);
    next.push(start[dep]!);
  }
  // Unreachable: a node of round k + 1 has a dependency chain down to a preExecute of round k.
  throw new Error(`sdax internal error: no preExecute of wave ${k} before task #${from}`);
}
