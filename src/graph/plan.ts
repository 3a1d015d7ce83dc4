import type { AsyncTask } from "../builders/task.js";

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
  readonly indexOf: ReadonlyMap<string, number>;
  /** The processor's default concurrency limit (`Infinity`: none); `build({ maxConcurrency })`. */
  readonly maxConcurrency: number;
}

/** Builds the compressed rows of a plan from per-node dependency lists. */
export function planFromDependencies<T>(
  mode: "levels" | "graph",
  tasks: readonly AsyncTask<T>[],
  dependencyLists: readonly (readonly number[])[],
  levels: readonly (number | undefined)[],
  indexOf: ReadonlyMap<string, number>,
): Plan<T> {
  const nodeCount = dependencyLists.length;
  const dependenciesStart = new Int32Array(nodeCount + 1);
  const dependencyCount = new Int32Array(nodeCount);
  const dependentCount = new Int32Array(nodeCount);
  let edges = 0;
  for (let i = 0; i < nodeCount; i++) {
    const list = dependencyLists[i]!;
    dependenciesStart[i] = edges;
    dependencyCount[i] = list.length;
    edges += list.length;
    for (const d of list) dependentCount[d]!++;
  }
  dependenciesStart[nodeCount] = edges;
  const dependencies = new Int32Array(edges);
  const dependentsStart = new Int32Array(nodeCount + 1);
  for (let i = 0, at = 0; i < nodeCount; i++) {
    dependentsStart[i] = at;
    at += dependentCount[i]!;
  }
  dependentsStart[nodeCount] = edges;
  const dependents = new Int32Array(edges);
  const fill = dependentsStart.slice(0, nodeCount);
  const roots: number[] = [];
  for (let i = 0, at = 0; i < nodeCount; i++) {
    const list = dependencyLists[i]!;
    if (list.length === 0) roots.push(i);
    for (const d of list) {
      dependencies[at++] = d;
      dependents[fill[d]!++] = i;
    }
  }
  const executeNodes: number[] = [];
  tasks.forEach((t, i) => {
    if (t.execute) executeNodes.push(i);
  });
  return Object.freeze({
    mode,
    tasks,
    taskCount: tasks.length,
    nodeCount,
    dependentsStart,
    dependents,
    dependenciesStart,
    dependencies,
    dependencyCount,
    roots: Int32Array.from(roots),
    executeNodes: Int32Array.from(executeNodes),
    levels,
    indexOf,
    maxConcurrency: Number.POSITIVE_INFINITY,
  });
}
