import { type AsyncTask, executeOf } from "../builders/task.js";

/**
 * A compiled workflow: nodes `0 .. taskCount - 1` are the user's tasks in insertion order;
 * nodes from `taskCount` on are internal level barriers (no phases, never named anywhere).
 * Edges are stored in compressed rows: the dependents of node `i` are
 * `dependents[dependentsStart[i] .. dependentsStart[i + 1] - 1]`, likewise dependencies.
 */
export interface Plan<T> {
  readonly mode: "levels" | "graph";
  readonly tasks: readonly AsyncTask<T>[];
  readonly taskCount: number;
  readonly nodeCount: number;
  readonly dependentsStart: Int32Array;
  readonly dependents: Int32Array;
  readonly dependenciesStart: Int32Array;
  readonly dependencies: Int32Array;
  /** How many dependencies each node has; a run copies it and counts down. */
  readonly dependencyCount: Int32Array;
  /** Nodes without dependencies, in insertion order. */
  readonly roots: Int32Array;
  /** Tasks that have an execute phase, in insertion order. */
  readonly executeNodes: Int32Array;
  /** Level of each task in level mode (`undefined` entries in graph mode). */
  readonly levels: readonly (number | undefined)[];
  /** The processor's default concurrency limit (`Infinity`: none); `build({ maxConcurrency })`. */
  readonly maxConcurrency: number;
}

/** Plans made here, by a builder's `build()`: a processor is made only of one of them. */
const compiledPlans = new WeakSet<object>();

/** Marks `plan` as compiled by sdax itself, and returns it. */
export function compiled<T>(plan: Plan<T>): Plan<T> {
  compiledPlans.add(plan);
  return plan;
}

/** Whether `value` is a plan sdax compiled (not something passed to a constructor by hand). */
export function isCompiledPlan(value: unknown): boolean {
  return compiledPlans.has(value as object); // false for what is not an object
}

/** Builds the compressed rows of a plan from per-node dependency lists. */
export function planFromDependencies<T>(
  mode: "levels" | "graph",
  tasks: readonly AsyncTask<T>[],
  dependencyLists: readonly (readonly number[])[],
  levels: readonly (number | undefined)[],
): Plan<T> {
  const nodeCount = dependencyLists.length;
  const dependenciesStart = new Int32Array(nodeCount + 1);
  const dependencyCount = new Int32Array(nodeCount);
  // How many dependents each node has, then where the next one goes.
  const dependentAt = new Int32Array(nodeCount);
  let edges = 0;
  let rootCount = 0;
  for (let i = 0; i < nodeCount; i++) {
    const list = dependencyLists[i]!;
    dependenciesStart[i] = edges;
    dependencyCount[i] = list.length;
    edges += list.length;
    if (list.length === 0) rootCount++;
    for (let k = 0; k < list.length; k++) dependentAt[list[k]!]!++;
  }
  dependenciesStart[nodeCount] = edges;
  const dependencies = new Int32Array(edges);
  const dependentsStart = new Int32Array(nodeCount + 1);
  for (let i = 0, at = 0; i < nodeCount; i++) {
    dependentsStart[i] = at;
    at += dependentAt[i]!;
    dependentAt[i] = dependentsStart[i]!;
  }
  dependentsStart[nodeCount] = edges;
  const dependents = new Int32Array(edges);
  const roots = new Int32Array(rootCount);
  for (let i = 0, at = 0, root = 0; i < nodeCount; i++) {
    const list = dependencyLists[i]!;
    if (list.length === 0) roots[root++] = i;
    for (let k = 0; k < list.length; k++) {
      const d = list[k]!;
      dependencies[at++] = d;
      dependents[dependentAt[d]!++] = i;
    }
  }
  let executeCount = 0;
  for (let i = 0; i < tasks.length; i++) if (executeOf(tasks[i]!) !== undefined) executeCount++;
  const executeNodes = new Int32Array(executeCount);
  for (let i = 0, at = 0; i < tasks.length; i++) {
    if (executeOf(tasks[i]!) !== undefined) executeNodes[at++] = i;
  }
  return compiled(
    Object.freeze({
      mode,
      tasks,
      taskCount: tasks.length,
      nodeCount,
      dependentsStart,
      dependents,
      dependenciesStart,
      dependencies,
      dependencyCount,
      roots,
      executeNodes,
      levels,
      maxConcurrency: Number.POSITIVE_INFINITY,
    }),
  );
}
